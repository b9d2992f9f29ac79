"""The turn graph as data, for clients that draw it."""

from __future__ import annotations

from fastapi import APIRouter

from server.deps import Caller, Runtime

router = APIRouter(prefix="/v1", tags=["graph"])


@router.get("/graph")
async def turn_graph(runtime: Runtime, caller: Caller) -> dict:
    drawable = runtime.graph.get_graph()
    return {
        "nodes": [n for n in drawable.nodes if not n.startswith("__")],
        "edges": [{"source": e.source, "target": e.target, "conditional": e.conditional,
                   "label": e.data} for e in drawable.edges],
        "mermaid": drawable.draw_mermaid(),
    }
