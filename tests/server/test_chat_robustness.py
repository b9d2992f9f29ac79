"""Chat that survives retries, races and disconnects: the per-thread turn lock (409), Idempotency-Key on
chat and import, and a streamed turn whose client leaves after the first token (real PostgreSQL, Redis
and, for the disconnect, a real HTTP server)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from core.tasks import TaskSet
from memory.db import tenant_connection
from memory.idempotency import claim_key, release_key, request_hash
from models.fake import FakeChatModel
from server.schemas import ChatRequest
from server.turn_lock import ThreadBusy, TurnLocks
from tests.conftest import key_headers, sse_events

THREAD_MESSAGES_SQL = "SELECT role, content FROM messages WHERE thread_id = %s ORDER BY seq"
THREADS_SQL = "SELECT count(*) AS n FROM threads WHERE tenant_id = %s AND user_id = %s"
CALLER_MESSAGES_SQL = "SELECT count(*) AS n FROM messages WHERE tenant_id = %s AND user_id = %s"
CHECKPOINT_ROLES = {"human": "user", "ai": "assistant"}


@pytest.fixture
def slow_model(runtime, monkeypatch):
    """The fake model streams a word every 50 ms, so concurrent turns overlap and a client can leave
    while a turn still generates."""
    monkeypatch.setattr(runtime.resources.chat_model().candidates[0].model, "latency_s", 0.05)


async def _rows(resources, principal, sql: str, *params) -> list[dict]:
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        return await (await conn.execute(sql, params)).fetchall()


async def _thread_messages(resources, principal, thread_id: str) -> list[tuple[str, str]]:
    return [(r["role"], r["content"]) for r in await _rows(resources, principal, THREAD_MESSAGES_SQL, thread_id)]


async def _checkpoint_messages(runtime, thread_id: str) -> list[tuple[str, str]]:
    state = await runtime.graph.aget_state({"configurable": {"thread_id": thread_id}})
    return [(CHECKPOINT_ROLES[m.type], m.content) for m in state.values.get("messages", [])]


async def _count(resources, principal, sql: str) -> int:
    return (await _rows(resources, principal, sql, principal.tenant_id, principal.user_id))[0]["n"]


async def _new_thread(client, auth) -> str:
    r = await client.post("/v1/chat", json={"message": "Hello, I am planning a trip."}, headers=auth)
    assert r.status_code == 200
    return r.json()["thread_id"]


async def _assert_consistent(runtime, resources, principal, thread_id: str, turns: int) -> None:
    """`turns` whole turns, user then assistant each, and the checkpoint holds exactly the stored messages."""
    stored = await _thread_messages(resources, principal, thread_id)
    assert [role for role, _ in stored] == ["user", "assistant"] * turns
    assert await _checkpoint_messages(runtime, thread_id) == stored


# --- one turn at a time per thread -----------------------------------------------------------------

async def test_turn_on_a_busy_thread_is_409_with_retry_after(client, auth, runtime, resources, principal):
    thread_id = await _new_thread(client, auth)
    held = await runtime.locks.acquire(thread_id)  # another process's turn, as far as the API can tell
    try:
        for stream in (False, True):
            r = await client.post("/v1/chat", json={"message": "Still there?", "thread_id": thread_id,
                                                    "stream": stream}, headers=auth)
            assert r.status_code == 409
            assert r.json()["error"]["code"] == "conflict"
            assert int(r.headers["retry-after"]) >= 1
    finally:
        await held.release()
    r = await client.post("/v1/chat", json={"message": "Still there?", "thread_id": thread_id}, headers=auth)
    assert r.status_code == 200
    await _assert_consistent(runtime, resources, principal, thread_id, turns=2)


async def test_concurrent_turns_on_one_thread_never_interleave(client, auth, runtime, resources, principal,
                                                               slow_model):
    thread_id = await _new_thread(client, auth)
    first, second = await asyncio.gather(*(
        client.post("/v1/chat", json={"message": text, "thread_id": thread_id}, headers=auth)
        for text in ("I like trains.", "I also like boats.")
    ))
    statuses = sorted([first.status_code, second.status_code])
    assert statuses in ([200, 200], [200, 409])
    await _assert_consistent(runtime, resources, principal, thread_id, turns=1 + statuses.count(200))
    r = await client.post("/v1/chat", json={"message": "And planes.", "thread_id": thread_id}, headers=auth)
    assert r.status_code == 200
    await _assert_consistent(runtime, resources, principal, thread_id, turns=2 + statuses.count(200))


async def test_turns_on_different_threads_run_side_by_side(client, auth, runtime, resources, principal,
                                                           slow_model):
    threads = [await _new_thread(client, auth) for _ in range(2)]
    answers = await asyncio.gather(*(
        client.post("/v1/chat", json={"message": "What next?", "thread_id": t}, headers=auth) for t in threads
    ))
    assert [a.status_code for a in answers] == [200, 200]
    for thread_id in threads:
        await _assert_consistent(runtime, resources, principal, thread_id, turns=2)


async def test_waiting_locks_serialize_instead_of_refusing(resources):
    thread_id = f"lock-{uuid.uuid4().hex}"
    refusing = TurnLocks(resources.redis, ttl_seconds=5)
    waiting = TurnLocks(resources.redis, ttl_seconds=5, wait_seconds=10)
    order: list[str] = []

    async def turn(name: str, locks: TurnLocks) -> None:
        async with locks.hold(thread_id):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    held = await refusing.acquire(thread_id)
    with pytest.raises(ThreadBusy):
        await refusing.acquire(thread_id)
    await held.release()
    await asyncio.gather(turn("a", waiting), turn("b", waiting))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_shutdown_waits_for_turns_then_cancels_the_rest():
    tasks = TaskSet()
    done = tasks.start(asyncio.sleep(0.05, result="done"), name="short")
    stuck = tasks.start(asyncio.sleep(3600), name="stuck")
    assert tasks.running == 2
    assert await tasks.drain(grace=2) == 1
    assert done.result() == "done" and stuck.cancelled() and tasks.running == 0


# --- Idempotency-Key --------------------------------------------------------------------------------

async def test_chat_retried_with_same_key_answers_the_first_turn(client, auth, runtime, resources, principal):
    headers = {**auth, "Idempotency-Key": "chat-retry-1"}
    body = {"message": "I'm vegetarian and I live in Lyon."}
    first = await client.post("/v1/chat", json=body, headers=headers)
    again = await client.post("/v1/chat", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await _count(resources, principal, THREADS_SQL) == 1
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 2
    await _assert_consistent(runtime, resources, principal, first.json()["thread_id"], turns=1)


async def test_streamed_turn_retried_replays_the_stream(client, auth, resources, principal):
    headers = {**auth, "Idempotency-Key": "stream-retry-1"}
    body = {"message": "I love jazz. Any album for tonight?", "stream": True}
    first = sse_events((await client.post("/v1/chat", json=body, headers=headers)).text)
    again = await client.post("/v1/chat", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    replayed = sse_events(again.text)
    assert first[-1][0] == replayed[-1][0] == "done"
    assert replayed[-1][1] == first[-1][1]
    assert [e for e in replayed if e[0] in ("hint", "memory")] == [e for e in first if e[0] in ("hint", "memory")]
    assert [d["text"] for k, d in replayed if k == "token"] == [first[-1][1]["reply"]]
    as_json = await client.post("/v1/chat", json={**body, "stream": False}, headers=headers)
    assert as_json.json() == first[-1][1]
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 2


async def test_same_key_with_another_body_is_422(client, auth, resources, principal):
    headers = {**auth, "Idempotency-Key": "reused"}
    assert (await client.post("/v1/chat", json={"message": "One."}, headers=headers)).status_code == 200
    r = await client.post("/v1/chat", json={"message": "Two."}, headers=headers)
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["error"]["message"]
    r = await client.post("/v1/threads/import", json={"messages": [{"role": "user", "content": "One."}]},
                          headers=headers)
    assert r.status_code == 422
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 2


async def test_same_key_while_the_first_request_runs_is_409(client, auth, resources, principal):
    body = {"message": "Book me a table."}
    digest = request_hash("chat", ChatRequest(**body).model_dump(mode="json", exclude={"stream"}))
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        claim = await claim_key(conn, tenant_id=principal.tenant_id, user_id=principal.user_id, key="busy-key",
                                hash_=digest)
    assert claim.outcome == "new"
    r = await client.post("/v1/chat", json=body, headers={**auth, "Idempotency-Key": "busy-key"})
    assert r.status_code == 409 and int(r.headers["retry-after"]) >= 1
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        await release_key(conn, claim.ref)  # the first request failed before committing
    r = await client.post("/v1/chat", json=body, headers={**auth, "Idempotency-Key": "busy-key"})
    assert r.status_code == 200
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 2


async def test_failed_turn_frees_its_key_for_the_retry(client, auth, resources, principal, monkeypatch):
    headers = {**auth, "Idempotency-Key": "fails-once"}
    body = {"message": "Plan my week.", "stream": True}

    async def broken(self, *args, **kwargs):
        raise RuntimeError("model down")
        yield  # an async generator, like the method it replaces

    with monkeypatch.context() as patch:
        patch.setattr(FakeChatModel, "_astream", broken)
        patch.setattr(FakeChatModel, "_agenerate", broken)
        failed = sse_events((await client.post("/v1/chat", json=body, headers=headers)).text)
    assert [kind for kind, _ in failed] == ["error"]
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 0
    retried = await client.post("/v1/chat", json=body, headers=headers)
    assert "idempotent-replayed" not in retried.headers and sse_events(retried.text)[-1][0] == "done"
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 2


async def test_keys_belong_to_their_caller(client, auth, resources, tenant):
    other = {**await key_headers(resources, tenant, "bob"), "Idempotency-Key": "shared"}
    mine = {**auth, "Idempotency-Key": "shared"}
    body = {"message": "Hello."}
    a = (await client.post("/v1/chat", json=body, headers=mine)).json()
    b = await client.post("/v1/chat", json=body, headers=other)
    assert b.status_code == 200 and "idempotent-replayed" not in b.headers
    assert b.json()["thread_id"] != a["thread_id"]


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_bad_idempotency_key_is_422(client, auth, key):
    r = await client.post("/v1/chat", json={"message": "Hello."}, headers={**auth, "Idempotency-Key": key})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


async def test_import_retried_with_same_key_imports_once(client, auth, resources, principal):
    headers = {**auth, "Idempotency-Key": "import-1"}
    body = {"title": "Old chat", "extract": True,
            "messages": [{"role": "user", "content": "I moved to Berlin last year."},
                         {"role": "assistant", "content": "Nice, how do you like it?"}]}
    first = await client.post("/v1/threads/import", json=body, headers=headers)
    again = await client.post("/v1/threads/import", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await _count(resources, principal, THREADS_SQL) == 1
    assert await _count(resources, principal, CALLER_MESSAGES_SQL) == 2


# --- a client that leaves mid-stream ----------------------------------------------------------------

async def test_client_leaving_after_first_token_leaves_a_whole_turn(live_url, runtime, resources, principal, auth,
                                                                    slow_model):
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        thread_id = (await http.post("/v1/chat", json={"message": "Hi!"}, headers=auth)).json()["thread_id"]
        body = {"message": "I live in Lyon and I love cycling.", "thread_id": thread_id, "stream": True}
        async with http.stream("POST", "/v1/chat", json=body, headers=auth) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                if line.startswith("event: token"):
                    break  # leaving the block drops the connection with the reply half sent
        assert runtime.turns.running >= 1  # the turn outlived its request
        assert await runtime.turns.wait(timeout=60)

        stored = await _thread_messages(resources, principal, thread_id)
        assert stored[2][0] == "user" and stored[2][1] == body["message"]
        assert stored[3][0] == "assistant" and stored[3][1].startswith('You said: "I live in Lyon')
        await _assert_consistent(runtime, resources, principal, thread_id, turns=2)
        listed = (await http.get(f"/v1/threads/{thread_id}/messages", headers=auth)).json()["items"]
        assert [m["content"] for m in listed] == [content for _, content in stored]

        r = await http.post("/v1/chat", json={"message": "Any ride for Sunday?", "thread_id": thread_id},
                            headers=auth)
        assert r.status_code == 200
        await _assert_consistent(runtime, resources, principal, thread_id, turns=3)


async def test_imported_metadata_never_breaks_the_next_turns_checkpoint(client, auth, runtime, principal):
    """Imported metadata is any JSON; a hit that carries it must not make the checkpoint unwritable (an
    integer past 64 bits did: TypeError in LangGraph's serializer after the turn was stored)."""
    imported = await client.post("/v1/threads/import", headers=auth, json={"messages": [
        {"role": "assistant", "content": "Quillbrook harbour ferries leave at dawn.",
         "metadata": {"ticket": 2**70, "role": "user", "nested": {"big": -(2**80)}}}]})
    assert imported.status_code == 201
    question = "When do the Quillbrook harbour ferries leave?"
    answer = await client.post("/v1/chat", headers=auth, json={"message": question})
    assert answer.status_code == 200
    config = {"configurable": {"thread_id": answer.json()["thread_id"], "tenant_id": principal.tenant_id,
                               "user_id": principal.user_id}}
    saved = await runtime.graph.checkpointer.aget_tuple(config)
    assert saved is not None, "the turn's checkpoint was not written"
    [hit] = [h for h in saved.checkpoint["channel_values"]["retrieved"] if "Quillbrook" in h["content"]]
    assert hit["metadata"] == {"role": "assistant"}  # the row's role, not the metadata's claim
    search = await client.post("/v1/search", headers=auth, json={"query": "Quillbrook ferries", "types": ["message"]})
    [found] = [r for r in search.json()["results"] if "dawn" in r["content"]]
    assert found["metadata"]["role"] == "assistant" and found["metadata"]["ticket"] == 2**70  # kept in the API
