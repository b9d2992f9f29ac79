import uuid
from datetime import UTC, datetime

import numpy as np

from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.memories import NewMemory, render, save_memories
from memory.search import SearchQuery, hybrid_search
from memory.threads import ensure_thread, insert_message
from memory.users import ensure_user


async def _seed(resources, tenant, user, memories=(), messages=(), thread_id=None):
    owner = {"tenant_id": tenant, "user_id": user}
    thread_id = thread_id or str(uuid.uuid4())
    mem_vecs = await aembed(resources.embedder, [render(m.category, m.key, m.value, m.polarity) for m in memories])
    msg_vecs = await aembed(resources.embedder, list(messages))
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, **owner)
        await ensure_thread(conn, **owner, thread_id=thread_id)
        for text, vec in zip(messages, msg_vecs, strict=True):
            await insert_message(conn, **owner, thread_id=thread_id, role="user", content=text, embedding=vec)
        if memories:
            await save_memories(conn, **owner, memories=list(memories), embeddings=mem_vecs)
    return thread_id


async def _search(resources, tenant, user, text, **kw):
    [vec] = await aembed(resources.embedder, [text])
    async with tenant_connection(resources.pool, tenant) as conn:
        return await hybrid_search(conn, SearchQuery(text=text, embedding=vec, tenant_id=tenant, user_id=user, **kw))


async def test_finds_memories_and_messages_best_first(resources, tenant):
    await _seed(resources, tenant, "alice",
                memories=[NewMemory("preference", "preference.music", "jazz"),
                          NewMemory("constraint", "constraint.allergy", "peanuts")],
                messages=["We talked about the Lisbon trip in May", "My cat is called Pixel"])
    hits = await _search(resources, tenant, "alice", "what music do I like?")
    assert hits[0]["type"] == "memory" and hits[0]["metadata"]["value"] == "jazz"
    assert 0 < hits[-1]["score"] <= hits[0]["score"] <= 1
    trip = await _search(resources, tenant, "alice", "Lisbon trip")
    assert trip[0]["type"] == "message" and "Lisbon" in trip[0]["content"]


async def test_full_text_side_finds_rare_words_the_vector_misses(resources, tenant):
    await _seed(resources, tenant, "alice", messages=["The invoice number is XQ-7731 for the Zorblax order"])
    hits = await _search(resources, tenant, "alice", "Zorblax", min_score=0.99)  # vector side floored out
    assert [h["content"] for h in hits] == ["The invoice number is XQ-7731 for the Zorblax order"]


async def test_never_returns_another_users_or_tenants_rows(resources, tenant):
    await _seed(resources, tenant, "bob", memories=[NewMemory("preference", "preference.music", "jazz")],
                messages=["I love jazz"])
    await _seed(resources, "other-" + tenant, "alice", memories=[NewMemory("preference", "preference.music", "jazz")])
    assert await _search(resources, tenant, "alice", "jazz music") == []


async def test_superseded_memories_do_not_come_back(resources, tenant):
    await _seed(resources, tenant, "alice", memories=[NewMemory("profile", "profile.location", "Lyon")])
    await _seed(resources, tenant, "alice", memories=[NewMemory("profile", "profile.location", "Paris")])
    hits = await _search(resources, tenant, "alice", "where do I live", types=("memory",))
    values = [h["metadata"]["value"] for h in hits]
    assert values == ["Paris"]


async def test_filters_types_categories_and_threads(resources, tenant):
    kept = await _seed(resources, tenant, "alice", messages=["jazz concert on Friday"])
    other = await _seed(resources, tenant, "alice", messages=["jazz records to buy"],
                        memories=[NewMemory("preference", "preference.music", "jazz")])
    only_msgs = await _search(resources, tenant, "alice", "jazz", types=("message",))
    assert {h["type"] for h in only_msgs} == {"message"}
    in_thread = await _search(resources, tenant, "alice", "jazz", types=("message",), thread_id=kept)
    assert [h["thread_id"] for h in in_thread] == [kept]
    excluded = await _search(resources, tenant, "alice", "jazz", types=("message",), exclude_thread_id=other)
    assert [h["thread_id"] for h in excluded] == [kept]
    assert await _search(resources, tenant, "alice", "jazz", types=("memory",), categories=["constraint"]) == []


async def test_expired_temporary_memories_do_not_come_back(resources, tenant):
    await _seed(resources, tenant, "alice", memories=[NewMemory("profile", "profile.location", "Lisbon"),
                                                      NewMemory("profile", "profile.home", "Lyon")])
    async with tenant_connection(resources.pool, tenant) as conn:
        await conn.execute("UPDATE memories SET expires_at = now() - interval '1 minute' "
                           "WHERE tenant_id = %s AND value = 'Lisbon'", (tenant,))
    hits = await _search(resources, tenant, "alice", "Lisbon Lyon city", types=("memory",), min_score=0)
    assert [h["metadata"]["value"] for h in hits] == ["Lyon"]


