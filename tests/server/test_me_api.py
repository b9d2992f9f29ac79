"""DELETE /v1/me on the real services: nothing of the caller left in any table, queue or Redis key;
another user of the same tenant untouched."""

from jobs.app import ensure_schema
from jobs.enqueue import enqueue_extraction
from memory.cache import prefs_key
from memory.db import tenant_connection
from tests.conftest import key_headers

# Every table of ours with per-user rows, found the way a new table would be.
USER_TABLES_SQL = """
SELECT DISTINCT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = current_schema() AND c.column_name = 'user_id' AND t.table_type = 'BASE TABLE'"""
CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


async def _populate(client, resources, headers, tenant_id: str, user_id: str) -> dict:
    """Threads, turns, memories, a correction, hints, usage, a queued job and Redis entries."""
    chat = (await client.post("/v1/chat", json={"message": "I'm vegetarian and I live in Lyon."},
                              headers=headers)).json()
    thread_id = chat["thread_id"]
    await client.post("/v1/chat", json={"message": "Any idea for dinner tonight?", "thread_id": thread_id},
                      headers=headers)
    imported = (await client.post("/v1/threads/import", json={"messages": [
        {"role": "user", "content": "My name is Vera."}]}, headers=headers)).json()["thread_id"]
    [memory] = (await client.get("/v1/memories", params={"key": "profile.location"}, headers=headers)).json()["items"]
    assert (await client.patch(f"/v1/memories/{memory['id']}", json={"value": "Lille"}, headers=headers)).is_success
    async with tenant_connection(resources.pool, tenant_id) as conn:
        await conn.execute("INSERT INTO hints (tenant_id, user_id, thread_id, type, text, score) "
                           "VALUES (%s, %s, %s, 'preference_reminder', 'x', 0.5)", (tenant_id, user_id, thread_id))
        message = await (await conn.execute("SELECT id FROM messages WHERE thread_id = %s", (imported,))).fetchone()
    assert await enqueue_extraction(resources, [message["id"]], tenant_id=tenant_id) == 1
    await resources.redis.set(f"mnemo:other:{tenant_id}:{user_id}:x", "1")
    return {"threads": [thread_id, imported], "message_id": str(message["id"])}


async def _footprint(resources, tenant_id: str, user_id: str, threads: list[str], message_id: str) -> dict[str, int]:
    """Rows of this user in every table with a user_id column, their checkpoints, jobs and Redis keys."""
    found: dict[str, int] = {}
    async with tenant_connection(resources.pool, tenant_id) as conn:
        tables = [r["table_name"] for r in await (await conn.execute(USER_TABLES_SQL)).fetchall()]
        for table in tables:
            row = await (await conn.execute(
                f"SELECT count(*) AS n FROM {table} WHERE tenant_id = %s AND user_id = %s",  # noqa: S608
                (tenant_id, user_id))).fetchone()
            found[table] = row["n"]
    async with resources.pool.connection() as conn:
        for table in CHECKPOINT_TABLES:
            row = await (await conn.execute(f"SELECT count(*) AS n FROM {table} WHERE thread_id = ANY(%s)",
                                            (threads,))).fetchone()
            found[table] = row["n"]
        row = await (await conn.execute("SELECT count(*) AS n FROM procrastinate_jobs WHERE args->>'message_id' = %s",
                                        (message_id,))).fetchone()
        found["procrastinate_jobs"] = row["n"]
    found["redis"] = len([k async for k in resources.redis.scan_iter(match=f"mnemo:*{tenant_id}:{user_id}*")])
    return found


async def test_delete_me_forgets_everything_and_only_the_caller(client, resources, tenant):
    await ensure_schema(resources.urls.database_url)
    alice, bob = await key_headers(resources, tenant, "alice"), await key_headers(resources, tenant, "bob")
    mine = await _populate(client, resources, alice, tenant, "alice")
    theirs = await _populate(client, resources, bob, tenant, "bob")
    await client.get("/v1/memories/context", headers=alice)  # the preference cache entry
    assert await resources.redis.exists(prefs_key(tenant, "alice"))

    before = await _footprint(resources, tenant, "alice", **mine)
    expected = {"users", "api_keys", "threads", "messages", "memories", "memory_corrections", "hints", "usage",
                "checkpoints", "checkpoint_blobs", "procrastinate_jobs", "redis"}  # a turn leaves no pending writes
    assert {name for name, n in before.items() if n} >= expected, before
    bob_before = await _footprint(resources, tenant, "bob", **theirs)

    r = await client.delete("/v1/me", headers=alice)
    assert r.status_code == 204, r.text

    after = await _footprint(resources, tenant, "alice", **mine)
    assert set(after) >= set(before) and not any(after.values()), after
    assert await _footprint(resources, tenant, "bob", **theirs) == bob_before
    assert (await client.get("/v1/memories", headers=alice)).status_code == 401
    bobs = (await client.get("/v1/memories", headers=bob)).json()["items"]
    assert {m["value"] for m in bobs} == {"Lille", "vegetarian"}


async def test_a_forgotten_user_can_start_again(client, resources, tenant):
    headers = await key_headers(resources, tenant, "carol")
    await client.post("/v1/chat", json={"message": "I love opera."}, headers=headers)
    assert (await client.delete("/v1/me", headers=headers)).status_code == 204
    assert (await client.delete("/v1/me", headers=headers)).status_code == 401
    again = await key_headers(resources, tenant, "carol")
    assert (await client.get("/v1/memories", headers=again)).json()["items"] == []
    r = await client.post("/v1/chat", json={"message": "I love jazz."}, headers=again)
    assert r.status_code == 200 and [m["value"] for m in r.json()["memories"]] == ["jazz"]
