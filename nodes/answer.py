"""The POST /v1/chat answer, built in one place: the persist node stores it with the turn (a retry with
the same Idempotency-Key gets it back), and `graphs.runner.TurnResult.public()` returns it."""

from __future__ import annotations

from typing import Any


def public_answer(
    *, thread_id: str, message_id: str, reply: str, agent: str, hints: list[dict[str, Any]],
    memories: list[dict[str, Any]], usage: dict[str, Any], forgotten: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The POST /v1/chat answer; persist stores the same one for a retry with the same Idempotency-Key.
    `memories` is what the turn learned or updated, `forgotten` what it deleted on the user's request."""
    return {
        "thread_id": thread_id, "message_id": message_id, "reply": reply, "agent": agent,
        "hints": [dict(h) for h in hints], "memories": [dict(m) for m in memories],
        "forgotten": [dict(m) for m in forgotten or ()],
        "usage": {k: usage.get(k) for k in ("input_tokens", "output_tokens", "cost_usd", "model")},
    }
