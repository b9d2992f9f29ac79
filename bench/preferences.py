"""`mnemo bench preferences`: the preference cache's hit rate over a simulated day of sessions.

Many users each open a few sessions (threads) spread over a day; a session is several turns a minute
or two apart, and now and then the user comes back to a thread hours later. Every turn reads the
user's memories exactly as load_memory does (`prefetch_session` on a session's first turn,
`load_user_memories` on the others); some turns change a preference and write it through as persist
does (`refresh_context_memories`). Real PostgreSQL and Redis, through `Resources` like bench/turn.py.

Time runs `speedup` times faster than the clock and the cache TTL is scaled by the same factor, so a
day with the configured TTL (MNEMO_PREFS_TTL_SECONDS) takes 86400 / speedup seconds and Redis expires
entries exactly as it would over a real day. When the machine falls behind the schedule, entries age
more than simulated, which can only lower the hit rate; the report gives the largest lag.

After every read the bench reads PostgreSQL again (outside the cache) and counts a stale read when
the context set differs: the aim is 0. Hits and misses are the product's own Prometheus counters
(memory_preference_cache_total), so every read path is counted the way production counts it. A
session's first turn is a prefetch (one PostgreSQL query, memory_preference_cache_loads_total), not
a cache lookup; the report gives those next to the hit rate.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from prometheus_client import REGISTRY

from graphs.resources import Resources, open_resources
from memory.cache import (
    PreferenceCache,
    load_user_memories,
    prefetch_session,
    read_user_memories,
    refresh_context_memories,
)
from memory.db import tenant_connection
from memory.memories import NewMemory, save_memories
from memory.users import ensure_user

__all__ = ["run", "format_report"]

DAY_SECONDS = 86400
WAKING = (7 * 3600, 23 * 3600)  # sessions start between 7:00 and 23:00
AIM_HIT_RATE = 0.95
STYLES = ("short answers", "detailed explanations", "bullet points", "a formal tone", "a casual tone")
SEED_MEMORIES = (
    NewMemory("preference", "preference.music", "jazz"),
    NewMemory("preference", "preference.drink", "green tea"),
    NewMemory("constraint", "constraint.allergy", "peanuts"),
    NewMemory("profile", "profile.location", "Lyon"),
    NewMemory("intent", "intent.travel", "visit Japan in spring"),
)
DELETE_TENANT_SQL = "DELETE FROM users WHERE tenant_id = %s"


@dataclass(frozen=True, order=True)
class Turn:
    at: float  # simulated seconds since midnight
    user: int
    first: bool  # the session's first turn
    update: bool  # the user changes a preference on this turn


def schedule(*, users: int, sessions: tuple[int, int], turns: tuple[int, int], gap: tuple[float, float],
             resume_rate: float, resume_gap: tuple[float, float], update_rate: float, seed: int) -> list[Turn]:
    """Every turn of the day in time order: each user's sessions start in separate slices of the waking
    day; turns are `gap` seconds apart, or with `resume_rate` `resume_gap` seconds (back to the thread later)."""
    rng = random.Random(seed)
    plan = []
    for user in range(users):
        count = rng.randint(*sessions)
        width = (WAKING[1] - WAKING[0]) / count
        for s in range(count):
            at = WAKING[0] + s * width + rng.uniform(0, width / 2)
            for t in range(rng.randint(*turns)):
                if t:
                    at += rng.uniform(*(resume_gap if rng.random() < resume_rate else gap))
                plan.append(Turn(at, user, t == 0, t > 0 and rng.random() < update_rate))
    return sorted(plan)


def _sample(name: str, label: str, value: str) -> float:
    return REGISTRY.get_sample_value(name, {label: value}) or 0.0


def _counts() -> dict[str, float]:
    """The product's own counters (core.metrics PREFERENCE_CACHE and PREFERENCE_CACHE_LOADS)."""
    lookups = {o: _sample("memory_preference_cache_total", "outcome", o) for o in ("hit", "miss", "error")}
    loads = {f"load_{r}": _sample("memory_preference_cache_loads_total", "reason", r)
             for r in ("prefetch", "miss", "write_through")}
    return {**lookups, **loads}


def _fingerprint(rows: list[dict[str, Any]]) -> list[tuple]:
    return [(r["id"], r["value"], r["polarity"]) for r in rows]


async def _seed_users(res: Resources, tenant: str, users: int, vector: np.ndarray) -> None:
    async with tenant_connection(res.pool, tenant) as conn:
        for user in range(users):
            await ensure_user(conn, tenant_id=tenant, user_id=f"u{user}")
            await save_memories(conn, tenant_id=tenant, user_id=f"u{user}", memories=list(SEED_MEMORIES),
                                embeddings=np.stack([vector] * len(SEED_MEMORIES)))


async def _update(res: Resources, tenant: str, user: str, style: str, vector: np.ndarray) -> None:
    """What persist does for a changed preference: commit, then write the cache entry through."""
    async with tenant_connection(res.pool, tenant) as conn:
        await save_memories(conn, tenant_id=tenant, user_id=user, embeddings=np.stack([vector]),
                            memories=[NewMemory("preference", "preference.reply_style", style)])
    await refresh_context_memories(res, tenant, user)


