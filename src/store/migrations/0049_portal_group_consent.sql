-- The consent forms a group asks its members to have signed (in their latest version, not
-- withdrawn) before they may knock on a session's door. Clinic policy, not patient data.
CREATE TABLE group_consent_requirements (
  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  form_id INTEGER NOT NULL REFERENCES consent_forms(id) ON DELETE CASCADE,
  set_by INTEGER NOT NULL REFERENCES people(id),
  set_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, form_id)
) WITHOUT ROWID;
