-- Room chat (src/rooms/chat.ts): one row per message of a session. The sender's name as it was
-- and the text are sealed together in `body`; ids, audience and times are plain, for ordering
-- and for who may see what. A hidden message stays, marked, for the facilitators.
CREATE TABLE chat_messages (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES group_sessions(id),
  person_id   INTEGER NOT NULL REFERENCES people(id),
  -- everyone: the whole group; facilitators: privately to the session's facilitators
  audience    TEXT NOT NULL CHECK (audience IN ('everyone', 'facilitators')),
  -- sent to everyone, but a screen (a safety code word, the crisis lexicon) kept it to the facilitators
  diverted    INTEGER NOT NULL DEFAULT 0 CHECK (diverted IN (0, 1)),
  from_facilitator INTEGER NOT NULL DEFAULT 0 CHECK (from_facilitator IN (0, 1)),
  sent_at     INTEGER NOT NULL,
  hidden_at   INTEGER,
  hidden_by   INTEGER REFERENCES people(id),
  body        BLOB NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, id);
