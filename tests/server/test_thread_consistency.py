"""The history the model sees is exactly the thread's stored turns, whatever failed between the turn's commit
and its checkpoint, and two turns on one thread never both commit, with or without the Redis turn lock (real
PostgreSQL and Redis, fake model)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from psycopg import OperationalError

from graphs.runner import run_turn
from memory.db import tenant_connection
from memory.threads import message_uuid
from nodes.load_memory import reconcile
from server.turn_lock import TurnLocks
from tests.server.test_chat_robustness import _assert_consistent, _new_thread, _thread_messages

STORED_IDS_SQL = "SELECT id FROM messages WHERE thread_id = %s ORDER BY seq"


@pytest.fixture
def slow_model(runtime, monkeypatch):
    """Each word 20 ms apart, so concurrent turns overlap."""
    monkeypatch.setattr(runtime.resources.chat_model().candidates[0].model, "latency_s", 0.02)


def _dead_redis() -> aioredis.Redis:
    return aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)


class TurnPerProcess:
    """Turn locks on a Redis that is down, each turn through its own TurnLocks: as if every request came
    to another API process, so nothing but the commit's compare-and-set stands between them."""

    def __init__(self) -> None:
        self.redis = _dead_redis()

    async def acquire(self, thread_id: str):
        return await TurnLocks(self.redis).acquire(thread_id)


@pytest.fixture
def no_turn_lock(runtime, monkeypatch):
    monkeypatch.setattr(runtime, "locks", TurnPerProcess())


def _human(text: str, id_: str) -> HumanMessage:
    return HumanMessage(content=text, id=id_)


def test_reconcile_keeps_a_checkpoint_that_matches_the_stored_window():
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    window = [_human("hi", a), AIMessage(content="hello", id=b)]
    assert reconcile(list(window), window, [_human("next", "new")], "t") == []


def test_reconcile_drops_messages_older_than_the_window():
    old, a, b = (str(uuid.uuid4()) for _ in range(3))
    earlier = [_human("old", old), _human("hi", a), AIMessage(content="hello", id=b)]
    changes = reconcile(earlier, earlier[1:], [_human("next", "new")], "t")
    assert [(type(c), c.id) for c in changes] == [(RemoveMessage, old)]


def test_reconcile_rewrites_a_checkpoint_that_lost_a_turn_or_kept_an_orphan():
    a, b, orphan = (str(uuid.uuid4()) for _ in range(3))
    window = [_human("hi", a), AIMessage(content="hello", id=b)]
    turn_input = [_human("next", "new")]
    for earlier in ([], [_human("hi", a), AIMessage(content="hello", id=b), _human("lost", orphan)]):
        changes = reconcile(earlier, window, turn_input, "t")
        assert changes[0].id == REMOVE_ALL_MESSAGES and changes[1:] == [*window, *turn_input]


def test_message_ids_that_are_not_uuids_map_to_one_stable_row_id_per_thread():
    assert message_uuid("run-abc", "t1") == message_uuid("run-abc", "t1") != message_uuid("run-abc", "t2")
    row = uuid.uuid4()
    assert message_uuid(str(row), "t1") == row


async def test_stored_messages_carry_their_checkpoint_ids(client, auth, runtime, resources, principal):
    thread_id = await _new_thread(client, auth)
    state = await runtime.graph.aget_state({"configurable": {"thread_id": thread_id}})
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        stored = [r["id"] for r in await (await conn.execute(STORED_IDS_SQL, (thread_id,))).fetchall()]
    assert [message_uuid(m.id, thread_id) for m in state.values["messages"]] == stored


