from memory.embeddings import aembed
from memory.memories import NewMemory, context_memories, list_memories, render, save_memories
from memory.users import ensure_user


async def _save(resources, principal, *memories: NewMemory):
    vectors = await aembed(resources.embedder, [render(m.category, m.key, m.value, m.polarity) for m in memories])
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    async with resources.pool.connection() as conn, conn.transaction():
        await ensure_user(conn, **owner)
        return await save_memories(conn, **owner, memories=list(memories), embeddings=vectors)


async def _current(resources, principal, **kw):
    async with resources.pool.connection() as conn:
        return await list_memories(conn, tenant_id=principal.tenant_id, user_id=principal.user_id, **kw)


async def test_add_then_restatement_writes_nothing(resources, principal):
    jazz = NewMemory("preference", "preference.music", "jazz")
    assert [w["action"] for w in await _save(resources, principal, jazz)] == ["added"]
    assert await _save(resources, principal, NewMemory("preference", "preference.music", "Jazz")) == []
    assert [m["value"] for m in await _current(resources, principal)] == ["jazz"]


async def test_multi_valued_key_keeps_both_values(resources, principal):
    await _save(resources, principal, NewMemory("preference", "preference.music", "jazz"))
    await _save(resources, principal, NewMemory("preference", "preference.music", "rock"))
    assert sorted(m["value"] for m in await _current(resources, principal)) == ["jazz", "rock"]


async def test_single_valued_key_supersedes_and_keeps_history(resources, principal):
    [old] = await _save(resources, principal, NewMemory("profile", "profile.location", "Lyon"))
    [new] = await _save(resources, principal, NewMemory("profile", "profile.location", "Paris"))
    assert new["action"] == "updated" and new["supersedes"] == [old["id"]]
    assert [m["value"] for m in await _current(resources, principal)] == ["Paris"]
    history = await _current(resources, principal, include_superseded=True)
    by_value = {m["value"]: m for m in history}
    assert by_value["Lyon"]["superseded_by"] == new["id"] and by_value["Lyon"]["valid_until"] is not None
    assert by_value["Paris"]["valid_until"] is None


async def test_polarity_flip_supersedes_same_value(resources, principal):
    await _save(resources, principal, NewMemory("preference", "preference.drink", "coffee"))
    [flip] = await _save(resources, principal, NewMemory("preference", "preference.drink", "coffee", "negative"))
    assert flip["action"] == "updated"
    [current] = await _current(resources, principal)
    assert current["polarity"] == "negative"


async def test_context_set_is_per_user(resources, principal):
    await _save(resources, principal, NewMemory("constraint", "constraint.allergy", "peanuts"))
    async with resources.pool.connection() as conn:
        mine = await context_memories(conn, tenant_id=principal.tenant_id, user_id=principal.user_id)
        other = await context_memories(conn, tenant_id=principal.tenant_id, user_id="bob")
        other_tenant = await context_memories(conn, tenant_id="someone-else", user_id=principal.user_id)
    assert [m["value"] for m in mine] == ["peanuts"]
    assert other == [] and other_tenant == []
