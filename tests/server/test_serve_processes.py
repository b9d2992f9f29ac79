"""`mnemo serve` as a real process on its own embedded PostgreSQL and Redis: SIGTERM (systemd, Docker,
`kill`) stops the server and the embedded services with it, and `--workers N` runs N API processes on
one port that share them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow
MNEMO = str(Path(sys.executable).with_name("mnemo"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _services_of(home: Path) -> list[psutil.Process]:
    """The embedded PostgreSQL (its data folder is in home) and Redis (its working folder is home)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(home) in cmdline or (proc.info["cwd"] or "").startswith(str(home)):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _serve(home: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "MNEMO_HOME": str(home), "MNEMO_CHAT_MODEL": "fake", "MNEMO_RATE_LIMIT": "0"}
    for name in ("DATABASE_URL", "REDIS_URL", "MNEMO_ADMIN_DATABASE_URL"):
        env.pop(name, None)
    log = open(home.parent / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([MNEMO, "serve", "--local", "--port", str(port), *extra], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def _wait_ready(proc: subprocess.Popen, port: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"mnemo serve exited with {proc.returncode}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("mnemo serve did not become ready")


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=40)


def _gone(home: Path, seconds: float = 10) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := _services_of(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_stops_the_server_and_its_embedded_services(tmp_path, workers):
    home, port = tmp_path / "home", _free_port()
    proc = _serve(home, port, "--workers", str(workers))
    try:
        _wait_ready(proc, port)
        assert len(_services_of(home)) >= 2  # PostgreSQL (several processes) and Redis are up
        children = psutil.Process(proc.pid).children()
        api = [c for c in children if "spawn_main" in " ".join(c.cmdline())]  # not the resource tracker
        assert len(api) == (workers if workers > 1 else 0)
        for i in range(3):
            r = httpx.post(f"http://127.0.0.1:{port}/v1/chat", json={"message": f"I live in Lyon {i}."}, timeout=30)
            assert r.status_code == 200, r.text
    finally:
        code = _stop(proc)
    assert code in (0, 143)
    assert _gone(home) == []
    lines = (tmp_path / f"serve-{port}.log").read_text().splitlines()
    access = [json.loads(line) for line in lines if line.startswith("{") and '"POST /v1/chat 200"' in line]
    assert len(access) == 3  # every worker logs JSON lines, as one process does
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in api)


def test_zero_workers_is_refused_with_one_line(tmp_path):
    out = subprocess.run([MNEMO, "serve", "--workers", "0"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "MNEMO_HOME": str(tmp_path)})
    assert out.returncode != 0 and "--workers must be 1 or more" in out.stdout + out.stderr
