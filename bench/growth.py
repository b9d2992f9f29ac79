"""`mnemo bench growth`: is turn 1000 of a thread as cheap as turn 10?

One Mnemo thread and one thread of a stock LangGraph graph (seven nodes in a chain, one of them calling
the same fake chat model, `add_messages` keeping every message: what a LangGraph user starts from) run
`turns` turns each, interleaved so both see the same machine, on the same checkpointer. Near turn 10 and
near the last turn it measures, for each: the turn's time (median of a few turns), the bytes a turn
adds to the checkpoint tables (rows of `checkpoints`, `checkpoint_blobs` and `checkpoint_writes`,
pg_column_size), and the size of the thread's newest state (its channel values as the checkpointer
serializes them). The user's memories are learned first, on another thread (WARMUP_TURNS turns of the
same messages), so the figures show what the thread's length costs, not a profile still growing. The
aim (issue 13): Mnemo's bytes per turn and turn time at the last turn within 1.2x
of turn 10, because its checkpoint holds a bounded window and the messages table the whole thread.
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass, field

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from rich.console import Console
from rich.table import Table

from bench.turn import MESSAGES, BaselineState, baseline_turn, node_seconds, progress_bar
from graphs.resources import Resources, open_resources
from graphs.runner import run_turn
from graphs.turn import NODE_NAMES, build_turn_graph

__all__ = ["run_growth_bench"]

STOCK_NODES = 7
SAMPLE = 5  # turns measured around each point
WARMUP_TURNS = 30  # on another thread of the same user first, so the user's memories are learned
AIM = 1.2

THREAD_BYTES_SQL = """
SELECT (SELECT coalesce(sum(pg_column_size(c.*)), 0) FROM checkpoints c WHERE c.thread_id = %(t)s)
     + (SELECT coalesce(sum(pg_column_size(b.*)), 0) FROM checkpoint_blobs b WHERE b.thread_id = %(t)s)
     + (SELECT coalesce(sum(pg_column_size(w.*)), 0) FROM checkpoint_writes w WHERE w.thread_id = %(t)s) AS n"""


def build_stock_graph(res: Resources) -> StateGraph:
    """Seven nodes in a chain; the middle one calls the fake model, the others return nothing."""

    async def reply(state: BaselineState, config: RunnableConfig) -> dict:
        return {"messages": [await res.chat_model().ainvoke(state["messages"], config)]}

    async def step(state: BaselineState) -> dict:
        return {}

    builder = StateGraph(BaselineState)
    names = [f"step{i}" if i != STOCK_NODES // 2 else "reply" for i in range(STOCK_NODES)]
    for name in names:
        builder.add_node(name, reply if name == "reply" else step)
    for a, b in zip([START, *names], [*names, END], strict=True):
        builder.add_edge(a, b)
    return builder


@dataclass
class Point:
    """What the turns around one point of the thread cost."""

    turn: int  # the last turn of the sample
    ms: list[float] = field(default_factory=list)
    nodes: dict[str, list[float]] = field(default_factory=dict)  # Mnemo's per-node ms
    bytes_per_turn: float = 0.0
    state_bytes: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)


@dataclass
class Growth:
    graph: str
    early: Point
    late: Point

    @property
    def time_ratio(self) -> float:
        return self.late.p50 / self.early.p50

    @property
    def bytes_ratio(self) -> float:
        return self.late.bytes_per_turn / self.early.bytes_per_turn


async def thread_bytes(res: Resources, thread_id: str) -> int:
    async with res.pool.connection() as conn:  # checkpoint tables carry no tenant rows
        return (await (await conn.execute(THREAD_BYTES_SQL, {"t": thread_id})).fetchone())["n"]


async def state_bytes(graph: CompiledStateGraph, res: Resources, thread_id: str) -> int:
    """The newest checkpoint's channel values as the checkpointer stores them."""
    found = await res.checkpointer.aget_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
    if found is None:
        return 0
    serde = res.checkpointer.serde
    return sum(len(serde.dumps_typed(value)[1]) for value in found.checkpoint["channel_values"].values())


class Runner:
    """One graph's thread: runs its turns and measures the sampled ones."""

    def __init__(self, name: str, graph: CompiledStateGraph, res: Resources, tenant: str, mnemo: bool) -> None:
        self.name, self.graph, self.res, self.mnemo = name, graph, res, mnemo
        self.owner = {"tenant_id": tenant, "user_id": "u0"}
        self.thread_id = str(uuid.uuid4())
        self.points: list[Point] = []

    async def turn(self, i: int, measured: Point | None, turns: int) -> None:
        message = f"{MESSAGES[message_index(i, turns)]} (turn {i})"
        before = await thread_bytes(self.res, self.thread_id) if measured else 0
        nodes_before = node_seconds()
        started = time.perf_counter()
        if self.mnemo:
            await run_turn(self.graph, message=message, thread_id=self.thread_id, **self.owner)
        else:
            await baseline_turn(self.graph, message=message, thread_id=self.thread_id, **self.owner)
        elapsed = (time.perf_counter() - started) * 1000
        if measured is not None:
            measured.ms.append(elapsed)
            if self.mnemo:
                nodes_after = node_seconds()
                for name in NODE_NAMES:
                    spent = (nodes_after.get(name, 0.0) - nodes_before.get(name, 0.0)) * 1000
                    measured.nodes.setdefault(name, []).append(spent)
            added = await thread_bytes(self.res, self.thread_id) - before
            measured.bytes_per_turn += added / SAMPLE
            measured.turn = i + 1
            measured.state_bytes = await state_bytes(self.graph, self.res, self.thread_id)


