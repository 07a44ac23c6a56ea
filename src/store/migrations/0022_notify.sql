-- Notify: in-app notifications, each person's choices, and the e-mail outbox.
-- Rows hold a kind, a link inside Hearth and small parameters (times, counts), never clinical
-- text: the words are the kind's localized text, filled when shown or sent.
CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES people(id),
  kind        TEXT NOT NULL,
  link        TEXT NOT NULL,
  params      TEXT NOT NULL DEFAULT '{}',
  -- Set by callers that must notify once only (a reminder for one session): a second notify with
  -- the same key does nothing, even after a restart.
  once_key    TEXT UNIQUE,
  created_at  INTEGER NOT NULL,
  read_at     INTEGER
);
CREATE INDEX notifications_person ON notifications (person_id, read_at, created_at);

-- What a person wants by e-mail (in-app notices always appear) and how early reminders come.
CREATE TABLE notify_prefs (
  person_id  INTEGER PRIMARY KEY REFERENCES people(id),
  email      INTEGER NOT NULL DEFAULT 1 CHECK (email IN (0, 1)),
  remind     TEXT NOT NULL DEFAULT '24h' CHECK (remind IN ('24h', '1h', 'none'))
) WITHOUT ROWID;

-- E-mails waiting to go out. The address is sealed (it says who is in care); the body is built
-- from the notification's kind when sent. A row is claimed before sending (claimed_at) so two
-- senders never send one message; sent_at marks it done for good.
CREATE TABLE mail_outbox (
  id               INTEGER PRIMARY KEY,
  notification_id  INTEGER NOT NULL UNIQUE REFERENCES notifications(id),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_at          INTEGER NOT NULL,
  claimed_at       INTEGER,
  sent_at          INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_at);
