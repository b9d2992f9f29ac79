"""Proactive hints through whole turns on real PostgreSQL and Redis: intent follow-ups, constraint
warnings, and feedback (dismissed, snoozed, applied) changing what the next turns offer."""

import uuid

from graphs.runner import run_turn
from memory.db import tenant_connection
from memory.hints import record_feedback
from memory.memories import NewMemory
from tests.conftest import save_for

MUSIC = "Any music recommendation for tonight?"


async def _remember(resources, principal, *memories: NewMemory) -> list[dict]:
    return await save_for(resources, principal.tenant_id, principal.user_id, *memories)


async def _hints(runtime, principal, message: str, thread: str | None = None) -> list[dict]:
    result = await run_turn(runtime.graph, message=message, thread_id=thread or str(uuid.uuid4()),
                            tenant_id=principal.tenant_id, user_id=principal.user_id)
    return result.hints


async def _feedback(resources, principal, hint: dict, action: str, snooze_seconds: float = 0) -> None:
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        assert await record_feedback(conn, tenant_id=principal.tenant_id, user_id=principal.user_id,
                                     hint_id=uuid.UUID(hint["id"]), action=action, snooze_seconds=snooze_seconds)


def _about(hints: list[dict], memory: dict) -> list[dict]:
    return [h for h in hints if h["memory_id"] == str(memory["id"])]


async def test_a_due_intent_is_followed_up_in_the_users_language(runtime, resources, principal):
    flight, sofa = await _remember(resources, principal, NewMemory("intent", "intent.travel", "book the flight"),
                                   NewMemory("intent", "intent.purchase", "replace the old sofa"))
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        await conn.execute("UPDATE memories SET due_at = now() - interval '1 hour' WHERE id = %s", (flight["id"],))
        await conn.execute("UPDATE memories SET due_at = now() + interval '1 day' WHERE id = %s", (sofa["id"],))
    english = await _hints(runtime, principal, "Hello, how are you today?")
    assert [(h["type"], h["text"]) for h in _about(english, flight)] == [
        ("intent_followup", "You said you would book the flight: did you?")]
    assert not _about(english, sofa)  # not due yet
    french = await _hints(runtime, principal, "Bonjour, comment ça va aujourd'hui ?")
    assert [h["text"] for h in _about(french, flight)] == [
        "Vous aviez dit que vous alliez book the flight : c'est fait ?"]


async def test_a_request_against_a_constraint_is_warned(runtime, resources, principal):
    [diet] = await _remember(resources, principal, NewMemory("constraint", "constraint.diet", "vegetarian"))
    [warning] = _about(await _hints(runtime, principal, "Give me a good steak recipe"), diet)
    assert warning["type"] == "constraint_warning"
    assert warning["text"] == "Careful, this may go against your constraint: vegetarian."


async def test_a_hint_is_not_repeated_on_every_turn_of_a_thread(runtime, resources, principal):
    [jazz] = await _remember(resources, principal, NewMemory("preference", "preference.music", "jazz"))
    thread = str(uuid.uuid4())
    assert _about(await _hints(runtime, principal, MUSIC, thread), jazz)
    assert not _about(await _hints(runtime, principal, MUSIC, thread), jazz)
    assert _about(await _hints(runtime, principal, MUSIC), jazz)  # another thread


async def test_a_dismissed_hints_memory_does_not_come_back(runtime, resources, principal):
    [jazz] = await _remember(resources, principal, NewMemory("preference", "preference.music", "jazz"))
    [shown] = _about(await _hints(runtime, principal, MUSIC), jazz)
    await _feedback(resources, principal, shown, "dismissed")
    assert not _about(await _hints(runtime, principal, MUSIC), jazz)
    assert not _about(await _hints(runtime, principal, "What jazz album should I play?"), jazz)


async def test_a_snoozed_hint_comes_back_after_the_snooze(runtime, resources, principal):
    [jazz] = await _remember(resources, principal, NewMemory("preference", "preference.music", "jazz"))
    [shown] = _about(await _hints(runtime, principal, MUSIC), jazz)
    await _feedback(resources, principal, shown, "snoozed", snooze_seconds=3600)
    assert not _about(await _hints(runtime, principal, MUSIC), jazz)
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        await conn.execute("UPDATE hints SET snoozed_until = now() - interval '1 second' WHERE id = %s",
                           (shown["id"],))
    assert _about(await _hints(runtime, principal, MUSIC), jazz)


async def test_an_applied_hint_scores_higher_next_time(runtime, resources, principal):
    [jazz] = await _remember(resources, principal, NewMemory("preference", "preference.music", "jazz"))
    [before] = _about(await _hints(runtime, principal, MUSIC), jazz)
    await _feedback(resources, principal, before, "applied")
    [after] = _about(await _hints(runtime, principal, MUSIC), jazz)
    assert after["score"] > before["score"]


async def test_feedback_only_reaches_the_callers_own_hints(runtime, resources, principal):
    [jazz] = await _remember(resources, principal, NewMemory("preference", "preference.music", "jazz"))
    [shown] = _about(await _hints(runtime, principal, MUSIC), jazz)
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        assert await record_feedback(conn, tenant_id=principal.tenant_id, user_id="bob",
                                     hint_id=uuid.UUID(shown["id"]), action="dismissed") is None
    assert _about(await _hints(runtime, principal, MUSIC), jazz)


async def test_at_most_three_hints(runtime, resources, principal):
    await _remember(resources, principal, *(NewMemory("preference", "preference.music", v)
                                            for v in ("jazz", "blues", "opera", "rock", "soul")))
    hints = await _hints(runtime, principal, MUSIC)
    assert len(hints) == 3 and [h["score"] for h in hints] == sorted((h["score"] for h in hints), reverse=True)
