"""A thread's LangGraph checkpoints, newest first (GET /v1/threads/{id}/history).

Read through the checkpointer's own `alist`, so the format stays LangGraph's. Checkpoints carry no
"node" field: the node that wrote one is the node that ran last before it, i.e. the one that saw the
newest channel version (`versions_seen`). Turns keep one checkpoint each (durability "exit"), so
that is `persist` for a finished turn.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

INTERNAL_NODES = frozenset({"__input__", "__interrupt__"})


def _version_number(version: Any) -> float:
    """LangGraph versions are ints or "<zero-padded int>.<...>" strings."""
    if isinstance(version, int | float):
        return float(version)
    head = str(version).split(".", 1)[0]
    return float(head) if head.isdigit() else 0.0


def writing_node(saved: CheckpointTuple) -> str | None:
    """The node that ran last before this checkpoint; `__input__` for the input checkpoint."""
    source = (saved.metadata or {}).get("source")
    if source == "input":
        return "__input__"
    seen = {node: max(map(_version_number, versions.values()))
            for node, versions in saved.checkpoint.get("versions_seen", {}).items()
            if versions and node not in INTERNAL_NODES}
    return max(seen, key=seen.__getitem__) if seen else None


async def list_checkpoints(
    saver: BaseCheckpointSaver, thread_id: str, *, before: str | None = None, limit: int = 50,
) -> list[dict[str, Any]]:
    """The thread's top-level checkpoints (subgraphs left out), newest first, older than `before`."""
    config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    before_config = {"configurable": {"checkpoint_id": before}} if before else None
    return [
        {"id": saved.config["configurable"]["checkpoint_id"], "step": (saved.metadata or {}).get("step"),
         "node": writing_node(saved), "source": (saved.metadata or {}).get("source"),
         "created_at": saved.checkpoint["ts"],
         "parent_id": saved.parent_config["configurable"]["checkpoint_id"] if saved.parent_config else None}
        async for saved in saver.alist(config, before=before_config, limit=limit)
    ]
