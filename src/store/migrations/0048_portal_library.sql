-- The content library: the clinic's own articles (Markdown, rendered through a sanitizer) and
-- files (PDF, audio, video) streamed through age into data/library with a key of their own
-- (sealed here, like documents). Items are the clinic's teaching material, not patient data;
-- what is patient data is who was recommended what (assignments) and, only when the clinic
-- turns it on (clinic_settings 'library_reading_tracked'), who opened what (reads).
CREATE TABLE library_items (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('article', 'file')),
  title TEXT NOT NULL,
  body TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  file_key BLOB,
  blob TEXT,
  mime TEXT,
  bytes INTEGER,
  added_by INTEGER NOT NULL REFERENCES people(id),
  added_at INTEGER NOT NULL,
  removed_at INTEGER,
  CHECK ((kind = 'article' AND body IS NOT NULL) OR (kind = 'file' AND blob IS NOT NULL AND file_key IS NOT NULL))
);
INSERT INTO vault_columns VALUES ('library_items', 'file_key');

-- One item recommended to one patient or to one group (every member of it, now and later).
CREATE TABLE library_assignments (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES library_items(id),
  patient_id INTEGER REFERENCES people(id),
  group_id INTEGER REFERENCES groups(id),
  assigned_by INTEGER NOT NULL REFERENCES people(id),
  assigned_at INTEGER NOT NULL,
  CHECK ((patient_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX library_assignments_patient ON library_assignments (item_id, patient_id) WHERE patient_id IS NOT NULL;
CREATE UNIQUE INDEX library_assignments_group ON library_assignments (item_id, group_id) WHERE group_id IS NOT NULL;
CREATE INDEX library_assignments_by_patient ON library_assignments (patient_id);
CREATE INDEX library_assignments_by_group ON library_assignments (group_id);

-- Reading, only written while the clinic tracks it (the patient is told on the page).
CREATE TABLE library_reads (
  item_id INTEGER NOT NULL REFERENCES library_items(id),
  patient_id INTEGER NOT NULL REFERENCES people(id),
  first_read_at INTEGER NOT NULL,
  last_read_at INTEGER NOT NULL,
  times INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (item_id, patient_id)
) WITHOUT ROWID;
