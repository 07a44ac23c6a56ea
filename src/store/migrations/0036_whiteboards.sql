-- The session whiteboard (src/rooms/whiteboard.ts): its Yjs document, sealed, saved while the
-- session runs and when it ends. Pictures exported from it go to the group's materials.
CREATE TABLE whiteboards (
  session_id  INTEGER PRIMARY KEY REFERENCES group_sessions(id),
  board       BLOB NOT NULL,
  bytes       INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
INSERT INTO vault_columns VALUES ('whiteboards', 'board');