async def test_a_rare_word_outranks_a_word_found_everywhere(resources, tenant):
    """Full-text ranks by inverse document frequency: the name in every turn weighs little."""
    for i in range(8):  # one thread each: no neighbour lends them its score
        await _seed(resources, tenant, "alice", messages=[f"Caroline: Caroline here, message {i} about nothing much"])
    await _seed(resources, tenant, "alice", messages=["Melanie: I signed up for a pottery class"])
    hits = await _search(resources, tenant, "alice", "Caroline pottery", types=("message",), min_score=0.99)
    assert hits[0]["content"] == "Melanie: I signed up for a pottery class"


async def test_the_turn_after_a_hit_comes_back_with_it(resources, tenant):
    """The reply to a matching question is found through its neighbour, even with no word in common."""
    thread = await _seed(resources, tenant, "alice", messages=[
        "Did you ever take the night train to Vienna?", "Yes, twice, and I slept the whole way.",
        "Unrelated: the plumber comes on Tuesday."])
    hits = await _search(resources, tenant, "alice", "night train Vienna", types=("message",), min_score=0.99)
    contents = [h["content"] for h in hits]
    assert contents[:2] == ["Did you ever take the night train to Vienna?", "Yes, twice, and I slept the whole way."]
    assert "Unrelated: the plumber comes on Tuesday." not in contents
    assert hits[1]["score"] < hits[0]["score"] and {h["thread_id"] for h in hits} == {thread}


async def test_neighbours_stay_inside_the_time_window(resources, tenant):
    thread = await _seed(resources, tenant, "alice", messages=["Did you ever take the night train to Vienna?",
                                                               "Yes, twice."])
    async with tenant_connection(resources.pool, tenant) as conn:
        await conn.execute("UPDATE messages SET created_at = '2020-01-01' WHERE thread_id = %s AND content = %s",
                           (thread, "Yes, twice."))
    hits = await _search(resources, tenant, "alice", "night train Vienna", types=("message",), min_score=0.99,
                         since=datetime(2021, 1, 1, tzinfo=UTC))
    assert [h["content"] for h in hits] == ["Did you ever take the night train to Vienna?"]


async def test_filtered_index_scan_finds_the_callers_nearest_row(resources, tenant):
    """Many users in one table, the caller owning 1 row in 100: with the planner pushed onto the HNSW
    index, the filtered scan must still return the caller's exact nearest row (iterative scan; without
    it the index's first 40 candidates hold about one of the caller's rows, rarely the nearest)."""
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(4000, resources.embedder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = [f"u{i % 100}" for i in range(len(vectors))]
    rows = [(tenant, user, f"{tenant}-{user}", f"row {i}", vector)
            for i, (user, vector) in enumerate(zip(owners, vectors, strict=True))]
    async with tenant_connection(resources.pool, tenant) as conn:
        for user in sorted(set(owners)):
            await ensure_user(conn, tenant_id=tenant, user_id=user)
            await ensure_thread(conn, tenant_id=tenant, user_id=user, thread_id=f"{tenant}-{user}")
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO messages (tenant_id, user_id, thread_id, role, content, embedding) "
                "VALUES (%s, %s, %s, 'user', %s, %s)",
                rows)
    mine = [i for i, user in enumerate(owners) if user == "u0"]
    probe = rng.normal(size=vectors.shape[1]).astype(np.float32)
    probe /= np.linalg.norm(probe)
    nearest = max(mine, key=lambda i: float(vectors[i] @ probe))
    async with tenant_connection(resources.pool, tenant) as conn:
        try:
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                await conn.execute(f"SET {setting} = off")
            plan = await (await conn.execute(
                "EXPLAIN SELECT id FROM messages WHERE tenant_id = %s AND user_id = %s "
                "ORDER BY embedding <=> %s LIMIT 40", (tenant, "u0", probe))).fetchall()
            assert "messages_embedding" in str(plan)
            hits = await hybrid_search(conn, SearchQuery(text="zzqx", embedding=probe, tenant_id=tenant, user_id="u0",
                                                         k=5, types=("message",), min_score=0))
        finally:
            await conn.execute("RESET ALL")
    assert f"row {nearest}" in [h["content"] for h in hits]
    assert {h["thread_id"] for h in hits} == {f"{tenant}-u0"}


async def test_query_words_with_query_syntax_and_stop_words_only(resources, tenant):
    await _seed(resources, tenant, "alice", messages=["The well-known site x.com/a:b is down, O'Neil said"])
    odd = "what's at x.com/a:b & (well-known) | !O'Neil <-> 'it'?"
    hits = await _search(resources, tenant, "alice", odd, min_score=0.99)  # the full-text side alone
    assert [h["content"] for h in hits] == ["The well-known site x.com/a:b is down, O'Neil said"]
    assert await _search(resources, tenant, "alice", "what is it that I am?", min_score=0.99) == []
    french = await _search(resources, tenant, "alice", "le site est tombé ?", min_score=0.99)
    assert [h["content"] for h in french] == ["The well-known site x.com/a:b is down, O'Neil said"]
