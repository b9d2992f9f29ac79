"""`mnemo bench stream`: tokens through Mnemo's own SSE endpoint against raw llama-cpp-python, same prompts, same run.

1. Mnemo: `mnemo serve --local` runs as a subprocess on a free port with a throwaway MNEMO_HOME (embedded
   PostgreSQL and Redis), once with MNEMO_MODEL_PREFIX_CACHE=true and once with false (another local user each
   time, so both conversations start empty). A conversation of `turns` turns goes over real HTTP (httpx,
   `Accept: text/event-stream`); per turn: time to the first `token` event, token events, and generation
   tokens/s = (events - 1) / (last event - first event), the prompt excluded.
2. The prompts each turn's generate node sent ([system, *history]) are rebuilt from the thread's checkpoints
   (a short helper process reads them while the server still runs, so the embedded services keep their
   bookkeeping), and checked against Mnemo's reported input tokens.
3. Raw: right after each server run, the server up but idle, the same prompts go through
   `Llama.create_chat_completion(stream=True)` in this process, with the same thread count, context and sampling
   as LlamaChatModel: in order without reset (prefix reuse, as llama-cpp-python does by default) after the
   prefix-cache-on run, with `reset()` before each call after the off run.

Aim: Mnemo's generation tokens/s at least 0.95 of raw. Time to first token is reported but has no aim: Mnemo's
includes the turn's memory nodes before generate (loading memories, search with an embedding, routing).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

__all__ = ["TurnFigures", "run_stream_bench"]

AIM = 0.95
ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 300.0
TURN_TIMEOUT_S = 300.0
# Removed from the server's environment: it must start its own embedded services in the throwaway home.
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "MNEMO_DATABASE_URL", "MNEMO_REDIS_URL", "MNEMO_ADMIN_DATABASE_URL",
                "MNEMO_EXTRACTION_MODEL", "MNEMO_EXTRACTION")
MESSAGES = (
    "Hi! My name is Marie, I live in Lyon and I'm vegetarian.",
    "What could I cook for dinner tonight?",
    "J'adore le jazz. Quelle musique me conseilles-tu pour ce soir ?",
    "I'm allergic to peanuts, please keep that in mind.",
    "Can you suggest a weekend trip from Lyon?",
    "Je préfère les réponses courtes.",
    "Any book recommendation for the holidays?",
    "What do you know about me so far?",
)
WARM_UP = "Hello!"


@dataclass
class TurnFigures:
    ttft_s: float
    events: int
    output_tokens: int
    input_tokens: int
    generation_tps: float | None  # None with fewer than 2 tokens


def _tps(times: list[float]) -> float | None:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None


# ---- Mnemo over HTTP ---------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(home: Path, *, port: int, chat_model: str, threads: int, prefix_cache: bool,
                  user: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update(MNEMO_HOME=str(home), MNEMO_CHAT_MODEL=chat_model, MNEMO_MODEL_THREADS=str(threads),
               MNEMO_MODEL_PREFIX_CACHE=str(prefix_cache).lower(), MNEMO_LOCAL_USER=user,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    log = (home / f"server-{user}.log").open("wb")
    # A session of its own: a Ctrl-C in the terminal reaches the bench, which stops the server itself.
    return subprocess.Popen(
        [sys.executable, "-c", "from server.cli import app; app()", "serve", "--local", "--port", str(port),
         "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)


def _stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # a normal exit: the embedded services stop with their last user
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stop_postgres(home: Path) -> None:
    """Stop the embedded PostgreSQL our servers started if it outlived them (its pid is in postmaster.pid):
    its data folder is about to be deleted."""
    pid_file = home / "pg" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + 30
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def _server_failed(home: Path, user: str, why: str) -> RuntimeError:
    log = (home / f"server-{user}.log").read_text(errors="replace").strip().splitlines()
    return RuntimeError(f"mnemo serve {why}; its last log line: {log[-1] if log else '(none)'}")


def _wait_ready(client: httpx.Client, proc: subprocess.Popen, home: Path, user: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise _server_failed(home, user, f"exited with status {proc.returncode} while starting")
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise _server_failed(home, user, f"was not ready after {START_TIMEOUT_S:.0f} s")


def _sse_turn(client: httpx.Client, message: str, thread_id: str | None) -> tuple[TurnFigures, str]:
    """One streamed turn; its figures and thread id."""
    body = {"message": message, "stream": True, **({"thread_id": thread_id} if thread_id else {})}
    token_times: list[float] = []
    done: dict[str, Any] | None = None
    started = time.perf_counter()
    with client.stream("POST", "/v1/chat", json=body, headers={"accept": "text/event-stream"}) as response:
        if response.status_code != 200:
            raise RuntimeError(f"POST /v1/chat answered {response.status_code}: {response.read().decode()[:200]}")
        event = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                if event == "token":
                    token_times.append(time.perf_counter())
                elif event == "done":
                    done = json.loads(line.split(":", 1)[1])
                elif event == "error":
                    raise RuntimeError(f"the turn failed: {line.split(':', 1)[1].strip()}")
    if done is None or not token_times:
        raise RuntimeError("the stream ended without tokens or a done event")
    usage = done["usage"]
    return TurnFigures(token_times[0] - started, len(token_times), usage["output_tokens"], usage["input_tokens"],
                       _tps(token_times)), done["thread_id"]


def _mnemo_turns(home: Path, *, chat_model: str, threads: int, prefix_cache: bool, turns: int,
                 progress: Callable[[str], None],
                 then: Callable[[list[list[dict[str, str]]]], list[TurnFigures]]) -> tuple[list[TurnFigures], ...]:
    """The conversation through a fresh server; its per-turn figures, then those of `then(prompts generate sent)`,
    run while the server is still up but idle, so both are measured under the same conditions."""
    user = f"bench-cache-{'on' if prefix_cache else 'off'}"
    port = _free_port()
    proc = _start_server(home, port=port, chat_model=chat_model, threads=threads, prefix_cache=prefix_cache,
                         user=user)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=TURN_TIMEOUT_S) as client:
            progress(f"Mnemo, prefix cache {'on' if prefix_cache else 'off'}: starting mnemo serve --local")
            _wait_ready(client, proc, home, user)
            _sse_turn(client, WARM_UP, None)  # a thread of its own, not counted
            figures, thread_id = [], None
            for i in range(turns):
                progress(f"Mnemo, prefix cache {'on' if prefix_cache else 'off'}: turn {i + 1}/{turns}")
                turn, thread_id = _sse_turn(client, MESSAGES[i % len(MESSAGES)], thread_id)
                figures.append(turn)
        return figures, then(_read_prompts(home, thread_id))
    finally:
        _stop_server(proc)


# ---- the prompts generate sent, from the checkpoints -------------------------------------------------------------

def _read_prompts(home: Path, thread_id: str) -> list[list[dict[str, str]]]:
    """Read in a short-lived process attached to the server's embedded PostgreSQL (this one may hold another)."""
    env = {**os.environ, "MNEMO_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", "import sys; from bench.stream import print_prompts; "
                           "print_prompts(sys.argv[1], sys.argv[2])", str(home), thread_id],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"reading the thread's checkpoints failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_prompts(home: str, thread_id: str) -> None:
    """Print, as one JSON line, the llama.cpp messages of each turn's generate call on `thread_id`, oldest first:
    the agent's system prompt built from the turn's memories and retrieved snippets, then its history."""
    print(json.dumps(asyncio.run(_prompts(Path(home), thread_id))))


