-- Goals a patient and a clinician agree on (a short SMART form and its steps, sealed), and the
-- patient's check-ins: progress 0-10 with a note (sealed).
CREATE TABLE goals (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES people(id),
  body BLOB NOT NULL,
  created_by INTEGER NOT NULL REFERENCES people(id),
  created_at INTEGER NOT NULL
);
CREATE INDEX goals_patient ON goals (patient_id, id);
INSERT INTO vault_columns VALUES ('goals', 'body');

CREATE TABLE goal_checkins (
  id INTEGER PRIMARY KEY,
  goal_id INTEGER NOT NULL REFERENCES goals(id),
  progress INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 10),
  note BLOB,
  created_at INTEGER NOT NULL
);
CREATE INDEX goal_checkins_goal ON goal_checkins (goal_id, id);
INSERT INTO vault_columns VALUES ('goal_checkins', 'note');
