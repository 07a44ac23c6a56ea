-- Guests for one session: an interpreter for a named member, or a family member or support
-- person. The invitation is an identity invitation (role guest, single use); this row binds it
-- to one session, and the guest's access ends when that session does. Ids and times only.
CREATE TABLE session_guests (
  id             INTEGER PRIMARY KEY,
  session_id     INTEGER NOT NULL REFERENCES group_sessions(id),
  invitation_id  INTEGER NOT NULL UNIQUE REFERENCES invitations(id),
  part           TEXT NOT NULL CHECK (part IN ('interpreter', 'family', 'support')),
  -- interpreters: the member they interpret for
  for_person_id  INTEGER REFERENCES people(id),
  -- set when the invitation is accepted
  person_id      INTEGER REFERENCES people(id),
  created_by     INTEGER NOT NULL REFERENCES people(id),
  created_at     INTEGER NOT NULL,
  -- set once the session has ended and the guest's access with it
  ended_at       INTEGER
);
CREATE INDEX session_guests_person ON session_guests (person_id, session_id);
CREATE INDEX session_guests_open ON session_guests (session_id) WHERE ended_at IS NULL;
