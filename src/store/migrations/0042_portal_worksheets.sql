-- Portal worksheets. Clinicians' own templates (the standard ones live in code, so they read in
-- each person's language); assignments to one patient each (assigning to a group makes one per
-- member); the patient's answers sealed, as a draft until submitted; comments sealed.
CREATE TABLE worksheet_templates (
  id INTEGER PRIMARY KEY,
  -- Sealed JSON {title, fields}: a clinician may name a template after a patient's situation.
  body BLOB NOT NULL,
  created_by INTEGER NOT NULL REFERENCES people(id),
  created_at INTEGER NOT NULL
);
INSERT INTO vault_columns VALUES ('worksheet_templates', 'body');

CREATE TABLE worksheet_assignments (
  id INTEGER PRIMARY KEY,
  -- 'std:<key>' for a standard template, 'own:<id>' for a clinician's.
  template_ref TEXT NOT NULL,
  patient_id INTEGER NOT NULL REFERENCES people(id),
  group_id INTEGER,
  assigned_by INTEGER NOT NULL REFERENCES people(id),
  due_on TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'assigned' CHECK (status IN ('assigned', 'draft', 'submitted')),
  answers BLOB,
  updated_at INTEGER,
  submitted_at INTEGER
);
CREATE INDEX worksheet_assignments_patient ON worksheet_assignments (patient_id, due_on);
CREATE INDEX worksheet_assignments_assigner ON worksheet_assignments (assigned_by, id);
INSERT INTO vault_columns VALUES ('worksheet_assignments', 'answers');

CREATE TABLE worksheet_comments (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES worksheet_assignments(id),
  author_id INTEGER NOT NULL REFERENCES people(id),
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX worksheet_comments_assignment ON worksheet_comments (assignment_id, id);
INSERT INTO vault_columns VALUES ('worksheet_comments', 'body');
