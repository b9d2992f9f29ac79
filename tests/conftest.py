"""Shared fixtures: one embedded PostgreSQL (pgvector) and Redis for the session, real connections.

Isolation between tests comes from a fresh tenant per test: every query is scoped by tenant and
user, which is itself what several tests check. Set MNEMO_TEST_DATABASE_URL / MNEMO_TEST_REDIS_URL
to run against real servers instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

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
from memory.users import Principal, create_api_key  # noqa: E402
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
async def client(runtime: AppRuntime, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mnemo.test", timeout=60) as http:
        yield http


async def make_key(resources, tenant_id: str, user_id: str) -> str:
    async with tenant_connection(resources.pool, tenant_id) as conn:
        return await create_api_key(conn, tenant_id=tenant_id, user_id=user_id)


@pytest.fixture
async def auth(resources, principal: Principal) -> dict[str, str]:
    """Headers carrying a fresh key for `principal`."""
    return {"Authorization": f"Bearer {await make_key(resources, principal.tenant_id, principal.user_id)}"}
