-- Safety in the room: a group's safety settings, where each member is joining from for one
-- session, and the alerts raised in a session. Everything a person said is sealed.

-- Set by the group's clinicians. The code word is sealed: knowing it lets someone raise (or
-- avoid raising) an alert, and it may be a word the group chose together.
CREATE TABLE group_safety (
  group_id           INTEGER PRIMARY KEY REFERENCES groups(id),
  -- 0: members are asked in the waiting room and may leave it blank; 1: they answer before they knock.
  location_required  INTEGER NOT NULL DEFAULT 0 CHECK (location_required IN (0, 1)),
  code_word          BLOB,
  updated_by         INTEGER REFERENCES people(id),
  updated_at         INTEGER NOT NULL
);

-- "Where are you today": one answer per member per session, kept with that session's record
-- only (never copied into the profile, so an address is not kept for ever). Sealed JSON
-- {location, phone, emergencyContact}.
CREATE TABLE session_whereabouts (
  session_id  INTEGER NOT NULL REFERENCES group_sessions(id),
  person_id   INTEGER NOT NULL REFERENCES people(id),
  answer      BLOB NOT NULL,
  given_at    INTEGER NOT NULL,
  PRIMARY KEY (session_id, person_id)
);  -- with a rowid: key rotation walks sealed columns by rowid

-- An alert raised in a session ("I need help now", the code word, crisis words in chat) and its
-- acknowledgement. What kind it was and what the facilitators were shown are sealed together.
CREATE TABLE safety_alerts (
  id               INTEGER PRIMARY KEY,
  session_id       INTEGER NOT NULL REFERENCES group_sessions(id),
  person_id        INTEGER NOT NULL REFERENCES people(id),
  raised_at        INTEGER NOT NULL,
  detail           BLOB NOT NULL,
  acknowledged_at  INTEGER,
  acknowledged_by  INTEGER REFERENCES people(id)
);
CREATE INDEX safety_alerts_session ON safety_alerts (session_id, id);

INSERT INTO vault_columns VALUES ('group_safety', 'code_word');
INSERT INTO vault_columns VALUES ('session_whereabouts', 'answer');
INSERT INTO vault_columns VALUES ('safety_alerts', 'detail');
