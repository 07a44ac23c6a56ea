-- Core of the appliance: who exists, which columns hold sealed patient data,
-- the audit trail, and one-time setup links.

CREATE TABLE people (
  id          INTEGER PRIMARY KEY,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'patient', 'guest')),
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- Sealed JSON: display name, pronouns, language, contacts. Never plaintext.
  profile     BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);

-- Every column that holds patient data is listed here, so key rotation, backups
-- and the plaintext-leak test can find them all without a hand-kept list.
CREATE TABLE vault_columns (
  table_name   TEXT NOT NULL,
  column_name  TEXT NOT NULL,
  PRIMARY KEY (table_name, column_name)
) WITHOUT ROWID;

-- Progress of an interrupted `keys rotate`, committed with each batch.
CREATE TABLE vault_rotation (
  table_name   TEXT NOT NULL,
  column_name  TEXT NOT NULL,
  last_rowid   INTEGER NOT NULL,
  PRIMARY KEY (table_name, column_name)
) WITHOUT ROWID;

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  subject     TEXT NOT NULL,
  owner_id    INTEGER,
  outcome     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_log_owner ON audit_log (owner_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE setup_tokens (
  token_hash  TEXT PRIMARY KEY,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
) WITHOUT ROWID;

INSERT INTO vault_columns VALUES ('people', 'profile');
