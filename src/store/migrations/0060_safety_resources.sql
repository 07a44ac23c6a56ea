-- Safety: the clinic's crisis resources (helplines), set by an admin and shown to anyone,
-- signed in or not. They describe public services, not people, so nothing here is sealed.
CREATE TABLE crisis_resources (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  phone       TEXT NOT NULL DEFAULT '',
  text_line   TEXT NOT NULL DEFAULT '',
  hours       TEXT NOT NULL DEFAULT '',
  -- '' when the line answers in any language; otherwise the language it answers in.
  language    TEXT NOT NULL DEFAULT '' CHECK (language IN ('', 'en', 'fr', 'es')),
  position    INTEGER NOT NULL,
  created_by  INTEGER REFERENCES people(id),
  created_at  INTEGER NOT NULL
);