async def simulate(res: Resources, plan: list[Turn], *, users: int, ttl_seconds: float, speedup: float,
                   seed: int) -> dict[str, Any]:
    tenant = f"bench-prefs-{uuid.uuid4().hex[:8]}"
    rng = np.random.default_rng(seed)
    vector = rng.normal(size=res.embedder.dim).astype(np.float32)
    vector /= np.linalg.norm(vector)
    await _seed_users(res, tenant, users, vector)
    bench = replace(res, cache=PreferenceCache(res.redis, ttl_seconds / speedup))
    stale = updates = 0
    max_lag = 0.0
    before = _counts()
    started = time.perf_counter()
    try:
        for turn in plan:
            due = started + (turn.at - plan[0].at) / speedup
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            max_lag = max(max_lag, -wait * speedup)
            user = f"u{turn.user}"
            loader = prefetch_session if turn.first else load_user_memories
            served = await loader(bench, tenant, user)
            async with tenant_connection(res.pool, tenant) as conn:
                truth = await read_user_memories(conn, tenant_id=tenant, user_id=user)
            stale += _fingerprint(served.context) != _fingerprint(truth.context)
            if turn.update:
                updates += 1
                await _update(bench, tenant, user, STYLES[int(rng.integers(len(STYLES)))], vector)
        real_seconds = time.perf_counter() - started
    finally:
        async with tenant_connection(res.pool, tenant) as conn:
            await conn.execute(DELETE_TENANT_SQL, (tenant,))
    after = _counts()
    delta = {k: int(after[k] - before[k]) for k in before}
    lookups = delta["hit"] + delta["miss"] + delta["error"]
    return {
        "users": users, "sessions": sum(t.first for t in plan), "turns": len(plan), "updates": updates,
        "hits": delta["hit"], "misses": delta["miss"], "errors": delta["error"],
        "hit_rate": delta["hit"] / lookups if lookups else float("nan"),
        "prefetches": delta["load_prefetch"], "miss_loads": delta["load_miss"],
        "write_throughs": delta["load_write_through"],
        "redis_share": delta["hit"] / len(plan) if plan else float("nan"),
        "stale_reads": stale, "ttl_seconds": ttl_seconds, "speedup": speedup,
        "simulated_hours": (plan[-1].at - plan[0].at) / 3600 if plan else 0.0,
        "real_seconds": real_seconds, "max_lag_seconds": max_lag,
    }


async def run(*, users: int = 40, sessions: tuple[int, int] = (2, 5), turns: tuple[int, int] = (3, 8),
              gap: tuple[float, float] = (20.0, 180.0), resume_rate: float = 0.05,
              resume_gap: tuple[float, float] = (1800.0, 10800.0), update_rate: float = 0.1,
              ttl_seconds: float | None = None, speedup: float = 3600.0, seed: int = 20261121,
              resources: Resources | None = None) -> dict[str, Any]:
    """Simulate the day and return its figures (see `format_report`). Uses `resources` when given
    (tests), else opens the configured services; `ttl_seconds` defaults to the configured TTL."""
    owned = resources is None
    res = resources or await open_resources()
    try:
        ttl = float(ttl_seconds if ttl_seconds is not None else res.settings.prefs_ttl_seconds)
        plan = schedule(users=users, sessions=sessions, turns=turns, gap=gap, resume_rate=resume_rate,
                        resume_gap=resume_gap, update_rate=update_rate, seed=seed)
        result = await simulate(res, plan, users=users, ttl_seconds=ttl, speedup=speedup, seed=seed)
    finally:
        if owned:
            await res.close()
    options = {"users": users, "update_rate": update_rate, "resume_rate": resume_rate, "ttl_seconds": ttl,
               "speedup": speedup, "seed": seed}
    return {**result, "options": options}


def format_report(result: dict[str, Any]) -> str:
    rate = result["hit_rate"]
    verdict = "holds" if rate >= AIM_HIT_RATE else "does not hold"
    stale = "holds" if result["stale_reads"] == 0 else "does not hold"
    return "\n".join([
        "mnemo bench preferences",
        f"Simulated: {result['users']} users, {result['sessions']} sessions, {result['turns']} turns over "
        f"{result['simulated_hours']:.1f} h, {result['updates']} preference updates; TTL "
        f"{result['ttl_seconds']:g} s, time x{result['speedup']:g} ({result['real_seconds']:.1f} s real, "
        f"largest lag {result['max_lag_seconds']:.0f} simulated s)",
        f"Cache lookups: {result['hits']} hits, {result['misses']} misses, {result['errors']} errors: "
        f"hit rate {rate:.4f}",
        f"PostgreSQL loads: {result['prefetches']} session prefetches, {result['miss_loads']} after a miss, "
        f"{result['write_throughs']} write-throughs; turns served from Redis: {result['redis_share']:.4f}",
        f"Stale reads: {result['stale_reads']}",
        f"Aim: hit rate >= {AIM_HIT_RATE}: {verdict}; no stale read: {stale}",
    ])
