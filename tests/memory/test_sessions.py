"""Sessions against the real PostgreSQL: a turn opens one, turns within the idle window extend it, a turn
after it opens a new one (times set explicitly), concurrent turns of one user share one open session,
and the consolidation of an ended session merges duplicates, puts single-valued keys back in message
order, learns what only the whole context shows, and writes nothing the second time."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.memories import NewMemory, render, save_memories
from memory.sessions import consolidate_session, duplicates, list_sessions, record_turn
from memory.threads import ensure_thread, insert_message
from memory.users import ensure_user

USER = "alice"
OPEN_SQL = "SELECT count(*) AS n FROM sessions WHERE tenant_id = %s AND user_id = %s AND ended_at IS NULL"
SESSION_SQL = "SELECT * FROM sessions WHERE id = %s"
MEMORIES_SQL = """
SELECT id, key, value, polarity, valid_until, superseded_by, source_message_id FROM memories
WHERE tenant_id = %s AND user_id = %s ORDER BY created_at, id"""


def _ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


async def _turn(resources, tenant: str, at: datetime, **counts: int) -> uuid.UUID:
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id=USER)
        return await record_turn(conn, tenant_id=tenant, user_id=USER, at=at, **counts)


async def _session(resources, tenant: str, session_id: uuid.UUID) -> dict:
    async with tenant_connection(resources.pool, tenant) as conn:
        return await (await conn.execute(SESSION_SQL, (session_id,))).fetchone()


async def _memories(resources, tenant: str) -> list[dict]:
    async with tenant_connection(resources.pool, tenant) as conn:
        return await (await conn.execute(MEMORIES_SQL, (tenant, USER))).fetchall()


def _current(rows: list[dict], key: str) -> list[str]:
    return sorted(r["value"] for r in rows if r["key"] == key and r["valid_until"] is None)


async def test_a_turn_opens_a_session_that_turns_within_the_window_extend(resources, tenant):
    start = _ago(180)
    first = await _turn(resources, tenant, start, learned=2)
    assert await _turn(resources, tenant, start + timedelta(minutes=10), updated=1) == first
    assert await _turn(resources, tenant, start + timedelta(minutes=40), forgotten=1) == first  # 30 after the last

    later = await _turn(resources, tenant, start + timedelta(minutes=71), learned=1)  # 31 minutes idle
    assert later != first
    old, new = await _session(resources, tenant, first), await _session(resources, tenant, later)
    assert (old["started_at"], old["last_turn_at"], old["ended_at"]) == (
        start, start + timedelta(minutes=40), start + timedelta(minutes=40))
    assert (old["turns"], old["learned"], old["updated"], old["forgotten"]) == (3, 2, 1, 1)
    assert (new["turns"], new["learned"], new["ended_at"]) == (1, 1, None)

    async with tenant_connection(resources.pool, tenant) as conn:
        listed = await list_sessions(conn, tenant_id=tenant, user_id=USER)
        assert [s["id"] for s in listed] == [later, first]  # newest first
        # the open one's last turn is 109 minutes old: it has ended too, at its last turn
        assert [(s["ended"], s["ended_at"]) for s in listed] == [
            (True, start + timedelta(minutes=71)), (True, start + timedelta(minutes=40))]
        assert not (await list_sessions(conn, tenant_id=tenant, user_id=USER, idle_minutes=200))[0]["ended"]
        assert (await (await conn.execute(OPEN_SQL, (tenant, USER))).fetchone())["n"] == 1


async def test_the_idle_window_is_a_setting(resources, tenant):
    start = _ago(60)
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id=USER)
        first = await record_turn(conn, tenant_id=tenant, user_id=USER, at=start, idle_minutes=5)
        same = await record_turn(conn, tenant_id=tenant, user_id=USER, at=start + timedelta(minutes=5), idle_minutes=5)
        other = await record_turn(conn, tenant_id=tenant, user_id=USER, at=start + timedelta(minutes=11),
                                  idle_minutes=5)
    assert first == same != other
    assert resources.settings.session_idle_minutes == 30


@pytest.mark.parametrize("earlier", [False, True], ids=["no-session", "idle-session"])
async def test_concurrent_turns_of_one_user_share_one_open_session(resources, tenant, earlier):
    """Four turns at once, with no session yet or with one past its window: each transaction stays open a
    while after recording, so the others run meanwhile; one session is opened and counts them all."""
    now = datetime.now(UTC)
    old = await _turn(resources, tenant, now - timedelta(hours=2)) if earlier else None
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id=USER)

    async def turn(i: int) -> uuid.UUID:
        async with tenant_connection(resources.pool, tenant) as conn:
            session_id = await record_turn(conn, tenant_id=tenant, user_id=USER, at=now + timedelta(seconds=i),
                                           learned=1)
            await asyncio.sleep(0.3)
            return session_id

    ids = await asyncio.gather(*(turn(i) for i in range(4)))
    assert len(set(ids)) == 1 and ids[0] != old
    session = await _session(resources, tenant, ids[0])
    assert (session["turns"], session["learned"], session["ended_at"]) == (4, 4, None)
    assert (session["started_at"], session["last_turn_at"]) == (now, now + timedelta(seconds=3))
    async with tenant_connection(resources.pool, tenant) as conn:
        assert (await (await conn.execute(OPEN_SQL, (tenant, USER))).fetchone())["n"] == 1
    if earlier:
        assert (await _session(resources, tenant, old))["ended_at"] is not None


# --- consolidation --------------------------------------------------------------------------------

async def _conversation(resources, tenant: str, start: datetime, turns: list[str], *, step: float = 5,
                        extracted: bool = True) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The user's turns in one thread, `step` minutes apart from `start`, each answered, each counted in
    the session: (session id, user message ids)."""
    thread = f"thread-{uuid.uuid4().hex}"
    ids, session_id = [], None
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id=USER)
        await ensure_thread(conn, tenant_id=tenant, user_id=USER, thread_id=thread)
        for i, text in enumerate(turns):
            at = start + timedelta(minutes=i * step)
            row = await insert_message(conn, tenant_id=tenant, user_id=USER, thread_id=thread, role="user",
                                       content=text, embedding=None, created_at=at,
                                       extracted_at=at if extracted else None)
            await insert_message(conn, tenant_id=tenant, user_id=USER, thread_id=thread, role="assistant",
                                 content=f"Noted ({i}).", embedding=None, created_at=at)
            ids.append(row["id"])
            session_id = await record_turn(conn, tenant_id=tenant, user_id=USER, at=at)
    return session_id, ids


