-- Portal journals, end-to-end encrypted. The server holds only what the browser sends: age
-- ciphertexts and public recipients. No plaintext, no entry key and no PRF output ever arrives.

-- A person's journal recipient: the public half of their journal identity (an age X25519 key
-- made in their browser). With a passkey that has PRF, the identity itself exists only wrapped
-- (journal_key_wraps); with none, the clinic's key protects it (clinic_identity, sealed).
CREATE TABLE journal_keys (
  person_id INTEGER PRIMARY KEY REFERENCES people(id),
  recipient TEXT NOT NULL,
  protection TEXT NOT NULL CHECK (protection IN ('passkey', 'clinic')),
  clinic_identity BLOB,
  created_at INTEGER NOT NULL,
  CHECK ((protection = 'clinic') = (clinic_identity IS NOT NULL))
);
INSERT INTO vault_columns VALUES ('journal_keys', 'clinic_identity');

-- The journal identity, age-encrypted to the recipient derived (HKDF) from one passkey's PRF
-- output, or to the printed recovery key's recipient (credential_id 'recovery').
CREATE TABLE journal_key_wraps (
  person_id INTEGER NOT NULL REFERENCES people(id),
  credential_id TEXT NOT NULL,
  wrapped BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (person_id, credential_id)
);

CREATE TABLE journal_entries (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES people(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX journal_entries_owner ON journal_entries (owner_id, id);

-- Every edit is a new version: the entry (text, mood, tags, date) age-encrypted to the entry's
-- own key.
CREATE TABLE journal_versions (
  entry_id INTEGER NOT NULL REFERENCES journal_entries(id),
  version INTEGER NOT NULL,
  ciphertext BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (entry_id, version)
);

-- The entry's key wrapped to one reader's journal recipient: the owner always, and each
-- clinician it is shared with since shared_at. Unsharing deletes the row.
CREATE TABLE journal_wraps (
  entry_id INTEGER NOT NULL REFERENCES journal_entries(id),
  person_id INTEGER NOT NULL REFERENCES people(id),
  wrapped BLOB NOT NULL,
  shared_at INTEGER NOT NULL,
  PRIMARY KEY (entry_id, person_id)
);
CREATE INDEX journal_wraps_reader ON journal_wraps (person_id, entry_id);
