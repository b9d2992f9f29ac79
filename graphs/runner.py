"""Run one turn and turn LangGraph's stream into events: tokens as they come, then the result.

Shared by the REST API (JSON and SSE), `mnemo chat` and `mnemo demo`, so all three see the same turn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessageChunk
from langgraph.graph.state import CompiledStateGraph

from core.metrics import CHECKPOINT_FAILURES
from graphs.trace import collecting
from memory.idempotency import CONFIG_KEY
from nodes.answer import public_answer

log = logging.getLogger(__name__)

# One checkpoint per turn instead of one per node. A turn is all or nothing (persist writes last,
# in one transaction), so per-step checkpoints would only add latency (docs/benchmarks.md).
DURABILITY = "exit"


@dataclass
class TurnResult:
    thread_id: str
    message_id: str
    reply: str
    agent: str
    route_reason: str
    hints: list[dict[str, Any]]
    memories: list[dict[str, Any]]
    retrieved: list[dict[str, Any]]
    usage: dict[str, Any]
    context_memories: list[dict[str, Any]] = field(default_factory=list)
    forgotten: list[dict[str, Any]] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)  # {path: nodes in the order they ran, node_ms: {node: ms}}

    def public(self) -> dict[str, Any]:
        """The POST /v1/chat answer (DESIGN.md contract)."""
        return public_answer(thread_id=self.thread_id, message_id=self.message_id, reply=self.reply,
                             agent=self.agent, hints=self.hints, memories=self.memories, usage=self.usage,
                             forgotten=self.forgotten)


@dataclass(frozen=True)
class TurnEvent:
    kind: str  # "token" | "done"
    token: str = ""
    result: TurnResult | None = None


def turn_config(
    *, thread_id: str, tenant_id: str, user_id: str, agent: str | None, idempotency: dict[str, str] | None = None,
) -> dict:
    """`idempotency`: the claimed Idempotency-Key ({key, claim}) that persist completes with the turn."""
    configurable = {"thread_id": thread_id, "tenant_id": tenant_id, "user_id": user_id, "agent": agent}
    if idempotency:
        configurable[CONFIG_KEY] = idempotency
    return {"configurable": configurable}


async def stream_turn(
    graph: CompiledStateGraph, *, message: str, thread_id: str, tenant_id: str, user_id: str,
    agent: str | None = None, idempotency: dict[str, str] | None = None,
    lock: AbstractAsyncContextManager[Any] | None = None,
) -> AsyncIterator[TurnEvent]:
    """Tokens of the generate node as they stream, then one `done` event with the turn's result.

    `lock`, when given, is held from before the turn starts until its checkpoint is written (the API's
    per-thread turn lock: `runtime.locks.hold(thread_id)`), so two turns on one thread never interleave.
    """
    config = turn_config(thread_id=thread_id, tenant_id=tenant_id, user_id=user_id, agent=agent,
                         idempotency=idempotency)
    final: dict[str, Any] = {}  # this turn's node updates, merged in order
    state: dict[str, Any] = {}  # the whole state after the last step (context_memories is not rewritten when unchanged)
    path: list[str] = []  # the nodes in the order their updates arrived
    with collecting() as node_ms:
        async with lock or nullcontext():
            try:
                async for mode, payload in graph.astream(
                    {"messages": [{"role": "user", "content": message}]}, config,
                    stream_mode=["messages", "updates", "values"],
                    durability=DURABILITY,
                ):
                    if mode == "messages":
                        chunk, meta = payload
                        if (meta.get("langgraph_node") == "generate" and isinstance(chunk, AIMessageChunk)
                                and chunk.content):
                            yield TurnEvent("token", token=str(chunk.content))
                    elif mode == "values":
                        state = payload
                    else:
                        for node, update in payload.items():
                            path.append(node)
                            final.update(update or {})
            except Exception as exc:
                if "message_ids" not in final:  # persist did not commit: nothing of the turn is stored
                    raise
                # Stored, but its checkpoint was not written (PostgreSQL went away, say): the turn stands, and
                # the next turn's load_memory restores the checkpoint from the messages table.
                CHECKPOINT_FAILURES.inc()
                log.warning("turn stored on thread %s but its checkpoint was not written (%s); the next turn "
                            "restores it from the messages table", thread_id, type(exc).__name__)
    yield TurnEvent("done", result=TurnResult(
        thread_id=thread_id,
        message_id=final["message_ids"]["assistant"],
        reply=final["reply"],
        agent=final["agent"],
        route_reason=final.get("route_reason", ""),
        hints=final.get("hints", []),
        memories=final.get("remembered", []),
        retrieved=final.get("retrieved", []),
        usage=final["usage"],
        context_memories=state.get("context_memories", []),
        forgotten=final.get("forgotten", []),
        trace={"path": path, "node_ms": dict(node_ms)},
    ))


async def run_turn(graph: CompiledStateGraph, **kwargs: Any) -> TurnResult:
    """The whole turn, tokens discarded."""
    async for event in stream_turn(graph, **kwargs):
        if event.kind == "done":
            return event.result
    raise RuntimeError("the turn ended without a result")
