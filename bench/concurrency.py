"""`mnemo bench concurrency`: turns per second with many threads at once, beside a stock LangGraph graph.

At each concurrency level (default 1, 4 and 16), that many threads each run `turns` turns one after
another, all at once, first through Mnemo's turn graph (`run_turn`), then through the stock 7-node graph
of `mnemo bench growth` on the same checkpointer and the same fake model; turns per second of each and
their ratio. Then the HTTP path: `POST /v1/chat` through the FastAPI app in-process (httpx's ASGI
transport: routing, validation, auth, idempotency, the turn lock, JSON) against `run_turn` alone, one
turn at a time, p50 of each. Issue 13's aims: at 16 threads Mnemo >= 0.5x the stock graph's turns/s,
and the HTTP path's p50 <= 1.3x the in-process turn's.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.table import Table

from bench.growth import build_stock_graph
from bench.turn import MESSAGES, baseline_turn
from graphs.resources import Resources, open_resources
from graphs.runner import run_turn
from graphs.turn import build_turn_graph

__all__ = ["run_concurrency_bench"]

LEVELS = (1, 4, 16)
THROUGHPUT_AIM = 0.5
HTTP_AIM = 1.3


@dataclass
class Level:
    threads: int
    mnemo_tps: float
    stock_tps: float

    @property
    def ratio(self) -> float:
        return self.mnemo_tps / self.stock_tps


async def _throughput(turn, threads: int, turns: int, tenant: str) -> float:
    """Turns per second with `threads` threads each running `turns` turns in sequence, all at once."""

    async def one_thread() -> None:
        thread_id = str(uuid.uuid4())
        for i in range(turns):
            await turn(message=f"{MESSAGES[i % len(MESSAGES)]} ({i})", thread_id=thread_id,
                       tenant_id=tenant, user_id=f"u{thread_id[:6]}")

    started = time.perf_counter()
    await asyncio.gather(*(one_thread() for _ in range(threads)))
    return threads * turns / (time.perf_counter() - started)


async def bench_levels(console: Console, res: Resources, levels: tuple[int, ...], turns: int) -> list[Level]:
    mnemo = build_turn_graph(res).compile(checkpointer=res.checkpointer, name="mnemo-turn")
    stock = build_stock_graph(res).compile(checkpointer=res.checkpointer, name="bench-stock")
    tenant = f"bench-conc-{uuid.uuid4().hex[:8]}"

    async def mnemo_turn(**turn: str) -> None:
        await run_turn(mnemo, **turn)

    async def stock_turn(**turn: str) -> None:
        await baseline_turn(stock, **turn)

    await _throughput(mnemo_turn, 2, 2, tenant)  # warm-up: models, pool, caches
    await _throughput(stock_turn, 2, 2, tenant)
    found = []
    for threads in levels:
        with console.status(f"{threads} threads x {turns} turns, Mnemo then stock"):
            found.append(Level(threads, await _throughput(mnemo_turn, threads, turns, tenant),
                               await _throughput(stock_turn, threads, turns, tenant)))
    return found


async def bench_http(console: Console, res: Resources, turns: int) -> tuple[float, float]:
    """p50 ms of POST /v1/chat (in-process ASGI) and of run_turn, alternating, one turn at a time."""
    from server.app import create_app
    from server.runtime import AppRuntime

    settings = res.settings.model_copy(update={"rate_limit": "0", "local_mode": True})
    runtime = await AppRuntime.build(res.with_settings(rate_limit="0", local_mode=True), settings, owns=False)
    app = create_app(settings, runtime=runtime)
    owner = {"tenant_id": settings.local_tenant, "user_id": settings.local_user}
    http_ms, direct_ms = [], []
    graph = runtime.graph
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
        http_thread, direct_thread = None, str(uuid.uuid4())
        with console.status(f"HTTP vs in-process, {turns} turns each"):
            for i in range(turns + 2):
                message = f"{MESSAGES[i % len(MESSAGES)]} ({i})"
                started = time.perf_counter()
                r = await http.post("/v1/chat", json={"message": message, "thread_id": http_thread})
                r.raise_for_status()
                elapsed_http = (time.perf_counter() - started) * 1000
                http_thread = r.json()["thread_id"]
                started = time.perf_counter()
                await run_turn(graph, message=message, thread_id=direct_thread, **owner)
                elapsed_direct = (time.perf_counter() - started) * 1000
                if i >= 2:
                    http_ms.append(elapsed_http)
                    direct_ms.append(elapsed_direct)
    return statistics.median(http_ms), statistics.median(direct_ms)


def report(console: Console, levels: list[Level], http: tuple[float, float], turns: int) -> None:
    table = Table(title="mnemo bench concurrency", title_justify="left")
    for column in ("Threads", "Mnemo turns/s", "Stock 7-node turns/s", "Mnemo / stock"):
        table.add_column(column, justify="right")
    for level in levels:
        table.add_row(str(level.threads), f"{level.mnemo_tps:.1f}", f"{level.stock_tps:.1f}", f"{level.ratio:.2f}x")
    (console if console.width >= 100 else Console(width=100)).print(table)  # every column whole, even in a log
    top = levels[-1]
    verdict = "[green]holds[/]" if top.ratio >= THROUGHPUT_AIM else "[red]does not hold[/]"
    console.print(f"Aim: at {top.threads} threads Mnemo >= {THROUGHPUT_AIM}x the stock graph's turns/s: "
                  f"{top.ratio:.2f}x: {verdict}")
    http_ms, direct_ms = http
    ratio = http_ms / direct_ms
    console.print(f"HTTP POST /v1/chat p50 {http_ms:.1f} ms vs run_turn p50 {direct_ms:.1f} ms: {ratio:.2f}x; aim <= "
                  f"{HTTP_AIM}x: " + ("[green]holds[/]" if ratio <= HTTP_AIM else "[red]does not hold[/]"))
    levels_arg = ",".join(str(level.threads) for level in levels)
    console.print(f"Reproduce: mnemo bench concurrency --turns {turns} --levels {levels_arg}")


async def run_concurrency_bench(console: Console, *, turns: int = 10, levels: tuple[int, ...] = LEVELS,
                                resources: Resources | None = None) -> tuple[list[Level], tuple[float, float]]:
    owned = resources is None
    if resources is None:
        with console.status("Starting PostgreSQL and Redis"):
            resources = await open_resources()
    try:
        res = resources.with_settings(chat_model="fake")
        found = await bench_levels(console, res, levels, turns)
        http = await bench_http(console, res, turns * 2)
        report(console, found, http, turns)
        return found, http
    finally:
        if owned:
            await resources.close()
