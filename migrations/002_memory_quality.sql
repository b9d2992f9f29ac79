-- Memory quality: temporary states, intent follow-ups, corrections, archive consolidation,
-- background extraction and hint snoozing.

-- A temporary state ("this week I'm in Lisbon") is current only until expires_at; it never
-- supersedes the lasting memory of the same topic.
ALTER TABLE memories ADD COLUMN expires_at timestamptz;
-- An intent's timeframe ("I'll book the flight next week"): when a follow-up hint becomes due.
ALTER TABLE memories ADD COLUMN due_at timestamptz;
CREATE INDEX memories_due ON memories (tenant_id, user_id, due_at)
    WHERE due_at IS NOT NULL AND valid_until IS NULL;
CREATE INDEX memories_source_message ON memories (source_message_id);

-- PATCH /v1/memories/{id}: who changed what, old and new value side by side.
CREATE TABLE memory_corrections (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     text NOT NULL,
    user_id       text NOT NULL,
    memory_id     uuid REFERENCES memories ON DELETE CASCADE,      -- the corrected (now closed) row
    new_memory_id uuid REFERENCES memories ON DELETE CASCADE,      -- the row that replaces it
    old_category  text NOT NULL,
    old_value     text NOT NULL,
    old_polarity  text NOT NULL,
    new_category  text NOT NULL,
    new_value     text NOT NULL,
    new_polarity  text NOT NULL,
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX memory_corrections_owner ON memory_corrections (tenant_id, user_id, created_at DESC);

-- Archiving a thread consolidates it once: the timestamp is the idempotency marker.
ALTER TABLE threads ADD COLUMN consolidated_at timestamptz;

-- Model-based extraction of a user message is done (inline or by a worker): written in the same
-- transaction as the memories, so a retried job finds it and writes nothing twice.
ALTER TABLE messages ADD COLUMN extracted_at timestamptz;

-- A snoozed hint comes back after this time; a dismissed one does not come back.
ALTER TABLE hints ADD COLUMN snoozed_until timestamptz;
CREATE INDEX hints_memory ON hints (tenant_id, user_id, memory_id, created_at DESC);
