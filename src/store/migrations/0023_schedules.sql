-- Clinic schedules: a group's recurring sessions (an RFC 5545 rule in floating local time with
-- its IANA zone beside it) and changes to single occurrences. Times of occurrences are UTC ms;
-- `wall` is the occurrence's floating local start, its identity within the rule.
CREATE TABLE clinic_settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE schedules (
  id            INTEGER PRIMARY KEY,
  group_id      INTEGER NOT NULL REFERENCES groups(id),
  recurrence    TEXT NOT NULL,  -- JSON of src/clinic/schedule/recurrence.ts Recurrence
  zone          TEXT NOT NULL,
  created_by    INTEGER REFERENCES people(id),
  created_at    INTEGER NOT NULL,
  archived_at   INTEGER
);
CREATE INDEX schedules_group ON schedules (group_id);

CREATE TABLE schedule_changes (
  schedule_id     INTEGER NOT NULL REFERENCES schedules(id),
  wall            INTEGER NOT NULL,
  cancelled       INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
  moved_to        INTEGER,          -- new UTC start
  facilitator_id  INTEGER REFERENCES people(id),
  changed_by      INTEGER REFERENCES people(id),
  changed_at      INTEGER NOT NULL,
  PRIMARY KEY (schedule_id, wall)
) WITHOUT ROWID;

-- A session planned by a schedule is one occurrence (schedule, wall); the scheduler makes its row
-- when it opens it, so a restart finds the row and opens nothing twice.
ALTER TABLE group_sessions ADD COLUMN schedule_id INTEGER REFERENCES schedules(id);
ALTER TABLE group_sessions ADD COLUMN wall INTEGER;
CREATE UNIQUE INDEX group_sessions_occurrence ON group_sessions (schedule_id, wall) WHERE schedule_id IS NOT NULL;
