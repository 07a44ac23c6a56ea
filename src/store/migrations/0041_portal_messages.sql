-- Portal secure messaging: threads between a patient and their care team (clinician_id NULL)
-- or one clinician of it. Subjects and bodies are sealed by the vault; read state is per person.
CREATE TABLE message_threads (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES people(id),
  clinician_id INTEGER REFERENCES people(id),
  subject BLOB NOT NULL,
  created_by INTEGER NOT NULL REFERENCES people(id),
  created_at INTEGER NOT NULL,
  last_message_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by INTEGER REFERENCES people(id)
);
CREATE INDEX message_threads_patient ON message_threads (patient_id, last_message_at);
INSERT INTO vault_columns VALUES ('message_threads', 'subject');

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  thread_id INTEGER NOT NULL REFERENCES message_threads(id),
  author_id INTEGER NOT NULL REFERENCES people(id),
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_id, id);
INSERT INTO vault_columns VALUES ('messages', 'body');

-- The last message each person has seen in a thread.
CREATE TABLE message_reads (
  thread_id INTEGER NOT NULL REFERENCES message_threads(id),
  person_id INTEGER NOT NULL REFERENCES people(id),
  last_read_id INTEGER NOT NULL,
  PRIMARY KEY (thread_id, person_id)
);
