-- Clinical record: the clinic's own note templates. Each builds on one of the standard
-- structures (DAP, SOAP, BIRP, group) and gives its fields starting text, such as the headings a
-- clinic's DBT group always documents. They hold no one's data, so nothing here is sealed.
CREATE TABLE note_templates (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  base         TEXT NOT NULL CHECK (base IN ('group', 'dap', 'soap', 'birp')),
  -- JSON {"field": "starting text", ...} for the base structure's fields
  fields       TEXT NOT NULL DEFAULT '{}',
  created_by   INTEGER NOT NULL REFERENCES people(id),
  created_at   INTEGER NOT NULL,
  archived_at  INTEGER
);
