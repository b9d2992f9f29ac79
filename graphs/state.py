"""The state one turn carries from node to node (and that the checkpointer keeps per thread).

A contract module of the graph (see graphs/__init__.py): nodes import it, so it imports nothing above
jobs/."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict  # on 3.11 langgraph-api's schema endpoint needs this one


class TurnState(TypedDict, total=False):
    """`messages` is the thread's newest window and `summary` what is kept of older turns (both kept
    across turns), `context_memories` is rewritten when it changed; every other key by each turn."""

    messages: Annotated[list[AnyMessage], add_messages]
    context_memories: list[dict[str, Any]]  # profile, preferences, constraints (load_memory; kept while unchanged)
    thread_turns: int  # the thread's committed turns when this turn read it; persist commits only on it (load_memory)
    summary: str  # running summary of the turns older than the window (load_memory, nodes/thread_summary.py)
    retrieved: list[dict[str, Any]]  # hybrid search hits (retrieve)
    agent: str  # chosen persona (route)
    route_reason: str
    reply: str  # the answer text (generate)
    usage: dict[str, Any]  # input_tokens, output_tokens, cost_usd, model, latency_ms (generate)
    extracted: list[dict[str, Any]]  # candidate memories from the user's message (extract)
    hints: list[dict[str, Any]]  # at most 3 proactive hints (hint)
    remembered: list[dict[str, Any]]  # memories actually written this turn (persist)
    forgotten: list[dict[str, Any]]  # memories deleted on the user's request this turn (persist)
    message_ids: dict[str, str]  # ids of the stored user and assistant messages (persist)
