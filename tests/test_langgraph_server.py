"""`langgraph dev` serves the turn graph, our REST app and the PostgreSQL checkpointer together."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

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


def test_runs_wait_executes_a_whole_turn(langgraph_server, tenant):
    with httpx.Client(base_url=langgraph_server, timeout=60) as http:
        thread_id = http.post("/threads", json={}).json()["thread_id"]
        config = {"configurable": {"tenant_id": tenant, "user_id": "sdk"}}
        first = http.post(f"/threads/{thread_id}/runs/wait", json={
            "assistant_id": "turn", "config": config,
            "input": {"messages": [{"role": "user", "content": "I live in Oslo and I love jazz."}]}})
        assert first.status_code == 200, first.text
        state = first.json()
        assert [m["type"] for m in state["messages"]] == ["human", "ai"]
        assert {(m["key"], m["value"]) for m in state["remembered"]} >= {("profile.location", "Oslo")}
        other_thread = http.post("/threads", json={}).json()["thread_id"]
        second = http.post(f"/threads/{other_thread}/runs/wait", json={
            "assistant_id": "turn", "config": config,
            "input": {"messages": [{"role": "user", "content": "Any concert ideas?"}]}}).json()
        assert "Oslo" in {m["value"] for m in second["context_memories"]}
        current = http.get(f"/threads/{thread_id}/state").json()
        assert current["values"]["reply"] == state["reply"] and current["next"] == []
        history = http.post(f"/threads/{thread_id}/history", json={"limit": 20}).json()
        assert len(history) >= 8  # one checkpoint per step, kept in PostgreSQL


def test_graph_endpoint_and_mounted_rest_app(langgraph_server):
    with httpx.Client(base_url=langgraph_server, timeout=30) as http:
        drawn = http.get("/assistants/turn/graph").json()
        ids = [n["id"] for n in drawn["nodes"]]
        assert ids[1:-1] == ["load_memory", "retrieve", "route", "generate", "extract", "hint", "persist"]
        assert any(e["source"] == "route" and e.get("conditional") for e in drawn["edges"])
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.post("/v1/chat", json={"message": "hi"}).status_code == 401
