-- Intake and group matching. A new patient's answers (what they want help with, language, when
-- they are free, group or individual) are sealed: they are clinical. What clinicians and groups
-- offer (focus areas, languages, hours, capacity) is the clinic's own description of itself.
CREATE TABLE intakes (
  person_id        INTEGER PRIMARY KEY REFERENCES people(id),
  answers          BLOB NOT NULL,
  submitted_at     INTEGER NOT NULL,
  placed_group_id  INTEGER REFERENCES groups(id),
  placed_by        INTEGER REFERENCES people(id),
  placed_at        INTEGER,
  accepted_at      INTEGER
);
INSERT INTO vault_columns VALUES ('intakes', 'answers');

CREATE TABLE clinician_offers (
  person_id   INTEGER PRIMARY KEY REFERENCES people(id),
  focus       TEXT NOT NULL DEFAULT '[]',  -- JSON focus-area codes
  languages   TEXT NOT NULL DEFAULT '[]',  -- JSON locale codes
  hours       TEXT NOT NULL DEFAULT '[]',  -- JSON availability windows ("TU-evening")
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE group_offers (
  group_id    INTEGER PRIMARY KEY REFERENCES groups(id),
  capacity    INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 50),
  focus       TEXT NOT NULL DEFAULT '[]',
  language    TEXT NOT NULL DEFAULT 'en',
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
