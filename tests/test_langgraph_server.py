"""`langgraph dev` serves the turn graph, our REST app and the PostgreSQL checkpointer together; the
LangGraph SDK drives it with Mnemo API keys (server/langgraph_auth.py)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from tests.conftest import make_key

ROOT = Path(__file__).resolve().parent.parent
LANGGRAPH = str(Path(sys.executable).with_name("langgraph"))

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def langgraph_server(runtime):  # runtime: the embedded services are up, this process keeps them alive
    port = _free_port()
    env = {**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false"}
    log = open(ROOT / ".pytest_langgraph_dev.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([LANGGRAPH, "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ok", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    else:
        proc.kill()
    if proc.poll() is not None:
        log.close()
        pytest.fail("langgraph dev did not start:\n" + (ROOT / ".pytest_langgraph_dev.log").read_text()[-3000:])
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _client(base: str, key: str | None):
    return get_client(url=base, headers={"Authorization": f"Bearer {key}"} if key else {})


async def test_sdk_threads_runs_stream_state_and_history(langgraph_server, resources, tenant):
    sdk = _client(langgraph_server, await make_key(resources, tenant, "sdk"))
    thread = await sdk.threads.create()
    first = await sdk.runs.wait(thread["thread_id"], "turn", input={
        "messages": [{"role": "user", "content": "I live in Oslo and I love jazz."}]})
    assert [m["type"] for m in first["messages"]] == ["human", "ai"]
    assert ("profile.location", "Oslo") in {(m["key"], m["value"]) for m in first["remembered"]}

    other = await sdk.threads.create()
    modes: set[str] = set()
    tokens: list[str] = []
    final: dict = {}
    async for part in sdk.runs.stream(other["thread_id"], "turn", stream_mode=["messages-tuple", "values"], input={
            "messages": [{"role": "user", "content": "Any concert ideas?"}]}):
        modes.add(part.event)
        if part.event == "messages":
            tokens.append(part.data[0].get("content") or "")
        elif part.event == "values":
            final = part.data
    assert {"messages", "values"} <= modes
    assert "".join(tokens).strip() and final["reply"].startswith("".join(tokens).strip()[:20])
    assert "Oslo" in {m["value"] for m in final["context_memories"]}  # remembered across threads

    state = await sdk.threads.get_state(thread["thread_id"])
    assert state["values"]["reply"] == first["reply"] and state["next"] == []
    history = await sdk.threads.get_history(thread["thread_id"], limit=20)
    assert len(history) >= 2 and history[0]["values"]["reply"] == first["reply"]


async def test_the_key_decides_who_the_turn_runs_for(langgraph_server, resources, tenant):
    """A client cannot pick another tenant or user through its config, nor see another user's threads."""
    alice = _client(langgraph_server, await make_key(resources, tenant, "alice"))
    mallory = _client(langgraph_server, await make_key(resources, f"{tenant}-other", "mallory"))
    thread = await mallory.threads.create()
    await mallory.runs.wait(thread["thread_id"], "turn", config={
        "configurable": {"tenant_id": tenant, "user_id": "alice"}}, input={
        "messages": [{"role": "user", "content": "I live in Reykjavik."}]})
    own = await alice.threads.create()
    answer = await alice.runs.wait(own["thread_id"], "turn", input={
        "messages": [{"role": "user", "content": "Where do I live?"}]})
    assert "Reykjavik" not in {m["value"] for m in answer["context_memories"]}

    assert [t["thread_id"] for t in await alice.threads.search()] == [own["thread_id"]]
    with pytest.raises(httpx.HTTPStatusError) as refused:  # the SDK's APIError
        await alice.threads.get(thread["thread_id"])
    assert refused.value.response.status_code == 404


async def test_requests_without_a_valid_key_are_refused(langgraph_server):
    for key in (None, "mnemo_not-a-key"):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await _client(langgraph_server, key).threads.create()
        assert refused.value.response.status_code == 401


async def test_graph_endpoint_and_mounted_rest_app(langgraph_server, resources, tenant):
    sdk = _client(langgraph_server, await make_key(resources, tenant, "viewer"))
    drawn = await sdk.assistants.get_graph("turn")
    ids = [n["id"] for n in drawn["nodes"]]
    assert ids[1:-1] == ["load_memory", "retrieve", "route", "generate", "extract", "hint", "persist"]
    assert any(e["source"] == "route" and e.get("conditional") for e in drawn["edges"])
    with httpx.Client(base_url=langgraph_server, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.post("/v1/chat", json={"message": "hi"}).status_code == 401