async def _prompts(home: Path, thread_id: str) -> list[list[dict[str, str]]]:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    from core.config import get_settings
    from memory.db import CONNECT_KWARGS
    from memory.embedded import embedded_postgres_url
    from models.llama import to_llama_messages
    from nodes.agents import AGENTS
    from nodes.generate import prompt_messages

    async with await psycopg.AsyncConnection.connect(embedded_postgres_url(home), **CONNECT_KWARGS) as conn:
        checkpoints = [c async for c in AsyncPostgresSaver(conn).alist({"configurable": {"thread_id": thread_id}})]
    prompts = []
    for saved in reversed(checkpoints):  # one per turn (durability "exit")
        state = saved.checkpoint["channel_values"]
        if "agent" not in state:
            continue
        asked = {**state, "messages": state["messages"][:-1]}  # the thread as generate saw it: before its answer
        prompt = prompt_messages(asked, AGENTS[state["agent"]].system_prompt, get_settings().history_token_budget)
        prompts.append(to_llama_messages(prompt))
    return prompts


# ---- raw llama-cpp-python ----------------------------------------------------------------------------------------

def _raw_turns(llm: Any, prompts: list[list[dict[str, str]]], sampling: dict[str, Any], *,
               prefix_cache: bool) -> list[TurnFigures]:
    llm.create_chat_completion(messages=[{"role": "user", "content": WARM_UP}], max_tokens=4)
    figures = []
    for messages in prompts:
        if not prefix_cache:
            llm.reset()
        times: list[float] = []
        input_tokens = 0
        started = time.perf_counter()
        for chunk in llm.create_chat_completion(messages=messages, stream=True, **sampling):
            if chunk["choices"][0]["delta"].get("content"):
                input_tokens = input_tokens or llm.n_tokens
                times.append(time.perf_counter())
        output = llm.n_tokens - input_tokens
        figures.append(TurnFigures(times[0] - started if times else float("nan"), len(times), output, input_tokens,
                                   _tps(times)))
    return figures


