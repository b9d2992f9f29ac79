"""`mnemo bench extraction --sequences`: does the memory end up right after a whole conversation?

Each sequence is played as real turns of one thread for a fresh user, through the product's own turn
graph (the fake chat model answers, so only Mnemo is measured): extraction, consolidation (update,
supersede, forget, temporary states) and persistence all run as in production. Then the user's
current memories are scored as the corpus README says:

- final-state recall: final memories matched by at least one current memory;
- must-not score: `must_not_contain` entries correctly absent (no current memory of that category
  holds any of the match strings);
- no-duplicate share (sequences tagged no-duplicate): final memories matched by exactly one memory.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.extraction import normalise
from graphs.resources import Resources
from graphs.runner import run_turn
from graphs.turn import build_turn_graph
from memory.db import tenant_connection
from memory.memories import list_memories
from memory.sessions import consolidate_session, list_sessions

BENCH_TENANT = "bench-sequences"


def _matches(memory: dict, category: str, match: list[str]) -> bool:
    value = normalise(memory["value"])
    return memory["category"] == category and any(normalise(m) in value for m in match)


def score_sequence(item: dict, current: list[dict]) -> dict[str, Any]:
    """Counts for one sequence given the user's current memories at its end."""
    finals = item["final_memories"]
    hits = [sum(_matches(m, f["category"], f["match"]) for m in current) for f in finals]
    absent = [not any(_matches(m, n["category"], n["match"]) for m in current) for n in item["must_not_contain"]]
    return {
        "id": item["id"], "lang": item.get("lang"), "tags": item.get("tags", []),
        "final": len(finals), "found": sum(h > 0 for h in hits), "exactly_once": sum(h == 1 for h in hits),
        "must_not": len(absent), "absent": sum(absent),
        "missing": [f["value"] for f, h in zip(finals, hits, strict=True) if not h],
        "present": [n["match"][0] for n, ok in zip(item["must_not_contain"], absent, strict=True) if not ok],
        "current": [f"{m['category']}:{m['value']}" for m in current],
    }


def summarise(per_sequence: list[dict]) -> dict[str, Any]:
    def ratio(num: str, den: str, rows: list[dict]) -> float:
        total = sum(r[den] for r in rows)
        return sum(r[num] for r in rows) / total if total else 1.0

    by_tag: dict[str, list[dict]] = defaultdict(list)
    for row in per_sequence:
        for tag in row["tags"]:
            by_tag[tag].append(row)
    no_dup = by_tag.get("no-duplicate", [])
    after = [r["after_session"] for r in per_sequence if "after_session" in r]
    after_no_dup = [r["after_session"] for r in no_dup if "after_session" in r]
    consolidated = {
        "final_recall": ratio("found", "final", after), "must_not_score": ratio("absent", "must_not", after),
        "no_duplicate_share": ratio("exactly_once", "final", after_no_dup) if after_no_dup else None,
    } if after else None
    return {
        "after_session": consolidated,
        "sequences": len(per_sequence),
        "final_recall": ratio("found", "final", per_sequence),
        "must_not_score": ratio("absent", "must_not", per_sequence),
        "no_duplicate_share": ratio("exactly_once", "final", no_dup) if no_dup else None,
        "by_tag": {tag: {"final_recall": ratio("found", "final", rows), "sequences": len(rows),
                         "must_not_score": ratio("absent", "must_not", rows)} for tag, rows in sorted(by_tag.items())},
        "items": per_sequence,
    }


async def _current(res: Resources, user_id: str) -> list[dict]:
    async with tenant_connection(res.pool, BENCH_TENANT) as conn:
        return await list_memories(conn, tenant_id=BENCH_TENANT, user_id=user_id, limit=500)


async def play_sequence(res: Resources, graph: Any, item: dict) -> dict[str, Any]:
    """Play the turns for a new user and score what is current at the end, then again after the session's
    consolidation (run at once, as if the idle window had passed): `after_session`."""
    user_id = f"{item['id']}-{uuid.uuid4().hex[:6]}"
    thread_id = f"seq-{user_id}"
    for text in item["turns"]:
        await run_turn(graph, message=text, thread_id=thread_id, tenant_id=BENCH_TENANT, user_id=user_id, agent=None)
    scored = score_sequence(item, await _current(res, user_id))
    async with tenant_connection(res.pool, BENCH_TENANT) as conn:
        sessions = await list_sessions(conn, tenant_id=BENCH_TENANT, user_id=user_id, idle_minutes=0)
    for session in sessions:
        await consolidate_session(res, session_id=session["id"], tenant_id=BENCH_TENANT, idle_minutes=0)
    return {**scored, "after_session": score_sequence(item, await _current(res, user_id))}


async def run_sequences(res: Resources, path: Path, progress: Any = None) -> dict[str, Any]:
    """Every sequence of the JSONL file through the turn graph; `progress(done, total)` after each."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    res = res.with_settings(chat_model="fake")
    graph = build_turn_graph(res).compile(checkpointer=res.checkpointer)
    rows = []
    for done, item in enumerate(items, 1):
        rows.append(await play_sequence(res, graph, item))
        if progress:
            progress(done, len(items))
    return summarise(rows)


def format_sequences(result: dict[str, Any], show_failures: bool = False) -> str:
    lines = [
        f"sequences: {result['sequences']}",
        f"  final-state recall      {result['final_recall']:.3f}",
        f"  must-not score          {result['must_not_score']:.3f}",
    ]
    if result["no_duplicate_share"] is not None:
        lines.append(f"  no-duplicate share      {result['no_duplicate_share']:.3f}")
    if after := result.get("after_session"):
        lines.append(f"  after session consolidation: final-state recall {after['final_recall']:.3f}, "
                     f"must-not {after['must_not_score']:.3f}"
                     + (f", no-duplicate {after['no_duplicate_share']:.3f}" if after["no_duplicate_share"] is not None
                        else ""))
    lines.append("  by tag:")
    for tag, f in result["by_tag"].items():
        lines.append(f"    {tag:<18} n={f['sequences']:<3} final recall {f['final_recall']:.2f}"
                     f"  must-not {f['must_not_score']:.2f}")
    if show_failures:
        for row in result["items"]:
            if row["missing"] or row["present"]:
                lines.append(f"  {row['id']}: missing {row['missing']} present {row['present']} "
                             f"current {row['current']}")
    return "\n".join(lines)
