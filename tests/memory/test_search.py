import uuid

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
    async with resources.pool.connection() as conn, conn.transaction():
        await ensure_user(conn, **owner)
        await ensure_thread(conn, **owner, thread_id=thread_id)
        for text, vec in zip(messages, msg_vecs, strict=True):
            await insert_message(conn, **owner, thread_id=thread_id, role="user", content=text, embedding=vec)
        if memories:
            await save_memories(conn, **owner, memories=list(memories), embeddings=mem_vecs)
    return thread_id


async def _search(resources, tenant, user, text, **kw):
    [vec] = await aembed(resources.embedder, [text])
    async with resources.pool.connection() as conn:
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
