-- Identity: passkeys, sessions, invitations, recovery codes, shares. No passwords anywhere.
-- Sign-in reads only unsealed columns (people.role/status, passkeys), so it works while the
-- vault is locked; everything a person typed about themselves is sealed.

-- Random WebAuthn user handle (never the row id), who invited this person, and when a guest's
-- access ends.
ALTER TABLE people ADD COLUMN webauthn_handle TEXT;
ALTER TABLE people ADD COLUMN invited_by INTEGER REFERENCES people(id);
ALTER TABLE people ADD COLUMN access_ends_at INTEGER;
CREATE UNIQUE INDEX people_webauthn_handle ON people (webauthn_handle);

-- Contacts and places the crisis features need, each sealed on its own so a feature opens only
-- what it needs (and each opening is audited on its own).
ALTER TABLE people ADD COLUMN reminder_contact BLOB;
ALTER TABLE people ADD COLUMN emergency_contact BLOB;
ALTER TABLE people ADD COLUMN usual_location BLOB;
INSERT INTO vault_columns VALUES ('people', 'reminder_contact');
INSERT INTO vault_columns VALUES ('people', 'emergency_contact');
INSERT INTO vault_columns VALUES ('people', 'usual_location');

CREATE TABLE passkeys (
  id             INTEGER PRIMARY KEY,
  person_id      INTEGER NOT NULL REFERENCES people(id),
  credential_id  TEXT NOT NULL UNIQUE,           -- base64url
  public_key     BLOB NOT NULL,                  -- COSE
  counter        INTEGER NOT NULL DEFAULT 0,
  transports     TEXT NOT NULL DEFAULT '[]',     -- JSON array
  backed_up      INTEGER NOT NULL DEFAULT 0,
  -- Sealed: the person names it ("my phone"), and people type their own names into such fields.
  name           BLOB NOT NULL,
  created_at     INTEGER NOT NULL,
  last_used_at   INTEGER,
  revoked_at     INTEGER
);
CREATE INDEX passkeys_person ON passkeys (person_id);
INSERT INTO vault_columns VALUES ('passkeys', 'name');

-- Only the SHA-256 of the session id is stored: a copy of the database signs nobody in.
CREATE TABLE sessions (
  id_hash       TEXT PRIMARY KEY,
  person_id     INTEGER NOT NULL REFERENCES people(id),
  csrf_token    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  -- Last passkey assertion with user verification, for "fresh" actions.
  verified_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE invitations (
  id               INTEGER PRIMARY KEY,
  token_hash       TEXT NOT NULL UNIQUE,
  role             TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'patient', 'guest')),
  group_id         INTEGER,                      -- groups live in the clinic capability
  person_id        INTEGER REFERENCES people(id),-- set when re-inviting someone who lost every passkey
  created_by       INTEGER NOT NULL REFERENCES people(id),
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  access_days      INTEGER,                      -- guests: how long their access lasts once registered
  used_at          INTEGER,
  used_by          INTEGER REFERENCES people(id),
  revoked_at       INTEGER
);
CREATE INDEX invitations_creator ON invitations (created_by, created_at);

CREATE TABLE recovery_codes (
  id          INTEGER PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES people(id),
  code_hash   TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE INDEX recovery_codes_person ON recovery_codes (person_id);

-- An item shared with one person beyond what their role and groups give them.
CREATE TABLE shares (
  item_kind   TEXT NOT NULL,
  item_id     INTEGER NOT NULL,
  person_id   INTEGER NOT NULL REFERENCES people(id),
  granted_by  INTEGER NOT NULL REFERENCES people(id),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  PRIMARY KEY (item_kind, item_id, person_id)
) WITHOUT ROWID;
CREATE INDEX shares_person ON shares (person_id);