def message_index(i: int, turns: int) -> int:
    """The bench message of turn i: the sampled turns near turn 10 and at the end send the same five
    messages in the same order, so both points do the same work (else they compare other sentences)."""
    for start in (10 - SAMPLE, turns - SAMPLE):
        if start <= i < start + SAMPLE:
            return (i - start) % len(MESSAGES)
    return i % len(MESSAGES)


def sampled(turns: int) -> dict[int, int]:
    """Turn index -> which point (0: around turn 10, 1: the last SAMPLE turns)."""
    early = {i: 0 for i in range(10 - SAMPLE, 10)}
    late = {i: 1 for i in range(turns - SAMPLE, turns)}
    return early | late


async def bench_growth(console: Console, res: Resources, turns: int) -> list[Growth]:
    tenant = f"bench-growth-{uuid.uuid4().hex[:8]}"
    runners = [
        Runner("Mnemo (7 nodes, window)", build_turn_graph(res).compile(checkpointer=res.checkpointer,
                                                                                 name="mnemo-turn"),
               res, tenant, mnemo=True),
        Runner(f"Stock LangGraph ({STOCK_NODES} nodes)",
               build_stock_graph(res).compile(checkpointer=res.checkpointer, name="bench-stock"),
               res, tenant, mnemo=False),
    ]
    points = {r.name: [Point(0), Point(0)] for r in runners}
    plan = sampled(turns)
    warmup = Runner("warm-up", runners[0].graph, res, tenant, mnemo=True)
    with progress_bar(console) as progress:
        task = progress.add_task("Warm-up turns (the user's memories)", total=WARMUP_TURNS)
        for i in range(WARMUP_TURNS):
            await warmup.turn(i, None, WARMUP_TURNS)
            progress.advance(task)
    with progress_bar(console) as progress:
        task = progress.add_task("Turns (Mnemo + stock)", total=turns)
        for i in range(turns):
            order = runners if i % 2 else runners[::-1]
            for runner in order:
                which = plan.get(i)
                await runner.turn(i, None if which is None else points[runner.name][which], turns)
            progress.advance(task)
    return [Growth(r.name, *points[r.name]) for r in runners]


def _kb(n: float) -> str:
    return f"{n / 1024:.1f}"


def report(console: Console, figures: list[Growth], turns: int) -> None:
    early, late = figures[0].early.turn, figures[0].late.turn
    table = Table(title="mnemo bench growth", title_justify="left")
    for column in ("Graph", f"ms @{early}", f"ms @{late}", "time x", f"KB/turn @{early}", f"KB/turn @{late}",
                   "bytes x", f"state KB @{late}"):
        table.add_column(column, justify="left" if column == "Graph" else "right")
    for g in figures:
        table.add_row(g.graph, f"{g.early.p50:.1f}", f"{g.late.p50:.1f}", f"{g.time_ratio:.2f}",
                      _kb(g.early.bytes_per_turn), _kb(g.late.bytes_per_turn), f"{g.bytes_ratio:.2f}",
                      _kb(g.late.state_bytes))
    (console if console.width >= 130 else Console(width=130)).print(table)  # every column whole, even in a log
    mnemo = figures[0]
    by_node = ", ".join(f"{name} {statistics.median(mnemo.early.nodes[name]):.1f} -> "
                        f"{statistics.median(mnemo.late.nodes[name]):.1f}" for name in NODE_NAMES)
    console.print(f"Mnemo's nodes, p50 ms at turn {early} -> {late}: {by_node}")
    holds = mnemo.time_ratio <= AIM and mnemo.bytes_ratio <= AIM
    console.print(f"Aim: Mnemo at turn {late} within {AIM}x of turn {early} in time and bytes per turn: "
                  f"{mnemo.time_ratio:.2f}x and {mnemo.bytes_ratio:.2f}x: "
                  + ("[green]holds[/]" if holds else "[red]does not hold[/]"))
    console.print(f"Medians of {SAMPLE} turns at each point. Reproduce: mnemo bench growth --turns {turns}")


async def run_growth_bench(console: Console, *, turns: int = 1000, resources: Resources | None = None) -> list[Growth]:
    """Measure and print; uses `resources` when given (tests), else opens the configured services."""
    if turns < 10 + SAMPLE:
        raise ValueError(f"--turns must be at least {10 + SAMPLE}")
    owned = resources is None
    if resources is None:
        with console.status("Starting PostgreSQL and Redis"):
            resources = await open_resources()
    try:
        figures = await bench_growth(console, resources.with_settings(chat_model="fake"), turns)
        report(console, figures, turns)
        return figures
    finally:
        if owned:
            await resources.close()
