-- Sessions: a window of a user's activity, across threads, that ends after MNEMO_SESSION_IDLE_MINUTES
-- without a turn. Each turn extends the user's open session or opens a new one (memory/sessions.py);
-- once a session has ended, a worker consolidates what it said, once (consolidated_at).

-- The definer function below pins its search_path to this schema (SET search_path FROM CURRENT).
SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true);

CREATE TABLE sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       text NOT NULL,
    user_id         text NOT NULL,
    started_at      timestamptz NOT NULL,     -- the first turn's time
    last_turn_at    timestamptz NOT NULL,     -- the latest turn's time
    ended_at        timestamptz,              -- NULL while open; set to last_turn_at when it is closed
    turns           integer NOT NULL DEFAULT 0 CHECK (turns >= 0),
    learned         integer NOT NULL DEFAULT 0 CHECK (learned >= 0),
    updated         integer NOT NULL DEFAULT 0 CHECK (updated >= 0),
    forgotten       integer NOT NULL DEFAULT 0 CHECK (forgotten >= 0),
    consolidated_at timestamptz,              -- the idempotency marker of the session's consolidation
    consolidation   jsonb,                    -- what the consolidation did (counts and changes)
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE,
    CHECK (last_turn_at >= started_at),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- At most one open session per user: two turns at once cannot open two (INSERT ... ON CONFLICT).
CREATE UNIQUE INDEX sessions_one_open ON sessions (tenant_id, user_id) WHERE ended_at IS NULL;
-- GET /v1/sessions: the user's sessions, newest first, keyset-paginated on (started_at, id).
CREATE INDEX sessions_owner ON sessions (tenant_id, user_id, started_at DESC, id DESC);
-- The workers' sweep: sessions not consolidated yet, by their last turn.
CREATE INDEX sessions_unconsolidated ON sessions (last_turn_at) WHERE consolidated_at IS NULL;

-- Row-level security as on every per-user table (migrations/004_tenancy.sql).
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = current_setting('mnemo.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('mnemo.tenant_id', true));
-- The owner (and only it) reads across tenants, for the definer function below.
CREATE POLICY definer_lookup ON sessions FOR SELECT TO CURRENT_USER USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO mnemo_app;

-- The workers' sweep: sessions of every tenant whose last turn is older than the idle window and that
-- no consolidation has marked yet.
CREATE FUNCTION mnemo_ended_sessions(p_idle_s double precision)
RETURNS TABLE (id uuid, tenant_id text, last_turn_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT s.id, s.tenant_id, s.last_turn_at FROM sessions s
    WHERE s.consolidated_at IS NULL AND s.last_turn_at < now() - make_interval(secs => p_idle_s)
$$;
REVOKE ALL ON FUNCTION mnemo_ended_sessions(double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mnemo_ended_sessions(double precision) TO mnemo_app;
