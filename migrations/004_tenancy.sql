-- Tenancy: row-level security on every table of ours, an application role that cannot bypass it,
-- and SECURITY DEFINER lookups for the few reads that happen before a tenant is known.
--
-- Run by the migration owner (who owns the tables). The application's connections run as
-- mnemo_app (memory/db.py: a login as mnemo_app, or SET ROLE mnemo_app): not a superuser, no
-- BYPASSRLS, owns nothing, so ENABLE + FORCE row level security applies to every statement it runs.

-- Functions created below pin their search_path to this schema (SET search_path FROM CURRENT).
SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true);

-- Roles are cluster-wide: several databases (and test runs) share one, so create it only if missing,
-- and refuse a pre-existing one that could bypass row-level security.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mnemo_app') THEN
        BEGIN
            CREATE ROLE mnemo_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database of this cluster created it at the same moment
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mnemo_app' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role mnemo_app exists with SUPERUSER or BYPASSRLS: it would bypass row-level security';
    END IF;
    -- The owner may SET ROLE mnemo_app (a pool whose DATABASE_URL is the owner does); a superuser can already.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        BEGIN
            EXECUTE format('GRANT mnemo_app TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'could not grant mnemo_app to %: a superuser must (GRANT mnemo_app TO %)', current_user, current_user;
        END;
    END IF;
END
$$;

-- Every table of ours that has a tenant_id: users, api_keys, threads, messages, memories, hints,
-- usage, memory_corrections (read from the catalog, so none is forgotten).
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables tb USING (table_schema, table_name)
        WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' AND tb.table_type = 'BASE TABLE'
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = current_setting('mnemo.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('mnemo.tenant_id', true))$p$, t);
    END LOOP;
END
$$;

-- The definer functions below run as the owner. FORCE makes row-level security apply to the owner
-- too; an owner that is a superuser or has BYPASSRLS reads every row anyway, and for one that has
-- neither these read-only policies let it (and only it: the policy names the owner role) look up
-- keys and pending messages across tenants.
CREATE POLICY definer_lookup ON api_keys FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY definer_lookup ON messages FOR SELECT TO CURRENT_USER USING (true);

-- Privileges: DML on our tables and sequences, reads of the bookkeeping tables, and the same on
-- tables later migrations, LangGraph's checkpointer and procrastinate create as this owner.
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO mnemo_app', current_database());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO mnemo_app', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO mnemo_app', current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO mnemo_app', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mnemo_app',
                   current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO mnemo_app',
                   current_schema());
END
$$;
REVOKE INSERT, UPDATE, DELETE ON mnemo_meta, schema_migrations FROM mnemo_app;

-- Authentication: the key's owner, or no row for an unknown, revoked or expired key.
CREATE FUNCTION mnemo_authenticate(p_key_hash text) RETURNS TABLE (tenant_id text, user_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT k.tenant_id, k.user_id FROM api_keys k
    WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
$$;

-- The tenant of a message (an extraction job queued before jobs carried their tenant).
CREATE FUNCTION mnemo_message_tenant(p_message_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT m.tenant_id FROM messages m WHERE m.id = p_message_id
$$;

-- The workers' sweep: user messages of every tenant still waiting for background extraction.
CREATE FUNCTION mnemo_pending_extractions(p_older_than_s double precision)
RETURNS TABLE (id uuid, tenant_id text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT m.id, m.tenant_id, m.created_at FROM messages m
    WHERE m.role = 'user' AND m.extracted_at IS NULL AND m.metadata->>'extraction' = 'pending'
      AND m.created_at < now() - make_interval(secs => p_older_than_s)
$$;

-- `mnemo keys revoke` without --tenant: which tenant(s) a key id or prefix belongs to (never the hash).
CREATE FUNCTION mnemo_key_tenants(p_id_or_prefix text) RETURNS TABLE (id uuid, tenant_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT k.id, k.tenant_id FROM api_keys k
    WHERE k.id::text = lower(p_id_or_prefix) OR k.prefix = p_id_or_prefix
$$;

REVOKE ALL ON FUNCTION mnemo_authenticate(text), mnemo_message_tenant(uuid),
    mnemo_pending_extractions(double precision), mnemo_key_tenants(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mnemo_authenticate(text), mnemo_message_tenant(uuid),
    mnemo_pending_extractions(double precision), mnemo_key_tenants(text) TO mnemo_app;
