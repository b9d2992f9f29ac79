-- The full-text match functions of 009, each planned once per call instead of once per query word.
--
-- 009 ran one EXECUTE per word, so that each word was planned with its own value; for users of a few
-- hundred messages that planning cost more than the scan (LoCoMo search p50 6.09 -> 14.07 ms). Here
-- the words are a lateral join over the array, in one EXECUTE: the user, the filters and the cap are
-- known to the planner (a custom plan, never a generic one), the word is not. The planner then reads a
-- small user's rows through the owner index and a large user's through the GIN index, which is what
-- the per-word plans did. Same filters, same bindings to the transaction's tenant as 009.

SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true);

CREATE OR REPLACE FUNCTION mnemo_memory_text_matches(
    p_user text, p_queries tsquery[], p_cap integer, p_categories text[], p_since timestamptz, p_until timestamptz
) RETURNS TABLE (word bigint, id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT w.i, r.id FROM unnest($2) WITH ORDINALITY AS w(q, i)
         CROSS JOIN LATERAL (
           SELECT r.id FROM memories r
           WHERE r.tenant_id = current_setting(''mnemo.tenant_id'', true) AND r.user_id = $1
             AND r.valid_until IS NULL AND (r.expires_at IS NULL OR r.expires_at > now())
             AND ($3::text[] IS NULL OR r.category = ANY($3))
             AND ($4::timestamptz IS NULL OR r.created_at >= $4) AND ($5::timestamptz IS NULL OR r.created_at < $5)
             AND r.tsv @@ w.q
           LIMIT $6) r'
        USING p_user, p_queries, p_categories, p_since, p_until, p_cap;
END
$$;

CREATE OR REPLACE FUNCTION mnemo_message_text_matches(
    p_user text, p_queries tsquery[], p_cap integer, p_thread text, p_exclude_thread text,
    p_since timestamptz, p_until timestamptz
) RETURNS TABLE (word bigint, id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    RETURN QUERY EXECUTE
        'SELECT w.i, r.id FROM unnest($2) WITH ORDINALITY AS w(q, i)
         CROSS JOIN LATERAL (
           SELECT r.id FROM messages r
           WHERE r.tenant_id = current_setting(''mnemo.tenant_id'', true) AND r.user_id = $1
             AND NOT (r.metadata @> ''{"forgotten": true}'')
             AND ($3::text IS NULL OR r.thread_id = $3) AND ($4::text IS NULL OR r.thread_id <> $4)
             AND ($5::timestamptz IS NULL OR r.created_at >= $5) AND ($6::timestamptz IS NULL OR r.created_at < $6)
             AND r.tsv @@ w.q
           LIMIT $7) r'
        USING p_user, p_queries, p_thread, p_exclude_thread, p_since, p_until, p_cap;
END
$$;
