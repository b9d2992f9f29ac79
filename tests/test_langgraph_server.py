"""`langgraph dev` serves the turn graph, our REST app and the PostgreSQL checkpointer together; the
LangGraph SDK drives it with Mnemo API keys (server/langgraph_auth.py)."""

import ipaddress
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from langgraph.pregel.remote import RemoteGraph
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
    # Every address, so that a request through this machine's own network address comes as from another one.
    proc = subprocess.Popen([LANGGRAPH, "dev", "--no-browser", "--no-reload", "--host", "0.0.0.0",
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


def _network_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (what another machine would connect to)."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not ipaddress.ip_address(address.address).is_loopback:
                return address.address
    return None


async def test_the_sdks_own_key_options_work(langgraph_server, resources, tenant, monkeypatch):
    """`api_key=`, LANGGRAPH_API_KEY and RemoteGraph all send the key as `x-api-key`."""
    key = await make_key(resources, tenant, "sdk-key")
    by_option = get_client(url=langgraph_server, api_key=key)
    thread = await by_option.threads.create()
    answer = await by_option.runs.wait(thread["thread_id"], "turn", input={
        "messages": [{"role": "user", "content": "I live in Tromso."}]})
    assert ("profile.location", "Tromso") in {(m["key"], m["value"]) for m in answer["remembered"]}

    monkeypatch.setenv("LANGGRAPH_API_KEY", key)
    by_environment = get_client(url=langgraph_server)
    assert [t["thread_id"] for t in await by_environment.threads.search()] == [thread["thread_id"]]
    monkeypatch.delenv("LANGGRAPH_API_KEY")

    remote = RemoteGraph("turn", url=langgraph_server, api_key=key)
    state = await remote.ainvoke({"messages": [{"role": "user", "content": "Where do I live?"}]},
                                 config={"configurable": {"thread_id": thread["thread_id"]}})
    assert "Tromso" in {m["value"] for m in state["context_memories"]}


async def test_without_a_key_only_this_machine_is_the_local_user(langgraph_server):
    """Studio in a browser on this machine works with no key; another machine, or anything relayed by a
    proxy or a tunnel, is refused."""
    local = get_client(url=langgraph_server, api_key=None)  # None: not even one from the environment
    thread = await local.threads.create()
    assert thread["metadata"]["owner"] == "default:local"
    relayed = get_client(url=langgraph_server, api_key=None, headers={"X-Forwarded-For": "203.0.113.7"})
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await relayed.threads.create()
    assert refused.value.response.status_code == 401
    address = _network_address()
    if address is None:  # a machine without a network: the relayed request above is the other-machine case
        return
    port = httpx.URL(langgraph_server).port
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await get_client(url=f"http://{address}:{port}", api_key=None).threads.create()
    assert refused.value.response.status_code == 401 and "missing API key" in refused.value.response.text


async def test_wrong_or_mismatched_keys_are_refused(langgraph_server, resources, tenant):
    key = await make_key(resources, tenant, "two-keys")
    other = await make_key(resources, tenant, "someone-else")
    async with httpx.AsyncClient(base_url=langgraph_server, timeout=30) as http:
        for headers in ({"Authorization": "Bearer mnemo_not-a-key"}, {"X-Api-Key": "mnemo_not-a-key"},
                        {"Authorization": "Basic abc"}, {"Authorization": f"Bearer {key}", "X-Api-Key": other}):
            r = await http.post("/threads", json={}, headers=headers)
            assert r.status_code == 401, headers
        assert (await http.post("/threads", json={}, headers={"X-Api-Key": key})).status_code == 200


async def test_graph_endpoint_and_mounted_rest_app(langgraph_server, resources, tenant):
    sdk = _client(langgraph_server, await make_key(resources, tenant, "viewer"))
    drawn = await sdk.assistants.get_graph("turn")
    ids = [n["id"] for n in drawn["nodes"]]
    assert ids[1:-1] == ["load_memory", "retrieve", "route", "generate", "extract", "hint", "persist"]
    assert any(e["source"] == "route" and e.get("conditional") for e in drawn["edges"])
    with httpx.Client(base_url=langgraph_server, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.post("/v1/chat", json={"message": "hi"}).status_code == 401
