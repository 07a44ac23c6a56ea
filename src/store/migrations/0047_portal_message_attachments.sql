-- A message may carry an attachment: a document in the patient's space (documents' rules:
-- sealed, streamed, size-limited, typed from content, audited downloads).
ALTER TABLE messages ADD COLUMN document_id INTEGER REFERENCES portal_documents(id);
