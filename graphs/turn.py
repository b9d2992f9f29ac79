"""The turn graph: load_memory -> retrieve -> route -> generate -> extract -> hint -> persist.

`build_turn_graph(resources)` returns the uncompiled builder; the API compiles it with its
checkpointer. `graph` (compiled without a checkpointer) is what langgraph.json serves: the LangGraph
server adds its own, `langgraph_checkpointer` (the shared resources' saver on Mnemo's PostgreSQL), and
the nodes reach the shared resources lazily.

The LangGraph server loads this file by its path, as a module of its own; `graphs.resources` is
imported by name, so the server's graph and checkpointer share one `shared_resources()`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import wraps

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import END, START, StateGraph

from core.metrics import NODE_SECONDS
from graphs.resources import Resources, shared_resources
from graphs.state import TurnState
from graphs.trace import record
from nodes.agents import AGENTS
from nodes.extract import extract
from nodes.generate import generate
from nodes.hint import hint
from nodes.load_memory import load_memory
from nodes.persist import persist
from nodes.retrieve import retrieve
from nodes.route import agent_of, route

__all__ = ["build_turn_graph", "graph", "langgraph_checkpointer", "NODE_NAMES"]

NODE_NAMES = ("load_memory", "retrieve", "route", "generate", "extract", "hint", "persist")

ResourceProvider = Callable[[], Awaitable[Resources]]


def _timed(name: str, fn: Callable[..., Awaitable[dict]], provider: ResourceProvider | None):
    """The node as LangGraph calls it (state, config), with resources bound and its time measured."""

    @wraps(fn)
    async def node(state: TurnState, config: RunnableConfig) -> dict:
        started = time.perf_counter()
        try:
            if provider is None:
                return await fn(state, config)
            return await fn(state, config, await provider())
        finally:
            seconds = time.perf_counter() - started
            NODE_SECONDS.labels(name).observe(seconds)
            record(name, seconds)

    return node


def build_turn_graph(resources: Resources | None = None) -> StateGraph:
    """The builder; with no resources the nodes use `shared_resources()` (LangGraph server)."""

    async def given() -> Resources:
        return resources

    provider: ResourceProvider = given if resources is not None else shared_resources
    builder = StateGraph(TurnState)
    builder.add_node("load_memory", _timed("load_memory", load_memory, provider))
    builder.add_node("retrieve", _timed("retrieve", retrieve, provider))
    builder.add_node("route", _timed("route", route, None))
    builder.add_node("generate", _timed("generate", generate, provider))
    builder.add_node("extract", _timed("extract", extract, provider))
    builder.add_node("hint", _timed("hint", hint, provider))
    builder.add_node("persist", _timed("persist", persist, provider))
    builder.add_edge(START, "load_memory")
    builder.add_edge("load_memory", "retrieve")
    builder.add_edge("retrieve", "route")
    builder.add_conditional_edges("route", agent_of, {name: "generate" for name in AGENTS})
    builder.add_edge("generate", "extract")
    builder.add_edge("extract", "hint")
    builder.add_edge("hint", "persist")
    builder.add_edge("persist", END)
    return builder


graph = build_turn_graph().compile(name="mnemo-turn")


@asynccontextmanager
async def langgraph_checkpointer() -> AsyncIterator[AsyncPostgresSaver]:
    """For `checkpointer.path` in langgraph.json: the same database the API uses."""
    resources = await shared_resources()
    yield resources.checkpointer
