-- Rooms: who was in a live session, from knocking to leaving. One row per visit, so a member
-- who drops out and is admitted again has two rows. Ids and times only.
CREATE TABLE attendance (
  id           INTEGER PRIMARY KEY,
  session_id   INTEGER NOT NULL REFERENCES group_sessions(id),
  person_id    INTEGER NOT NULL REFERENCES people(id),
  knocked_at   INTEGER NOT NULL,
  admitted_at  INTEGER,
  admitted_by  INTEGER REFERENCES people(id),
  left_at      INTEGER,
  -- how the visit ended: left, declined, removed, sent-back (to the waiting room: a new visit
  -- row starts), ended (the session closed), dropped (did not come back within the grace period)
  outcome      TEXT CHECK (outcome IN ('left', 'declined', 'removed', 'sent-back', 'ended', 'dropped'))
);
CREATE INDEX attendance_session ON attendance (session_id, person_id);
CREATE INDEX attendance_person ON attendance (person_id);