async def _save(resources, tenant: str, memory: NewMemory, source: uuid.UUID | None = None) -> dict:
    [vector] = await aembed(resources.embedder, [render(memory.category, memory.key, memory.value, memory.polarity)])
    async with tenant_connection(resources.pool, tenant) as conn:
        await ensure_user(conn, tenant_id=tenant, user_id=USER)
        [row] = await save_memories(conn, tenant_id=tenant, user_id=USER, memories=[memory],
                                    embeddings=vector[None, :], source_message_id=source)
    return row


async def test_consolidation_merges_duplicates_and_restores_message_order_once(resources, tenant):
    older = await _save(resources, tenant, NewMemory("preference", "preference.drink", "Café"))  # before the session
    session_id, (m1, m2, m3) = await _conversation(resources, tenant, _ago(120), [
        "I live in Paris and I like jazz.", "Actually I moved to Lyon.", "I like cafe and tea, and jazz music."])
    # The jobs of m1 and m2 finished out of order: Paris, said first, was written last and is current.
    await _save(resources, tenant, NewMemory("profile", "profile.location", "Lyon"), m2)
    await _save(resources, tenant, NewMemory("profile", "profile.location", "Paris"), m1)
    jazz = await _save(resources, tenant, NewMemory("preference", "preference.music", "jazz"), m1)
    for key, value in (("preference.drink", "cafe"), ("preference.drink", "tea"), ("preference.music", "jazz music")):
        await _save(resources, tenant, NewMemory("preference", key, value), m3)
    before = await _memories(resources, tenant)
    assert _current(before, "profile.location") == ["Paris"]
    assert _current(before, "preference.drink") == ["Café", "cafe", "tea"]

    summary = await consolidate_session(resources, session_id=session_id, tenant_id=tenant)

    assert (summary["messages"], summary["reordered"], summary["merged"], summary["learned"]) == (3, 1, 2, 0)
    after = await _memories(resources, tenant)
    assert _current(after, "profile.location") == ["Lyon"]
    assert _current(after, "preference.drink") == ["Café", "tea"]
    assert _current(after, "preference.music") == ["jazz"]
    by_value = {(r["key"], r["value"], r["valid_until"] is None): r for r in after}
    lyon = by_value[("profile.location", "Lyon", True)]
    assert lyon["source_message_id"] == m2
    assert by_value[("profile.location", "Paris", False)]["superseded_by"] == lyon["id"]
    assert by_value[("preference.drink", "cafe", False)]["superseded_by"] == older["id"]
    assert by_value[("preference.music", "jazz music", False)]["superseded_by"] == jazz["id"]
    session = await _session(resources, tenant, session_id)
    assert session["consolidated_at"] is not None and session["consolidation"] == json.loads(json.dumps(summary))
    assert (session["learned"], session["updated"]) == (0, 3)

    # Again: the session is marked, nothing is written...
    assert await consolidate_session(resources, session_id=session_id, tenant_id=tenant) is None
    assert await _memories(resources, tenant) == after
    assert (await _session(resources, tenant, session_id))["consolidated_at"] == session["consolidated_at"]
    # ...and even unmarked, the work itself finds nothing left to do.
    async with tenant_connection(resources.pool, tenant) as conn:
        await conn.execute("UPDATE sessions SET consolidated_at = NULL WHERE id = %s", (session_id,))
    again = await consolidate_session(resources, session_id=session_id, tenant_id=tenant)
    assert {k: again[k] for k in ("reordered", "merged", "learned", "updated", "changes")} == {
        "reordered": 0, "merged": 0, "learned": 0, "updated": 0, "changes": []}
    assert await _memories(resources, tenant) == after


