-- Clinical record: measures (PHQ-9, GAD-7). Rows hold ids, the measure's kind and times; the
-- answers, the total and the language answered in are sealed together in one value.

-- A clinician asks for a measure: from every member of a group, again before each session
-- (person_id null), or from one member once (person_id set). ended_at stops asking.
CREATE TABLE measure_assignments (
  id          INTEGER PRIMARY KEY,
  instrument  TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7')),
  group_id    INTEGER NOT NULL REFERENCES groups(id),
  person_id   INTEGER REFERENCES people(id),
  created_by  INTEGER NOT NULL REFERENCES people(id),
  created_at  INTEGER NOT NULL,
  ended_at    INTEGER
);
CREATE INDEX measure_assignments_group ON measure_assignments (group_id, ended_at);

-- One filled-in questionnaire. content: age ciphertext of
-- {"answers":[0..3,...],"difficulty":0..3|null,"language":"en|fr|es","total":N}
CREATE TABLE measure_responses (
  id             INTEGER PRIMARY KEY,
  assignment_id  INTEGER NOT NULL REFERENCES measure_assignments(id),
  instrument     TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7')),
  person_id      INTEGER NOT NULL REFERENCES people(id),
  group_id       INTEGER NOT NULL REFERENCES groups(id),
  answered_at    INTEGER NOT NULL,
  content        BLOB NOT NULL
);
CREATE INDEX measure_responses_person ON measure_responses (person_id, instrument, answered_at);
CREATE INDEX measure_responses_assignment ON measure_responses (assignment_id, person_id, answered_at);
INSERT INTO vault_columns VALUES ('measure_responses', 'content');
