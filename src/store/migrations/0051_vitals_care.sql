-- Vitals on the clinician's side: per-patient thresholds and the alert state their hysteresis keeps.
CREATE TABLE vitals_thresholds (
  patient_id INTEGER NOT NULL,
  loinc TEXT NOT NULL,
  -- alert when readings go below `below` or above `above` (either may be NULL)
  below REAL,
  above REAL,
  set_by INTEGER NOT NULL,
  set_at INTEGER NOT NULL,
  PRIMARY KEY (patient_id, loinc)
);
CREATE TABLE vitals_threshold_state (
  patient_id INTEGER NOT NULL,
  loinc TEXT NOT NULL,
  alerting INTEGER NOT NULL DEFAULT 0,
  -- consecutive readings on the other side (out of range while calm, back in range while alerting)
  streak INTEGER NOT NULL DEFAULT 0,
  alerts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (patient_id, loinc)
);
CREATE INDEX vitals_assignments_patient ON vitals_assignments (patient_id);
CREATE INDEX vitals_readings_apart ON vitals_readings (device_id, measured_at) WHERE patient_id IS NULL;
ALTER TABLE vitals_assignments ADD COLUMN declined_at INTEGER;
