-- A turn's reply is stored before it is embedded (memory/message_vectors.py): its NULL embedding is
-- the durable mark of the work left to do. A process that dies before its background embedding ran
-- leaves the NULL, and the next process to start embeds it.

SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true);

CREATE INDEX messages_unembedded ON messages (created_at) WHERE embedding IS NULL;

-- Messages of every tenant still without a vector, oldest first (definer_lookup of 004 lets the owner
-- read them; the caller writes the vectors back under its tenant's row-level security).
CREATE FUNCTION mnemo_unembedded_messages(p_limit integer)
RETURNS TABLE (id uuid, tenant_id text, content text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT m.id, m.tenant_id, m.content FROM messages m WHERE m.embedding IS NULL ORDER BY m.created_at LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION mnemo_unembedded_messages(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mnemo_unembedded_messages(integer) TO mnemo_app;
