-- A recording file's row is written when the recorder opens it (src/rooms/recorder.ts), so a file
-- left unfinished by an SFU worker that died is still known, listed, kept and swept; `finished`
-- turns 1 when the file is sealed shut with its real duration.
ALTER TABLE recording_files ADD COLUMN finished INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1));
