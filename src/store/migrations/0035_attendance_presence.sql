-- Attendance that survives a crash. seen_at: the last time this process confirmed the visit was
-- still open (a heartbeat every 30 s); away_since: the member's connection dropped and the room is
-- keeping their place. A visit left open by a crash or power cut is closed at start-up at the
-- earlier of the two that is known, so minutes present are never counted past the last proof.
ALTER TABLE attendance ADD COLUMN seen_at INTEGER;
ALTER TABLE attendance ADD COLUMN away_since INTEGER;
CREATE INDEX attendance_open ON attendance (left_at) WHERE left_at IS NULL;
