-- Consent forms: versioned Markdown the admin writes (clinic policy text, not patient data), and
-- each patient's signatures: a passkey assertion whose challenge starts with the SHA-256 of the
-- exact version text, kept whole so anyone can verify it again with the stored public key.
CREATE TABLE consent_forms (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('treatment', 'telehealth', 'group-confidentiality', 'recording', 'release')),
  title TEXT NOT NULL,
  created_by INTEGER NOT NULL REFERENCES people(id),
  created_at INTEGER NOT NULL
);

CREATE TABLE consent_versions (
  id INTEGER PRIMARY KEY,
  form_id INTEGER NOT NULL REFERENCES consent_forms(id),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  published_by INTEGER NOT NULL REFERENCES people(id),
  published_at INTEGER NOT NULL,
  UNIQUE (form_id, version)
);

CREATE TABLE consent_signatures (
  id INTEGER PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES consent_versions(id),
  patient_id INTEGER NOT NULL REFERENCES people(id),
  passkey_id INTEGER NOT NULL REFERENCES passkeys(id),
  signed_at INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  challenge TEXT NOT NULL,
  client_data_json TEXT NOT NULL,
  authenticator_data TEXT NOT NULL,
  signature TEXT NOT NULL,
  withdrawn_at INTEGER
);
CREATE INDEX consent_signatures_patient ON consent_signatures (patient_id, version_id);
