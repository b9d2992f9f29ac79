"""Shared fixtures: one embedded PostgreSQL (pgvector) and Redis for the session, real connections.

Isolation between tests comes from a fresh tenant per test: every query is scoped by tenant and
user, which is itself what several tests check. Set MNEMO_TEST_DATABASE_URL / MNEMO_TEST_REDIS_URL
to run against real servers instead.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

TEST_HOME = Path(os.environ.get("MNEMO_TEST_HOME") or f"/tmp/mnemo-tests-{os.getpid()}")
if not os.environ.get("MNEMO_TEST_HOME"):
    # Registered before the embedded servers' own exit hooks, so it runs after they stopped them.
    atexit.register(shutil.rmtree, TEST_HOME, ignore_errors=True)
# Read by every Settings() built in this process and by subprocesses (CLI, langgraph dev).
os.environ["MNEMO_HOME"] = str(TEST_HOME)
os.environ["MNEMO_CHAT_MODEL"] = "fake"
for name in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(name, None)
if os.environ.get("MNEMO_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["MNEMO_TEST_DATABASE_URL"]
if os.environ.get("MNEMO_TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["MNEMO_TEST_REDIS_URL"]

from core.config import Settings  # noqa: E402
from memory.db import tenant_connection  # noqa: E402
from memory.embeddings import aembed  # noqa: E402
from memory.memories import NewMemory, render, save_memories  # noqa: E402
from memory.users import Principal, create_api_key, ensure_user  # noqa: E402
from server.app import create_app  # noqa: E402
from server.runtime import AppRuntime  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    TEST_HOME.mkdir(parents=True, exist_ok=True)
    return Settings(_env_file=None)


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[AppRuntime]:
    rt = await AppRuntime.open(settings)
    yield rt
    await rt.close()


@pytest.fixture(scope="session")
def resources(runtime: AppRuntime):
    return runtime.resources


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def principal(tenant: str) -> Principal:
    return Principal(tenant, "alice")


@pytest.fixture(scope="session")
async def live_url(runtime: AppRuntime, settings: Settings) -> AsyncIterator[str]:
    """The API on a real socket, for clients that make their own connections (openai, mcp) and for
    dropping a connection mid-stream."""
    async with serving(create_app(settings, runtime=runtime)) as url:
        yield url


@asynccontextmanager
async def serving(app) -> AsyncIterator[str]:
    """`app` on a free port of 127.0.0.1 in this event loop, for as long as the block lasts; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the test server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def client(runtime: AppRuntime, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(settings, runtime=runtime)) as http:
        yield http


# --- helpers shared by the test modules ------------------------------------------------------------

def asgi_client(app) -> httpx.AsyncClient:
    """An HTTP client talking to `app` in-process (ASGI), as every API test does."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mnemo.test", timeout=60)


async def make_key(resources, tenant_id: str, user_id: str) -> str:
    async with tenant_connection(resources.pool, tenant_id) as conn:
        return await create_api_key(conn, tenant_id=tenant_id, user_id=user_id)


async def key_headers(resources, tenant_id: str, user_id: str) -> dict[str, str]:
    """Headers carrying a fresh key for (tenant_id, user_id)."""
    return {"Authorization": f"Bearer {await make_key(resources, tenant_id, user_id)}"}


async def save_for(resources, tenant_id: str, user_id: str, *memories: NewMemory) -> list[dict]:
    """Store `memories` for the user (created if new) with their real embeddings, as the turn would."""
    vectors = await aembed(resources.embedder, [render(m.category, m.key, m.value, m.polarity) for m in memories])
    async with tenant_connection(resources.pool, tenant_id) as conn:
        await ensure_user(conn, tenant_id=tenant_id, user_id=user_id)
        return await save_memories(conn, tenant_id=tenant_id, user_id=user_id, memories=list(memories),
                                   embeddings=vectors)


def sse_events(text: str) -> list[tuple[str, dict]]:
    """(event name, data) of each server-sent event in a streamed answer's body."""
    events, name = [], None
    for line in text.splitlines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line.split(":", 1)[1])))
    return events


def metric_samples(text: str) -> dict[str, dict[frozenset, float]]:
    """A Prometheus scrape as {sample name: {labels: value}}."""
    found: dict[str, dict[frozenset, float]] = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name][frozenset(sample.labels.items())] = sample.value
    return found


def grew(before, after, name: str, **labels: str) -> float:
    """How much the series matching `labels` (a subset) grew between two scrapes."""
    def total(snapshot):
        return sum(v for k, v in snapshot.get(name, {}).items() if set(labels.items()) <= k)
    return total(after) - total(before)


@pytest.fixture
async def auth(resources, principal: Principal) -> dict[str, str]:
    """Headers carrying a fresh key for `principal`."""
    return await key_headers(resources, principal.tenant_id, principal.user_id)
