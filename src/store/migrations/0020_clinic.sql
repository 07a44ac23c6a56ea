-- Clinic: groups, who belongs to them, and the sessions a group meets in.
-- Ids and times only: names of people stay sealed in people.profile.

-- A therapy group. Its name is the clinic's working title ("Tuesday evening group"); the
-- page that creates groups asks for a neutral name, because it is not sealed.
CREATE TABLE groups (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  archived_at  INTEGER
);

-- Who belongs to a group and how: a clinician leads its sessions, members attend them, a guest
-- (an interpreter, a family member) attends with the group's agreement.
CREATE TABLE group_members (
  group_id   INTEGER NOT NULL REFERENCES groups(id),
  person_id  INTEGER NOT NULL REFERENCES people(id),
  role       TEXT NOT NULL CHECK (role IN ('clinician', 'member', 'guest')),
  added_at   INTEGER NOT NULL,
  left_at    INTEGER,
  PRIMARY KEY (group_id, person_id)
) WITHOUT ROWID;
CREATE INDEX group_members_person ON group_members (person_id);

-- One meeting of a group. Named group_sessions because identity's `sessions` are sign-ins.
-- scheduled_for is set when a schedule (added later) plans it; a session opened on the spot
-- has none. It is live between opened_at and closed_at.
CREATE TABLE group_sessions (
  id             INTEGER PRIMARY KEY,
  group_id       INTEGER NOT NULL REFERENCES groups(id),
  scheduled_for  INTEGER,
  opened_at      INTEGER,
  opened_by      INTEGER REFERENCES people(id),
  closed_at      INTEGER,
  CHECK (closed_at IS NULL OR opened_at IS NOT NULL)
);
CREATE INDEX group_sessions_group ON group_sessions (group_id, scheduled_for);
