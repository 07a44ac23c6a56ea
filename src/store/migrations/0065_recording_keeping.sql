-- Keeping recordings (src/rooms/recording-keeping.ts): how many days a group's recordings are
-- kept (absent: 30), and when a recording's file was deleted (by a facilitator, or its time ran
-- out). The row stays, so the session's record still says a recording existed and when it went.
CREATE TABLE recording_retention (
  group_id  INTEGER PRIMARY KEY REFERENCES groups(id),
  days      INTEGER NOT NULL CHECK (days BETWEEN 1 AND 3650)
);
ALTER TABLE recording_files ADD COLUMN deleted_at INTEGER;
