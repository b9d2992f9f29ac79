"""Which nodes a turn ran, in order, and how long each took: the turn's trace.

The runner opens a `collecting()` block around the graph's stream; each node (graphs/turn.py `_timed`)
adds its own time to the dict it finds there. LangGraph runs nodes in tasks that copy the caller's
context, so they see the same dict. Outside a `collecting()` block (the LangGraph server) nothing is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_NODE_MS: ContextVar[dict[str, float] | None] = ContextVar("mnemo_node_ms", default=None)


@contextmanager
def collecting() -> Iterator[dict[str, float]]:
    """A dict that fills with {node: milliseconds}, in the order the nodes finish."""
    timings: dict[str, float] = {}
    token = _NODE_MS.set(timings)
    try:
        yield timings
    finally:
        try:
            _NODE_MS.reset(token)
        except ValueError:  # an abandoned stream closed from another context: nothing of ours is left set there
            pass


def record(node: str, seconds: float) -> None:
    timings = _NODE_MS.get()
    if timings is not None:
        timings[node] = round(timings.get(node, 0.0) + seconds * 1000, 3)
