"""The turn graph as data, for clients that draw it."""

from __future__ import annotations

from fastapi import APIRouter

from memory.last_turn import read_last_turn
from server.deps import Caller, Runtime

router = APIRouter(prefix="/v1", tags=["graph"])


@router.get("/graph")
async def turn_graph(runtime: Runtime, caller: Caller) -> dict:
    """Nodes, edges and Mermaid text of the turn graph, and `last_turn`: the caller's last turn through this
    API ({thread_id, agent, at, path, node_ms}), or null (none yet, or Redis unavailable)."""
    last_turn = await read_last_turn(runtime.resources.redis, tenant_id=caller.tenant_id, user_id=caller.user_id)
    drawable = runtime.graph.get_graph()
    return {
        "nodes": [n for n in drawable.nodes if not n.startswith("__")],
        "edges": [{"source": e.source, "target": e.target, "conditional": e.conditional,
                   "label": e.data} for e in drawable.edges],
        "mermaid": drawable.draw_mermaid(),
        "last_turn": last_turn,
    }
