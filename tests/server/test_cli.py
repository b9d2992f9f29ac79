"""The `mnemo` command as a user runs it: a separate process sharing the embedded services."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from memory.users import authenticate

MNEMO = str(Path(sys.executable).with_name("mnemo"))


def _mnemo(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([MNEMO, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


async def test_keys_create_prints_a_working_key_last(resources, tenant):
    done = _mnemo("keys", "create", "--tenant", tenant, "--user", "carol")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("mnemo_")
    async with resources.pool.connection() as conn:
        principal = await authenticate(conn, key)
        stored = await (await conn.execute("SELECT key_hash FROM api_keys WHERE tenant_id = %s", (tenant,))).fetchall()
    assert (principal.tenant_id, principal.user_id) == (tenant, "carol")
    assert key not in str(stored)  # only the hash is kept


def test_graph_draws_offline():
    ascii_art = _mnemo("graph", "--format", "ascii")
    assert ascii_art.returncode == 0 and "load_memory" in ascii_art.stdout and "persist" in ascii_art.stdout
    mermaid = _mnemo("graph")
    assert "route -. " in mermaid.stdout or "route -.->" in mermaid.stdout


def test_migrate_is_idempotent():
    done = _mnemo("migrate")
    assert done.returncode == 0 and "up to date" in done.stdout


@pytest.mark.parametrize("variable", ["DATABASE_URL", "REDIS_URL"])
def test_unreachable_service_is_one_clear_line(variable):
    url = "postgresql://nobody@127.0.0.1:1/none" if variable == "DATABASE_URL" else "redis://127.0.0.1:1/0"
    done = _mnemo("migrate" if variable == "DATABASE_URL" else "keys", *([] if variable == "DATABASE_URL" else
                  ["create", "--tenant", "t", "--user", "u"]), env={variable: url})
    assert done.returncode == 1
    assert variable in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_chat_streams_and_shows_what_was_remembered():
    done = subprocess.run([MNEMO, "chat", "--user", "cli-user"], input="I live in Lisbon.\n/quit\n",
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "mnemo>" in done.stdout and "remembered profile profile.location = Lisbon" in done.stdout
