"""One turn at a time per thread, across every API process: a lock in Redis (redis-py's `Lock`).

Two turns that ran at once on one thread would both start from the same checkpoint and the later
one's checkpoint would drop the other's messages. So a turn takes the thread's lock before it starts
and keeps it until its checkpoint is written; a second turn is refused (`ThreadBusy`, 409 at the API),
or waits up to `MNEMO_TURN_WAIT_SECONDS` first.

The lock has a TTL (`MNEMO_TURN_LOCK_TTL_SECONDS`) so a crashed process frees it; the holder renews it
every third of that while the turn runs. A Redis outage does not stop turns: the turn runs unlocked,
logged and counted in mnemo_cache_errors_total, like every other degraded Redis operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from core.metrics import CACHE_ERRORS

log = logging.getLogger(__name__)

KEY_PREFIX = "mnemo:turn-lock:"
RETRY_AFTER_SECONDS = 1


class ThreadBusy(Exception):
    """Another turn holds this thread."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"another turn is running on thread {thread_id}; retry when it has finished")
        self.thread_id = thread_id


class HeldTurnLock:
    """A thread's lock while a turn holds it: renewed in the background, released once on exit
    (`async with`, or `release()`). `lock` is None when Redis was down and the turn runs unlocked."""

    def __init__(self, thread_id: str, lock: Lock | None, ttl: float) -> None:
        self.thread_id = thread_id
        self._lock = lock
        self._renewal = asyncio.create_task(self._renew(ttl / 3)) if lock is not None else None

    async def _renew(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self._lock.reacquire()
            except LockError:
                log.warning("turn lock on thread %s expired while the turn ran", self.thread_id)
                return
            except RedisError as exc:
                CACHE_ERRORS.inc()
                log.warning("could not renew the turn lock on thread %s: %s", self.thread_id, exc)

    async def release(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()  # not awaited: a cancellation of our own task must stay ours
            self._renewal = None
        lock, self._lock = self._lock, None
        if lock is None:
            return
        try:
            await lock.release()
        except LockError:  # expired meanwhile: nothing left to release
            log.warning("turn lock on thread %s had expired before its turn ended", self.thread_id)
        except RedisError as exc:  # the TTL frees it
            CACHE_ERRORS.inc()
            log.warning("could not release the turn lock on thread %s: %s", self.thread_id, exc)

    async def __aenter__(self) -> HeldTurnLock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


class TurnLocks:
    """The per-thread turn locks of one Redis; `acquire` one before a turn starts."""

    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: float = 30, wait_seconds: float = 0) -> None:
        self._redis = redis
        self.ttl = ttl_seconds
        self.wait = wait_seconds

    async def acquire(self, thread_id: str) -> HeldTurnLock:
        """The thread's lock, held; ThreadBusy if another turn holds it (after waiting `wait` seconds)."""
        lock = Lock(self._redis, KEY_PREFIX + thread_id, timeout=self.ttl, sleep=0.05, thread_local=False)
        try:
            got = await lock.acquire(blocking=self.wait > 0, blocking_timeout=self.wait or None)
        except RedisError as exc:
            CACHE_ERRORS.inc()
            log.error("Redis unavailable for the turn lock; thread %s runs unlocked: %s", thread_id, exc)
            return HeldTurnLock(thread_id, None, self.ttl)
        if not got:
            raise ThreadBusy(thread_id)
        return HeldTurnLock(thread_id, lock, self.ttl)

    @contextlib.asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[HeldTurnLock]:
        """`async with locks.hold(thread_id):` around a turn (for `mnemo chat` and other in-process callers)."""
        async with await self.acquire(thread_id) as held:
            yield held
