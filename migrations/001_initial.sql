-- Mnemo's own tables. LangGraph's checkpoint tables are created by AsyncPostgresSaver.setup().
CREATE EXTENSION IF NOT EXISTS vector;

-- Which embedding model produced the vectors below: checked at startup so vectors never mix.
CREATE TABLE mnemo_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE users (
    tenant_id  text NOT NULL,
    user_id    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE api_keys (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key_hash   text NOT NULL UNIQUE,          -- sha256 of the key; the key itself is never stored
    prefix     text NOT NULL,                 -- first characters, to recognise a key in listings
    tenant_id  text NOT NULL,
    user_id    text NOT NULL,
    name       text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);

CREATE TABLE threads (
    id         text PRIMARY KEY,              -- the LangGraph thread_id
    tenant_id  text NOT NULL,
    user_id    text NOT NULL,
    title      text,
    archived   boolean NOT NULL DEFAULT false,
    starred    boolean NOT NULL DEFAULT false,
    metadata   jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX threads_owner ON threads (tenant_id, user_id, updated_at DESC);

CREATE TABLE messages (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  text NOT NULL,
    user_id    text NOT NULL,
    thread_id  text NOT NULL REFERENCES threads ON DELETE CASCADE,
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    role       text NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    content    text NOT NULL,
    tokens     integer,
    model      text,
    latency_ms integer,
    metadata   jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    embedding  vector(384),
    tsv        tsvector GENERATED ALWAYS AS
               (to_tsvector('english', content) || to_tsvector('french', content)) STORED
);
CREATE INDEX messages_thread ON messages (thread_id, seq);
CREATE INDEX messages_owner ON messages (tenant_id, user_id);
CREATE INDEX messages_tsv ON messages USING gin (tsv);
CREATE INDEX messages_embedding ON messages USING hnsw (embedding vector_cosine_ops);

CREATE TABLE memories (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         text NOT NULL,
    user_id           text NOT NULL,
    category          text NOT NULL CHECK (category IN
                      ('profile', 'preference', 'constraint', 'intent', 'goal', 'business', 'fact')),
    key               text NOT NULL,
    value             text NOT NULL,
    polarity          text NOT NULL DEFAULT 'positive' CHECK (polarity IN ('positive', 'negative')),
    confidence        real NOT NULL DEFAULT 0.8 CHECK (confidence BETWEEN 0 AND 1),
    content           text NOT NULL,          -- the sentence that is embedded and searched
    language          text,
    thread_id         text REFERENCES threads ON DELETE SET NULL,
    source_message_id uuid REFERENCES messages ON DELETE SET NULL,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    valid_from        timestamptz NOT NULL DEFAULT now(),
    valid_until       timestamptz,            -- set when superseded or retracted
    superseded_by     uuid REFERENCES memories ON DELETE SET NULL,
    embedding         vector(384),
    -- The topic and the value only: the rendered sentence's template words ("User likes") would
    -- make every preference match every query that says "like".
    tsv               tsvector GENERATED ALWAYS AS
                      (to_tsvector('english', replace(key, '.', ' ') || ' ' || value)
                       || to_tsvector('french', replace(key, '.', ' ') || ' ' || value)) STORED,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX memories_current ON memories (tenant_id, user_id, category) WHERE valid_until IS NULL;
-- A restatement never makes a second current row.
CREATE UNIQUE INDEX memories_one_current_value ON memories (tenant_id, user_id, key, lower(value))
    WHERE valid_until IS NULL;
CREATE INDEX memories_tsv ON memories USING gin (tsv);
CREATE INDEX memories_embedding ON memories USING hnsw (embedding vector_cosine_ops);

CREATE TABLE hints (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   text NOT NULL,
    user_id     text NOT NULL,
    thread_id   text REFERENCES threads ON DELETE CASCADE,
    message_id  uuid REFERENCES messages ON DELETE CASCADE,
    memory_id   uuid REFERENCES memories ON DELETE CASCADE,
    type        text NOT NULL,
    text        text NOT NULL,
    score       real NOT NULL,
    feedback    text CHECK (feedback IN ('applied', 'dismissed', 'snoozed')),
    feedback_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hints_owner ON hints (tenant_id, user_id, created_at DESC);

CREATE TABLE usage (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     text NOT NULL,
    user_id       text NOT NULL,
    thread_id     text REFERENCES threads ON DELETE SET NULL,
    message_id    uuid REFERENCES messages ON DELETE SET NULL,
    model         text NOT NULL,
    input_tokens  integer NOT NULL DEFAULT 0,
    output_tokens integer NOT NULL DEFAULT 0,
    cost_usd      numeric(12, 6) NOT NULL DEFAULT 0,
    latency_ms    integer,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_owner ON usage (tenant_id, user_id, created_at);
