-- Clinical record: session notes. A group note per session (person_id null) and an individual
-- note per attending member; the text is sealed. A note goes from draft to signed; signing is a
-- passkey assertion over the SHA-256 of the note's canonical form (see src/clinic/record/signing.ts).
CREATE TABLE clinical_notes (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES group_sessions(id),
  group_id      INTEGER NOT NULL REFERENCES groups(id),
  person_id     INTEGER REFERENCES people(id),
  template      TEXT NOT NULL CHECK (template IN ('group', 'dap', 'soap', 'birp')),
  -- age ciphertext of {"fields":{"name":"text",...}}
  content       BLOB NOT NULL,
  created_by    INTEGER NOT NULL REFERENCES people(id),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  signed_at     INTEGER,
  signed_by     INTEGER REFERENCES people(id),
  -- hex SHA-256 of the canonical signed form; set once, with signed_at
  content_hash  TEXT,
  released_at   INTEGER,
  released_by   INTEGER REFERENCES people(id)
);
CREATE UNIQUE INDEX clinical_notes_group_note ON clinical_notes (session_id) WHERE person_id IS NULL;
CREATE UNIQUE INDEX clinical_notes_member_note ON clinical_notes (session_id, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX clinical_notes_person ON clinical_notes (person_id, released_at);
INSERT INTO vault_columns VALUES ('clinical_notes', 'content');

-- A signed note is never changed or removed: only released. (content itself may be re-sealed by
-- a key rotation, which keeps the plaintext, so the hash still holds; the code never writes it
-- once signed_at is set.)
CREATE TRIGGER clinical_notes_signed_fixed BEFORE UPDATE OF session_id, group_id, person_id, template, created_by, signed_at, signed_by, content_hash ON clinical_notes
WHEN OLD.signed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed note cannot be changed'); END;
CREATE TRIGGER clinical_notes_signed_kept BEFORE DELETE ON clinical_notes
WHEN OLD.signed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a signed note cannot be removed'); END;

-- An addendum to a signed note, signed when written. content: age ciphertext of {"text":"..."}
CREATE TABLE note_addenda (
  id            INTEGER PRIMARY KEY,
  note_id       INTEGER NOT NULL REFERENCES clinical_notes(id),
  content       BLOB NOT NULL,
  created_by    INTEGER NOT NULL REFERENCES people(id),
  created_at    INTEGER NOT NULL,
  content_hash  TEXT NOT NULL
);
CREATE INDEX note_addenda_note ON note_addenda (note_id);
INSERT INTO vault_columns VALUES ('note_addenda', 'content');
CREATE TRIGGER note_addenda_fixed BEFORE UPDATE OF note_id, created_by, created_at, content_hash ON note_addenda
BEGIN SELECT RAISE(ABORT, 'an addendum cannot be changed'); END;
CREATE TRIGGER note_addenda_kept BEFORE DELETE ON note_addenda
BEGIN SELECT RAISE(ABORT, 'an addendum cannot be removed'); END;

-- The WebAuthn assertion that signed a note or an addendum, kept whole so anyone holding the
-- passkey's stored public key can check it later. challenge = base64url(SHA-256 of the canonical
-- form || 16 random bytes). No patient text: hashes, ids and signature bytes.
CREATE TABLE note_signatures (
  id                  INTEGER PRIMARY KEY,
  note_id             INTEGER NOT NULL REFERENCES clinical_notes(id),
  addendum_id         INTEGER REFERENCES note_addenda(id),
  passkey_id          INTEGER NOT NULL REFERENCES passkeys(id),
  signed_by           INTEGER NOT NULL REFERENCES people(id),
  signed_at           INTEGER NOT NULL,
  content_hash        TEXT NOT NULL,
  challenge           TEXT NOT NULL,
  client_data_json    TEXT NOT NULL,
  authenticator_data  TEXT NOT NULL,
  signature           TEXT NOT NULL
);
CREATE INDEX note_signatures_note ON note_signatures (note_id);
CREATE TRIGGER note_signatures_fixed BEFORE UPDATE ON note_signatures
BEGIN SELECT RAISE(ABORT, 'a signature cannot be changed'); END;
CREATE TRIGGER note_signatures_kept BEFORE DELETE ON note_signatures
BEGIN SELECT RAISE(ABORT, 'a signature cannot be removed'); END;
