-- Clinical record: billing. A per-session fee per group (plain: it is the clinic's price, not
-- anyone's data), payments as received (sealed: who paid what, how), and the clinic's details
-- printed on invoices (plain: they describe the clinic). No card data ever: card payments are
-- taken on the clinic's own terminal and only recorded here as "card terminal".
CREATE TABLE group_fees (
  group_id     INTEGER PRIMARY KEY REFERENCES groups(id),
  fee_cents    INTEGER NOT NULL CHECK (fee_cents >= 0 AND fee_cents <= 10000000),
  currency     TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3),
  set_by       INTEGER NOT NULL REFERENCES people(id),
  set_at       INTEGER NOT NULL
);

-- content: age ciphertext of {"amountCents":N,"method":"cash|card-terminal|insurer","receivedOn":"YYYY-MM-DD"}
CREATE TABLE payments (
  id           INTEGER PRIMARY KEY,
  person_id    INTEGER NOT NULL REFERENCES people(id),
  group_id     INTEGER NOT NULL REFERENCES groups(id),
  content      BLOB NOT NULL,
  recorded_by  INTEGER NOT NULL REFERENCES people(id),
  created_at   INTEGER NOT NULL
);
CREATE INDEX payments_person ON payments (person_id, group_id);
INSERT INTO vault_columns VALUES ('payments', 'content');

CREATE TABLE clinic_details (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  name        TEXT NOT NULL DEFAULT '',
  address     TEXT NOT NULL DEFAULT '',
  phone       TEXT NOT NULL DEFAULT '',
  tax_id      TEXT NOT NULL DEFAULT '',
  npi         TEXT NOT NULL DEFAULT '',
  updated_at  INTEGER NOT NULL
);
