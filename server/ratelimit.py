"""Per-caller rate limits kept in Redis, so every API process shares one budget per key.

The algorithm is GCRA (a leaky bucket held as one timestamp per caller, "theoretical arrival
time"), run as one Lua script: read, decide and write happen atomically in Redis, with Redis's own
clock, so processes with skewed clocks still agree. A rate "120/minute" allows a burst of 120 and
then one request every 0.5 s; the answer says how long to wait when refused.

The `limits` library was considered: its async Redis storage needs `coredis` (a second Redis client)
and its sync one pins redis<8, so the one script below is the smaller dependency."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import redis.asyncio as aioredis

KEY_PREFIX = "mnemo:ratelimit:"
UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
         "d": 86400, "day": 86400}
RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")

# KEYS[1] the caller's key; ARGV[1] emission interval (ms), ARGV[2] period (ms) = burst tolerance.
# Returns {allowed (0|1), remaining, retry_after_ms}.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if allow_at > now then
  return {0, 0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(1, new_tat - now))
return {1, math.floor((period - (new_tat - now)) / interval), 0}
"""


@dataclass(frozen=True)
class Rate:
    limit: int
    period_s: float

    def __str__(self) -> str:
        return f"{self.limit} per {self.period_s:g}s"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int  # whole seconds, rounded up; 0 when allowed


def parse_rate(text: str | None) -> Rate | None:
    """"120/minute", "10/second", "1000/hour", "500/5m"; "", "0" or "off" disable (None)."""
    if text is None or text.strip().lower() in ("", "0", "off", "none"):
        return None
    match = RATE_RE.match(text.lower())
    if not match or match.group(3) not in UNITS:
        raise ValueError(f"invalid rate limit {text!r}: expected like '120/minute', '10/second' or '500/5m'")
    limit, count = int(match.group(1)), int(match.group(2) or 1)
    if limit == 0:
        return None
    return Rate(limit, count * UNITS[match.group(3)])


class RateLimiter:
    """`await limiter.hit(identity)` spends one request of that identity's budget."""

    def __init__(self, redis: aioredis.Redis, rate: Rate) -> None:
        self.rate = rate
        self._script = redis.register_script(GCRA_LUA)
        self._period_ms = max(1, round(rate.period_s * 1000))
        self._interval_ms = max(1, self._period_ms // rate.limit)

    async def hit(self, identity: str) -> Decision:
        allowed, remaining, retry_ms = await self._script(
            keys=[KEY_PREFIX + identity], args=[self._interval_ms, self._period_ms]
        )
        return Decision(bool(allowed), self.rate.limit, max(0, int(remaining)),
                        math.ceil(int(retry_ms) / 1000) if not allowed else 0)
