-- Materials: files and links a facilitator attaches to a group or to one occurrence of a
-- schedule. A file's bytes live in data/materials/<blob> as an age stream sealed to a key of its
-- own; that key (an age identity) and the title are sealed with the appliance key, so rotation
-- reseals them like any other sealed column. A link's address is sealed too.
CREATE TABLE materials (
  id            INTEGER PRIMARY KEY,
  group_id      INTEGER NOT NULL REFERENCES groups(id),
  schedule_id   INTEGER REFERENCES schedules(id),
  wall          INTEGER,
  kind          TEXT NOT NULL CHECK (kind IN ('file', 'link')),
  title         BLOB NOT NULL,
  file_key      BLOB,
  link          BLOB,
  blob          TEXT UNIQUE,
  mime          TEXT,
  bytes         INTEGER,
  added_by      INTEGER REFERENCES people(id),
  added_at      INTEGER NOT NULL,
  removed_at    INTEGER,
  CHECK ((kind = 'file') = (blob IS NOT NULL AND file_key IS NOT NULL)),
  CHECK ((kind = 'link') = (link IS NOT NULL)),
  CHECK ((schedule_id IS NULL) = (wall IS NULL))
);
CREATE INDEX materials_group ON materials (group_id, removed_at);
INSERT INTO vault_columns VALUES ('materials', 'title');
INSERT INTO vault_columns VALUES ('materials', 'file_key');
INSERT INTO vault_columns VALUES ('materials', 'link');
