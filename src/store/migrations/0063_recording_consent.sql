-- Recording a session with everyone's consent (src/rooms/recording.ts, recording-consent.ts).
-- The consent record: who was asked, who agreed or refused, when, and to what.

-- One request to record, made by a facilitator in a live session. It ends when a facilitator
-- stops it, someone withdraws, the session ends, or the room it was made in went away.
CREATE TABLE recording_requests (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES group_sessions(id),
  asked_by    INTEGER NOT NULL REFERENCES people(id),
  asked_at    INTEGER NOT NULL,
  ended_at    INTEGER,
  end_reason  TEXT CHECK (end_reason IN ('stopped', 'withdrawn', 'ended', 'interrupted'))
);
CREATE INDEX recording_requests_session ON recording_requests (session_id, id);

-- Each answer a person gave to a request, in order ('withdrawn': a no after a yes). `terms` is
-- sealed JSON {name, locale, text}: the name they were known by in the room and the exact words
-- of the question they answered, in their language.
CREATE TABLE recording_answers (
  id           INTEGER PRIMARY KEY,
  request_id   INTEGER NOT NULL REFERENCES recording_requests(id),
  person_id    INTEGER NOT NULL REFERENCES people(id),
  answer       TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'withdrawn')),
  answered_at  INTEGER NOT NULL,
  terms        BLOB NOT NULL
);
CREATE INDEX recording_answers_request ON recording_answers (request_id, id);

-- When recording was allowed to run under a request: each part (started, resumed after a pause,
-- or a new part after the media worker restarted) from start to stop.
CREATE TABLE recording_parts (
  id          INTEGER PRIMARY KEY,
  request_id  INTEGER NOT NULL REFERENCES recording_requests(id),
  part        INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  stopped_at  INTEGER
);
CREATE INDEX recording_parts_request ON recording_parts (request_id, id);

INSERT INTO vault_columns VALUES ('recording_answers', 'terms');
