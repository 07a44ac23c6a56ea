-- A patient's requests to erase their portal data. Clinics have legal retention duties, so an
-- admin decides; the patient sees the outcome. The admin sees the patient by number only.
CREATE TABLE erasure_requests (
  id INTEGER PRIMARY KEY,
  patient_id INTEGER NOT NULL REFERENCES people(id),
  requested_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by INTEGER REFERENCES people(id),
  outcome TEXT CHECK (outcome IN ('erased', 'kept')),
  -- The admin's reason, in words for the patient (a retention rule, not clinical content).
  reason TEXT
);
CREATE INDEX erasure_requests_open ON erasure_requests (decided_at, id);
