-- The recordings themselves (src/rooms/recorder.ts): one sealed file per member and stretch,
-- data/recordings/<file>.age, linked to the session, the consent request and the part it was
-- written under. Ids, times and sizes only; the media is in the sealed file.
CREATE TABLE recording_files (
  id           INTEGER PRIMARY KEY,
  session_id   INTEGER NOT NULL REFERENCES group_sessions(id),
  request_id   INTEGER NOT NULL REFERENCES recording_requests(id),
  part         INTEGER NOT NULL,
  person_id    INTEGER REFERENCES people(id),
  file         TEXT NOT NULL UNIQUE CHECK (length(file) = 36),
  started_at   INTEGER NOT NULL,
  duration_ms  INTEGER NOT NULL,
  bytes        INTEGER NOT NULL
);
CREATE INDEX recording_files_session ON recording_files (session_id, id);