# ---- report ------------------------------------------------------------------------------------------------------

def _p50(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else float("nan")


def summary(runs: dict[str, list[TurnFigures]]) -> dict[str, Any]:
    """p50 figures per run, the generation ratio and whether the prompts matched."""
    p50 = {name: {"ttft_ms": _p50([t.ttft_s * 1000 for t in turns]),
                  "generation_tps": _p50([t.generation_tps for t in turns]),
                  "input_tokens": [t.input_tokens for t in turns],
                  "events": sum(t.events for t in turns), "output_tokens": sum(t.output_tokens for t in turns)}
           for name, turns in runs.items()}
    ratio = p50["mnemo_cache_on"]["generation_tps"] / p50["raw_cache_on"]["generation_tps"]
    return {"p50": p50, "generation_ratio": ratio, "aim": AIM, "aim_holds": ratio >= AIM,
            "prompts_match": all(p50[f"mnemo_{m}"]["input_tokens"] == p50[f"raw_{m}"]["input_tokens"]
                                 for m in ("cache_on", "cache_off"))}


def report(result: dict[str, Any], *, turns: int, threads: int, model: str) -> tuple[Table, str]:
    p50 = result["p50"]
    table = Table("", "TTFT p50 ms", "generation tok/s p50", "prompt tokens per turn",
                  title=f"{model}, {threads} threads, {turns} turns, same prompts")
    for key, label in (("mnemo_cache_on", "Mnemo SSE, prefix cache on"), ("raw_cache_on", "raw llama-cpp, no reset"),
                       ("mnemo_cache_off", "Mnemo SSE, prefix cache off"), ("raw_cache_off", "raw llama-cpp, reset")):
        row = p50[key]
        table.add_row(label, f"{row['ttft_ms']:.0f}", f"{row['generation_tps']:.1f}",
                      " ".join(map(str, row["input_tokens"])))
    on = p50["mnemo_cache_on"]
    lines = [
        f"Generation Mnemo / raw (cache on): {result['generation_ratio']:.3f}; aim >= {AIM}: "
        + ("holds" if result["aim_holds"] else "MISSED"),
        f"Prompt tokens, Mnemo's usage vs raw: {'identical' if result['prompts_match'] else 'DIFFERENT'}",
        f"Token events vs output tokens (Mnemo, cache on): {on['events']} events for {on['output_tokens']} tokens "
        "(output tokens = the reply re-tokenized; an event is one streamed piece of the model)",
    ]
    return table, "\n".join(lines)


def run_stream_bench(console: Console, *, chat_model: str, model_path: Path, turns: int, threads: int,
                     as_json: bool = False) -> dict[str, Any]:
    from core.config import get_settings
    from models.llama import LlamaChatModel, load_llama

    settings = get_settings()
    home = Path(tempfile.mkdtemp(prefix="mnemo-bench-stream-"))
    runs: dict[str, list[TurnFigures]] = {}
    try:
        with console.status("starting") as status:
            def progress(text: str) -> None:
                status.update(text)

            llm = load_llama(model_path, settings.model_ctx, threads)
            sampling = LlamaChatModel(model_path=str(model_path), max_tokens=settings.max_output_tokens)._sampling({})
            for cache in (True, False):
                mode = f"cache_{'on' if cache else 'off'}"

                def raw(prompts: list[list[dict[str, str]]], cache: bool = cache) -> list[TurnFigures]:
                    progress(f"raw llama-cpp-python, {'no reset' if cache else 'reset'} (server idle)")
                    return _raw_turns(llm, prompts, sampling, prefix_cache=cache)

                runs[f"mnemo_{mode}"], runs[f"raw_{mode}"] = _mnemo_turns(
                    home, chat_model=chat_model, threads=threads, prefix_cache=cache, turns=turns, progress=progress,
                    then=raw)
    finally:
        _stop_postgres(home)
        shutil.rmtree(home, ignore_errors=True)
    result = {**summary(runs), "turns": {k: [asdict(t) for t in v] for k, v in runs.items()}, "threads": threads,
              "model": model_path.name}
    table, lines = report(result, turns=turns, threads=threads, model=model_path.name)
    console.print(table)
    console.print(lines, highlight=False)
    if as_json:
        print(json.dumps(result, indent=2))
    return result
