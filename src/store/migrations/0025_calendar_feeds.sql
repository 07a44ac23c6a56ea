-- Each person's private calendar feed: only the SHA-256 of its unguessable token is kept, so a
-- copy of the database opens no one's feed. Making a new one replaces (revokes) the old.
CREATE TABLE calendar_feeds (
  person_id   INTEGER PRIMARY KEY REFERENCES people(id),
  token_hash  BLOB NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;
