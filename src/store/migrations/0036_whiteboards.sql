-- The session whiteboard (src/rooms/whiteboard.ts): its Yjs document, sealed, saved while the
-- session runs and when it ends; and the PNG pictures a facilitator exported from it, sealed.
CREATE TABLE whiteboards (
  session_id  INTEGER PRIMARY KEY REFERENCES group_sessions(id),
  board       BLOB NOT NULL,
  bytes       INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE whiteboard_exports (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES group_sessions(id),
  png         BLOB NOT NULL,
  bytes       INTEGER NOT NULL,
  made_by     INTEGER NOT NULL REFERENCES people(id),
  made_at     INTEGER NOT NULL
);
CREATE INDEX whiteboard_exports_session ON whiteboard_exports (session_id);
INSERT INTO vault_columns VALUES ('whiteboards', 'board');
INSERT INTO vault_columns VALUES ('whiteboard_exports', 'png');
