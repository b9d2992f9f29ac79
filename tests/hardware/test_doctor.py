"""`mnemo doctor` as a user runs it (a separate process on the test services), and its checks one by one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from core.config import Settings
from server import doctor
from server.doctor import Row, check_chat_model, check_postgres, check_redis, run_checks

ROOT = Path(__file__).resolve().parents[2]
ROWS = ["CPU", "RAM", "GPU", "profile", "chat model", "embeddings", "PostgreSQL", "Redis", "process memory"]
MACHINE_PG = "postgresql://postgres@127.0.0.1:5432/test"


def mnemo_doctor(*args: str, **env: str) -> subprocess.CompletedProcess:
    # `python -c` from the repository root runs the same CLI as the `mnemo` script, whatever the installed packages.
    return subprocess.run([sys.executable, "-c", "from server.cli import app; app()", "doctor", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def by_check(stdout: str) -> dict[str, dict]:
    rows = json.loads(stdout)
    assert [r["check"] for r in rows] == ROWS
    return {r["check"]: r for r in rows}


def test_doctor_on_the_test_services(resources):
    done = mnemo_doctor("--json")  # MNEMO_HOME and MNEMO_CHAT_MODEL=fake come from tests/conftest.py
    assert done.returncode == 0, done.stdout + done.stderr
    rows = by_check(done.stdout)
    assert {r["status"] for r in rows.values()} <= {"OK", "WARN"}
    assert rows["PostgreSQL"]["status"] == "OK" and "pgvector" in rows["PostgreSQL"]["detail"]
    assert rows["Redis"]["status"] == "OK" and "ping" in rows["Redis"]["detail"]
    assert rows["embeddings"]["status"] == "OK" and "384-d" in rows["embeddings"]["detail"]
    assert rows["chat model"]["status"] == "WARN" and "MNEMO_CHAT_MODEL" in rows["chat model"]["fix"]
    assert "threads" in rows["profile"]["detail"] and "MiB resident" in rows["process memory"]["detail"]
    assert "Traceback" not in done.stderr


def test_doctor_fails_with_fixes_and_exit_1():
    done = mnemo_doctor("--json", MNEMO_CHAT_MODEL="local:/missing.gguf", REDIS_URL="redis://:s3cret@127.0.0.1:1/0")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = by_check(done.stdout)
    assert rows["chat model"]["status"] == "FAIL" and "/missing.gguf" in rows["chat model"]["detail"]
    assert rows["chat model"]["fix"].startswith("set MNEMO_CHAT_MODEL to one of: local")
    assert rows["Redis"]["status"] == "FAIL" and "REDIS_URL" in rows["Redis"]["fix"]
    assert "s3cret" not in done.stdout
    assert "Traceback" not in done.stderr

    table = mnemo_doctor(MNEMO_CHAT_MODEL="local:/missing.gguf")
    assert table.returncode == 1 and "FAIL" in table.stdout and "MNEMO_CHAT_MODEL" in table.stdout
    assert "Traceback" not in table.stdout + table.stderr


def test_an_exception_in_one_check_is_its_fail_row(monkeypatch):
    def broken(settings):
        raise KeyError("boom")

    monkeypatch.setattr(doctor, "CHECKS", (("CPU", doctor.check_cpu), ("GPU", broken)))
    assert run_checks(Settings(_env_file=None)) == [
        doctor.check_cpu(Settings(_env_file=None)),
        Row("GPU", "FAIL", "KeyError: 'boom'",
            "unexpected error in this check: fix what the detail names, then run mnemo doctor again"),
    ]


def test_unknown_spec_and_missing_key():
    unknown = check_chat_model(Settings(_env_file=None, chat_model="llama3"))
    assert unknown.status == "FAIL" and "Unknown chat model spec" in unknown.detail
    if os.environ.get("OPENAI_API_KEY"):
        pytest.skip("OPENAI_API_KEY is set here")
    keyless = check_chat_model(Settings(_env_file=None, chat_model="openai:gpt-4o-mini"))
    assert keyless.status == "FAIL" and keyless.fix.endswith("needs the OPENAI_API_KEY environment variable.")


def test_unreachable_services():
    pg = check_postgres(Settings(_env_file=None, database_url="postgresql://u:pw@127.0.0.1:1/x"))
    assert pg.status == "FAIL" and "u:***@127.0.0.1:1" in pg.detail and "DATABASE_URL" in pg.fix
    assert check_redis(Settings(_env_file=None, redis_url="redis://127.0.0.1:1")).status == "FAIL"


def test_a_server_without_pgvector():
    try:
        psycopg.connect(MACHINE_PG, connect_timeout=2).close()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 on this machine")
    row = check_postgres(Settings(_env_file=None, database_url=MACHINE_PG))
    if row.status == "OK":
        pytest.skip("this machine's PostgreSQL has pgvector")
    assert row.status == "FAIL" and row.detail.endswith("no pgvector")
    assert "install pgvector" in row.fix and "unset DATABASE_URL" in row.fix
