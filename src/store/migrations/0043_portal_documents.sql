-- Documents in a patient's space (a discharge summary, a letter): files streamed through age
-- into data/documents with a key of their own (sealed here), typed from their content. The
-- uploader chooses who sees it: the patient, their care team, or both (the uploader always).
CREATE TABLE portal_documents (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES people(id),
  title BLOB NOT NULL,
  file_key BLOB NOT NULL,
  blob TEXT NOT NULL,
  mime TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  patient_sees INTEGER NOT NULL CHECK (patient_sees IN (0, 1)),
  team_sees INTEGER NOT NULL CHECK (team_sees IN (0, 1)),
  uploaded_by INTEGER NOT NULL REFERENCES people(id),
  uploaded_at INTEGER NOT NULL
);
CREATE INDEX portal_documents_patient ON portal_documents (patient_id, id);
INSERT INTO vault_columns VALUES ('portal_documents', 'title');
INSERT INTO vault_columns VALUES ('portal_documents', 'file_key');
