from datetime import UTC, datetime, timedelta

import pytest

from memory.cache import read_user_memories
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.memories import (
    NewMemory,
    NotCurrent,
    correct_memory,
    forget_memories,
    list_memories,
)
from tests.conftest import save_for


async def _save(resources, principal, *memories: NewMemory):
    return await save_for(resources, principal.tenant_id, principal.user_id, *memories)


async def _current(resources, principal, **kw):
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
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
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        mine = (await read_user_memories(conn, tenant_id=principal.tenant_id, user_id=principal.user_id)).context
        other = (await read_user_memories(conn, tenant_id=principal.tenant_id, user_id="bob")).context
        other_tenant = (await read_user_memories(conn, tenant_id="someone-else", user_id=principal.user_id)).context
    assert [m["value"] for m in mine] == ["peanuts"]
    assert other == [] and other_tenant == []


async def _forget(resources, principal, phrase):
    [vector] = await aembed(resources.embedder, [phrase])
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        return await forget_memories(conn, tenant_id=principal.tenant_id, user_id=principal.user_id,
                                     phrase=phrase, embedding=vector)


async def test_temporary_state_is_kept_apart_from_the_lasting_one(resources, principal):
    week = datetime.now(UTC) + timedelta(days=5)
    await _save(resources, principal, NewMemory("profile", "profile.location", "Nantes"))
    await _save(resources, principal, NewMemory("fact", "fact.temporary_location", "Lisbonne", expires_at=week))
    current = {m["key"]: m for m in await _current(resources, principal)}
    assert current["profile.location"]["value"] == "Nantes"
    assert current["fact.temporary_location"]["expires_at"] == week


async def test_expired_temporary_state_is_not_current_and_can_be_stated_again(resources, principal):
    past = datetime.now(UTC) - timedelta(hours=1)
    await _save(resources, principal, NewMemory("fact", "fact.temporary_location", "Porto", expires_at=past))
    assert await _current(resources, principal) == []
    [again] = await _save(resources, principal, NewMemory("fact", "fact.temporary_location", "Porto",
                                                          expires_at=datetime.now(UTC) + timedelta(days=1)))
    assert [m["id"] for m in await _current(resources, principal)] == [again["id"]]


async def test_lasting_location_ends_the_temporary_one(resources, principal):
    soon = datetime.now(UTC) + timedelta(days=20)
    await _save(resources, principal, NewMemory("fact", "fact.temporary_location", "Bali", expires_at=soon))
    await _save(resources, principal, NewMemory("profile", "profile.location", "Perpignan"))
    assert [m["value"] for m in await _current(resources, principal)] == ["Perpignan"]


async def test_forget_deletes_current_and_past_rows_about_the_topic(resources, principal):
    await _save(resources, principal, NewMemory("preference", "preference.music", "rap", "negative"))
    await _save(resources, principal, NewMemory("preference", "preference.music", "rap"))  # flips: history kept
    await _save(resources, principal, NewMemory("profile", "profile.location", "Rennes"))
    deleted = await _forget(resources, principal, "le rap")
    assert sorted(d["value"] for d in deleted) == ["rap", "rap"]
    history = await _current(resources, principal, include_superseded=True)
    assert [m["value"] for m in history] == ["Rennes"]


async def test_forget_finds_a_memory_by_meaning(resources, principal):
    await _save(resources, principal, NewMemory("fact", "fact.health", "depression"))
    await _save(resources, principal, NewMemory("preference", "preference.sport", "climbing"))
    deleted = await _forget(resources, principal, "the depression thing")
    assert [d["value"] for d in deleted] == ["depression"]
    assert [m["value"] for m in await _current(resources, principal)] == ["climbing"]


async def test_forget_of_an_unknown_topic_deletes_nothing(resources, principal):
    await _save(resources, principal, NewMemory("profile", "profile.occupation", "nurse"))
    assert await _forget(resources, principal, "my divorce") == []
    assert len(await _current(resources, principal)) == 1


async def test_correction_supersedes_and_records_old_and_new_value(resources, principal):
    [old] = await _save(resources, principal, NewMemory("profile", "profile.age", "43"))
    new = NewMemory("profile", "profile.age", "34")
    [vector] = await aembed(resources.embedder, ["User's age: 34"])
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        row = await correct_memory(conn, **owner, memory_id=old["id"], new=new, embedding=vector, reason="typo")
        audit = await (await conn.execute(
            "SELECT old_value, new_value, memory_id, new_memory_id, reason FROM memory_corrections"
            " WHERE tenant_id = %s AND user_id = %s", (principal.tenant_id, principal.user_id))).fetchall()
    assert row["value"] == "34" and row["correction"]["old_value"] == "43"
    assert audit == [{"old_value": "43", "new_value": "34", "memory_id": old["id"], "new_memory_id": row["id"],
                      "reason": "typo"}]
    history = {m["value"]: m for m in await _current(resources, principal, include_superseded=True)}
    assert history["43"]["superseded_by"] == row["id"] and history["34"]["valid_until"] is None
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        with pytest.raises(NotCurrent):
            await correct_memory(conn, **owner, memory_id=old["id"], new=new, embedding=vector)


async def test_a_learned_restatement_under_another_key_writes_nothing(resources, principal):
    await _save(resources, principal, NewMemory("constraint", "constraint.diet", "vegan"))
    learned = {"extractor": "learned"}
    again = await _save(resources, principal,
                        NewMemory("constraint", "constraint.still", "still vegan", metadata=learned))
    assert again == []
    other = await _save(resources, principal,
                        NewMemory("constraint", "constraint.allergy", "peanuts", metadata=learned))
    assert [m["value"] for m in other] == ["peanuts"]
    ruled = await _save(resources, principal, NewMemory("constraint", "constraint.diet_note", "strict vegan"))
    assert [m["value"] for m in ruled] == ["strict vegan"]  # the rules' keys are trusted as they are
