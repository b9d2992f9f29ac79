-- Full-text matches for hybrid search (memory/search.py), found through the GIN indexes.
--
-- Under row-level security the planner may not push a non-leakproof operator such as tsvector @@ tsquery
-- below the policy's filter, so through the application role the memories_tsv and messages_tsv indexes
-- were never used: every query word scanned all of the user's rows (133-157 ms p50 at 100k memories,
-- against 8-9 ms as the owner). These functions run the same scan as the owner, which the policy
-- below lets read the tables, and bind the rows to the caller themselves: the tenant is the
-- transaction's `mnemo.tenant_id`, the very setting the tenant_isolation policies read (set by
-- memory.db.tenant_connection), and the user is the caller's argument. They return row ids only; the
-- search joins them back to the tables under the caller's own row-level security, so a row of another
-- tenant could not come back even if one got through here. Only mnemo_app may execute them.

SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true);

CREATE POLICY definer_lookup ON memories FOR SELECT TO CURRENT_USER USING (true);

-- Per query word (1-based position in p_queries): at most p_cap ids of the caller's current memories
-- that match it, within the optional category and creation-time filters. Each word's query is planned
-- with its own value (EXECUTE), so the planner weighs that word with the index statistics: a generic
-- plan chose a sequential scan that read every row of the user for a word no row holds (p95 448 ms).
CREATE FUNCTION mnemo_memory_text_matches(
    p_user text, p_queries tsquery[], p_cap integer, p_categories text[], p_since timestamptz, p_until timestamptz
) RETURNS TABLE (word bigint, id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_queries, 1), 0) LOOP
        RETURN QUERY EXECUTE
            'SELECT $1::bigint, r.id FROM memories r
             WHERE r.tenant_id = current_setting(''mnemo.tenant_id'', true) AND r.user_id = $2
               AND r.valid_until IS NULL AND (r.expires_at IS NULL OR r.expires_at > now())
               AND ($4::text[] IS NULL OR r.category = ANY($4))
               AND ($5::timestamptz IS NULL OR r.created_at >= $5) AND ($6::timestamptz IS NULL OR r.created_at < $6)
               AND r.tsv @@ $3
             LIMIT $7'
            USING i, p_user, p_queries[i], p_categories, p_since, p_until, p_cap;
    END LOOP;
END
$$;

-- The same over the caller's messages that were not forgotten, within an optional thread (or all but one).
CREATE FUNCTION mnemo_message_text_matches(
    p_user text, p_queries tsquery[], p_cap integer, p_thread text, p_exclude_thread text,
    p_since timestamptz, p_until timestamptz
) RETURNS TABLE (word bigint, id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_queries, 1), 0) LOOP
        RETURN QUERY EXECUTE
            'SELECT $1::bigint, r.id FROM messages r
             WHERE r.tenant_id = current_setting(''mnemo.tenant_id'', true) AND r.user_id = $2
               AND NOT (r.metadata @> ''{"forgotten": true}'')
               AND ($4::text IS NULL OR r.thread_id = $4) AND ($5::text IS NULL OR r.thread_id <> $5)
               AND ($6::timestamptz IS NULL OR r.created_at >= $6) AND ($7::timestamptz IS NULL OR r.created_at < $7)
               AND r.tsv @@ $3
             LIMIT $8'
            USING i, p_user, p_queries[i], p_thread, p_exclude_thread, p_since, p_until, p_cap;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION mnemo_memory_text_matches(text, tsquery[], integer, text[], timestamptz, timestamptz),
    mnemo_message_text_matches(text, tsquery[], integer, text, text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mnemo_memory_text_matches(text, tsquery[], integer, text[], timestamptz, timestamptz),
    mnemo_message_text_matches(text, tsquery[], integer, text, text, timestamptz, timestamptz) TO mnemo_app;
