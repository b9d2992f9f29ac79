-- The workers' sweep looks for user messages left pending (a background turn whose job was lost).
CREATE INDEX messages_extraction_pending ON messages (created_at)
    WHERE extracted_at IS NULL AND role = 'user' AND metadata->>'extraction' = 'pending';
