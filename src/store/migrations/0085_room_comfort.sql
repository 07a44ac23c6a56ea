-- Comfort at home (web/room/comfort.ts): background blur and noise suppression, off until the
-- person turns them on, remembered for them (not in the browser) across devices and sign-ins.
-- Not patient data: two switches about their own camera and microphone.
CREATE TABLE comfort_settings (
  person_id INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
  blur INTEGER NOT NULL DEFAULT 0 CHECK (blur IN (0, 1)),
  noise INTEGER NOT NULL DEFAULT 0 CHECK (noise IN (0, 1)),
  updated_at INTEGER NOT NULL
) STRICT;
