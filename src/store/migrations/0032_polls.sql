-- Room polls (src/rooms/polls.ts). The question, options and settings are sealed in `body`;
-- the counts per option are sealed in `results` when the poll closes (or the session ends).
CREATE TABLE polls (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES group_sessions(id),
  created_by  INTEGER NOT NULL REFERENCES people(id),
  created_at  INTEGER NOT NULL,
  anonymous   INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
  closed_at   INTEGER,
  body        BLOB NOT NULL,
  results     BLOB
);
CREATE INDEX polls_session ON polls (session_id, id);
-- Who answered what, for polls that are NOT anonymous only. An anonymous poll's answers live in
-- the room's memory while it is open and only their counts are ever written (polls.results).
CREATE TABLE poll_answers (
  poll_id     INTEGER NOT NULL REFERENCES polls(id),
  person_id   INTEGER NOT NULL REFERENCES people(id),
  answered_at INTEGER NOT NULL,
  choices     BLOB NOT NULL,
  PRIMARY KEY (poll_id, person_id)
);