async def test_turn_whose_checkpoint_write_fails_is_answered_and_restored_by_the_next(
    client, auth, runtime, resources, principal, monkeypatch,
):
    thread_id = await _new_thread(client, auth)
    saver = runtime.resources.checkpointer

    async def unreachable(*args, **kwargs):
        raise OperationalError("the server closed the connection unexpectedly")

    monkeypatch.setattr(saver, "aput", unreachable)
    r = await client.post("/v1/chat", json={"message": "I live in Nantes.", "thread_id": thread_id}, headers=auth)
    monkeypatch.undo()
    assert r.status_code == 200  # stored: an error here would invite a retry that stores it twice
    stored = await _thread_messages(resources, principal, thread_id)
    assert stored[-2] == ("user", "I live in Nantes.") and stored[-1][0] == "assistant"
    state = await runtime.graph.aget_state({"configurable": {"thread_id": thread_id}})
    assert "I live in Nantes." not in [m.content for m in state.values["messages"]]  # the write really failed

    result = await run_turn(runtime.graph, message="Where do I live?", thread_id=thread_id,
                            tenant_id=principal.tenant_id, user_id=principal.user_id)
    state = await runtime.graph.aget_state({"configurable": {"thread_id": thread_id}})
    assert "I live in Nantes." in [m.content for m in state.values["messages"]]  # the model saw the turn
    assert result.reply
    await _assert_consistent(runtime, resources, principal, thread_id, turns=3)


async def test_failed_turn_leaves_nothing_in_the_next_history(client, auth, runtime, resources, principal,
                                                            monkeypatch):
    thread_id = await _new_thread(client, auth)
    model = runtime.resources.chat_model().candidates[0].model

    def broken(*args, **kwargs):  # raises as it is called, for the coroutine and the stream alike
        raise RuntimeError("model crashed")

    monkeypatch.setattr(type(model), "_agenerate", broken)
    monkeypatch.setattr(type(model), "_astream", broken)
    r = await client.post("/v1/chat", json={"message": "This one fails.", "thread_id": thread_id}, headers=auth)
    monkeypatch.undo()
    assert r.status_code >= 500
    r = await client.post("/v1/chat", json={"message": "This one works.", "thread_id": thread_id}, headers=auth)
    assert r.status_code == 200
    state = await runtime.graph.aget_state({"configurable": {"thread_id": thread_id}})
    assert "This one fails." not in [m.content for m in state.values["messages"]]
    await _assert_consistent(runtime, resources, principal, thread_id, turns=2)


async def test_without_the_redis_lock_concurrent_turns_never_both_commit(
    client, auth, runtime, resources, principal, slow_model, no_turn_lock,
):
    thread_id = await _new_thread(client, auth)
    answers = await asyncio.gather(*(
        client.post("/v1/chat", json={"message": f"Fact number {i}.", "thread_id": thread_id}, headers=auth)
        for i in range(6)
    ))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 409} and 200 in statuses and 409 in statuses  # the turns did overlap
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["error"]["code"] == "conflict" and int(refused.headers["retry-after"]) >= 1
    # The checkpoint may lag the table until the next turn: a loser's checkpoint can land last.
    r = await client.post("/v1/chat", json={"message": "Anything else?", "thread_id": thread_id}, headers=auth)
    assert r.status_code == 200
    await _assert_consistent(runtime, resources, principal, thread_id, turns=2 + statuses.count(200))


async def test_with_redis_down_one_process_still_runs_one_turn_per_thread(
    client, auth, runtime, resources, principal, slow_model, monkeypatch,
):
    monkeypatch.setattr(runtime, "locks", TurnLocks(_dead_redis()))
    thread_id = await _new_thread(client, auth)
    answers = await asyncio.gather(*(
        client.post("/v1/chat", json={"message": f"Local {i}.", "thread_id": thread_id}, headers=auth)
        for i in range(4)
    ))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409, 409, 409]  # refused before running, not after a wasted turn
    await _assert_consistent(runtime, resources, principal, thread_id, turns=2)


async def test_without_the_redis_lock_a_stream_refused_at_commit_says_so(
    client, auth, runtime, resources, principal, slow_model, no_turn_lock,
):
    thread_id = await _new_thread(client, auth)
    answers = await asyncio.gather(*(
        client.post("/v1/chat", json={"message": f"Streamed {i}.", "thread_id": thread_id, "stream": True},
                    headers=auth)
        for i in range(4)
    ))
    ends = [a.text.strip().splitlines()[0] for a in answers]
    assert all(a.status_code == 200 for a in answers)
    done = sum("event: done" in a.text for a in answers)
    refused = sum('"conflict"' in a.text for a in answers)
    assert done >= 1 and done + refused == 4, ends
    r = await client.post("/v1/chat", json={"message": "Still here?", "thread_id": thread_id}, headers=auth)
    assert r.status_code == 200
    await _assert_consistent(runtime, resources, principal, thread_id, turns=2 + done)
