-- Clinic: a group's name and description are sealed. A name can disclose a diagnosis ("eating
-- disorders, Tuesdays"), and a description says what the group works on.
--
-- 0020 kept the name as plain text in groups.name, which SQLite cannot drop while rows point at
-- the table. From here on that column holds '' and the name lives sealed in sealed_name. A group
-- made before this migration keeps its plain name until the clinic seals it (at the first start
-- with the vault unlocked: src/clinic/groups.ts sealLegacyNames), which also blanks groups.name;
-- until then pages read the plain name, so nothing is lost.
ALTER TABLE groups ADD COLUMN sealed_name BLOB;
ALTER TABLE groups ADD COLUMN description BLOB;
-- Who made the group (ids only): the first clinician who leads it.
ALTER TABLE groups ADD COLUMN created_by INTEGER REFERENCES people(id);
INSERT INTO vault_columns VALUES ('groups', 'sealed_name');
INSERT INTO vault_columns VALUES ('groups', 'description');

-- The home page asks "is a session of my groups open?" on every visit.
CREATE INDEX group_sessions_open ON group_sessions (group_id) WHERE opened_at IS NOT NULL AND closed_at IS NULL;
