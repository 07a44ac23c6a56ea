-- Vitals: paired edge devices, their readings (values sealed), refusals, pairing codes, assignments.
CREATE TABLE vitals_devices (
  id TEXT PRIMARY KEY,
  public_key BLOB NOT NULL,
  name TEXT NOT NULL,
  paired_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_seen INTEGER,
  battery INTEGER,
  firmware TEXT
);
CREATE TABLE vitals_pairing_codes (
  code_hash TEXT PRIMARY KEY,
  created_by INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE vitals_readings (
  device_id TEXT NOT NULL REFERENCES vitals_devices(id),
  seq INTEGER NOT NULL,
  sensor TEXT NOT NULL,
  loinc TEXT NOT NULL,
  unit TEXT NOT NULL,
  -- sealed JSON {value, special, artefact}
  sealed_value BLOB NOT NULL,
  measured_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  -- comma-separated: implausible, clock-skew, artefact, special
  flags TEXT NOT NULL DEFAULT '',
  patient_id INTEGER,
  sig TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE INDEX vitals_readings_patient ON vitals_readings (patient_id, loinc, measured_at);
CREATE TABLE vitals_refusals (
  device_id TEXT NOT NULL,
  code TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, code)
);
CREATE TABLE vitals_upload_keys (
  key TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
);
CREATE TABLE vitals_assignments (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES vitals_devices(id),
  patient_id INTEGER NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  assigned_by INTEGER NOT NULL,
  consented_at INTEGER
);