async def test_a_later_statement_is_never_undone(resources, tenant):
    """The session said Paris then Lyon; a correction after the session said Marseille: it stays."""
    session_id, (m1, m2) = await _conversation(resources, tenant, _ago(120), ["I live in Paris.", "I moved to Lyon."])
    await _save(resources, tenant, NewMemory("profile", "profile.location", "Lyon"), m2)
    await _save(resources, tenant, NewMemory("profile", "profile.location", "Paris"), m1)
    await _save(resources, tenant, NewMemory("profile", "profile.location", "Marseille"))  # by hand, now
    summary = await consolidate_session(resources, session_id=session_id, tenant_id=tenant)
    assert summary["reordered"] == 0
    assert _current(await _memories(resources, tenant), "profile.location") == ["Marseille"]


async def test_an_active_session_is_not_consolidated(resources, tenant):
    session_id, _ = await _conversation(resources, tenant, _ago(10), ["I live in Paris."])
    assert await consolidate_session(resources, session_id=session_id, tenant_id=tenant) is None
    session = await _session(resources, tenant, session_id)
    assert session["ended_at"] is None and session["consolidated_at"] is None
    assert await consolidate_session(resources, session_id=uuid.uuid4(), tenant_id=tenant) is None


class ContextModel(BaseChatModel):
    """An extraction model that reads "that city" as Lyon, but only when Lyon is in the turns it is shown."""

    @property
    def _llm_type(self) -> str:
        return "context-stub"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        prompt = str(messages[-1].content)
        earlier, _, latest = prompt.partition("Latest user message:")
        found = [{"category": "intent", "key": "intent.move", "value": "Lyon"}] if (
            "Lyon" in earlier and "that city" in latest) else []
        return ChatResult(generations=[ChatGeneration(message=AIMessage(json.dumps({"memories": found})))])


class WithModel:
    """The test resources with another extraction model."""

    def __init__(self, resources, model: BaseChatModel) -> None:
        self._resources, self._model = resources, model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resources, name)

    def extraction_model(self) -> BaseChatModel:
        return self._model


async def test_the_whole_context_catches_what_a_single_message_missed(resources, tenant):
    """The turn read "that city" with the two messages before it (the extraction model is shown at most
    four); Lyon is in the message before those."""
    res = WithModel(resources, ContextModel())
    session_id, (_, _, last) = await _conversation(resources, tenant, _ago(120), [
        "Lyon keeps coming up when I think about where to live.", "My job search is going fine.",
        "I have made up my mind about that city."])

    summary = await consolidate_session(res, session_id=session_id, tenant_id=tenant)

    assert (summary["learned"], summary["updated"]) == (1, 0)
    [learned] = [r for r in await _memories(resources, tenant) if r["key"] == "intent.move"]
    assert (learned["value"], learned["source_message_id"], learned["valid_until"]) == ("Lyon", last, None)
    assert (await _session(resources, tenant, session_id))["learned"] == 1


async def test_a_deleted_memory_does_not_come_back(resources, tenant):
    """What the turn's own context finds was the turn's to store: deleted since, it stays deleted."""
    res = WithModel(resources, ContextModel())
    session_id, _ = await _conversation(resources, tenant, _ago(120), [
        "My job search is going fine.", "Lyon keeps coming up when I think about where to live.",
        "I have made up my mind about that city."])  # Lyon within the turn's two earlier messages
    summary = await consolidate_session(res, session_id=session_id, tenant_id=tenant)
    assert summary["learned"] == 0 and not [r for r in await _memories(resources, tenant) if r["key"] == "intent.move"]


async def test_messages_still_waiting_for_extraction_are_extracted_first(resources, tenant):
    session_id, (m1,) = await _conversation(resources, tenant, _ago(120), ["I live in Oslo."], extracted=False)
    summary = await consolidate_session(resources, session_id=session_id, tenant_id=tenant)
    assert summary["extracted"] == 1
    [row] = await _memories(resources, tenant)
    assert (row["key"], row["value"], row["source_message_id"]) == ("profile.location", "Oslo", m1)


@pytest.mark.parametrize(("a", "b", "same"), [
    (("preference", "preference.drink", "Café"), ("preference", "preference.drink", "cafe"), True),
    (("preference", "preference.music", "jazz"), ("preference", "preference.music", "smooth jazz"), True),
    (("preference", "preference.food", "sushi"), ("preference", "preference.cuisine", "Sushi"), True),
    (("preference", "preference.art", "art"), ("preference", "preference.art", "smart art"), True),
    (("preference", "preference.art", "art"), ("preference", "preference.art", "smartphones"), False),
    (("profile", "profile.name", "Paris"), ("profile", "profile.location", "Paris"), False),
    (("preference", "preference.music", "jazz"), ("constraint", "constraint.music", "jazz"), False),
])
def test_what_counts_as_a_duplicate(a, b, same):
    row = lambda c, k, v, p="positive": {"category": c, "key": k, "value": v, "polarity": p}  # noqa: E731
    assert duplicates(row(*a), row(*b)) is same
    assert duplicates(row(*a), row(*b[:2], b[2], "negative")) is False
