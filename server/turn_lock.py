"""One turn at a time per thread, across every API process: a lock in Redis (redis-py's `Lock`).

Two turns that ran at once on one thread would both start from the same checkpoint and the later
one's checkpoint would drop the other's messages. So a turn takes the thread's lock before it starts
and keeps it until its checkpoint is written; a second turn is refused (`ThreadBusy`, 409 at the API),
or waits up to `MNEMO_TURN_WAIT_SECONDS` first.

The lock has a TTL (`MNEMO_TURN_LOCK_TTL_SECONDS`) so a crashed process frees it; the holder renews it
every third of that while the turn runs. A Redis outage does not stop turns: the turn runs without the
Redis lock, logged and counted in mnemo_cache_errors_total, like every other degraded Redis operation.
Turns on one thread in this process still take turns (the process also knows which threads it runs), and
across processes the commit's compare-and-set (memory.threads.advance_thread) keeps the thread whole: the
lock saves wasted turns, it is not what makes them correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import redis.asyncio as aioredis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from core.metrics import CACHE_ERRORS

log = logging.getLogger(__name__)

KEY_PREFIX = "mnemo:turn-lock:"
RETRY_AFTER_SECONDS = 1
POLL_SECONDS = 0.05


class ThreadBusy(Exception):
    """Another turn holds this thread."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"another turn is running on thread {thread_id}; retry when it has finished")
        self.thread_id = thread_id


class HeldTurnLock:
    """A thread's lock while a turn holds it: renewed in the background, released once on exit
    (`async with`, or `release()`). `lock` is None when Redis was down and the turn runs unlocked."""

    def __init__(self, thread_id: str, lock: Lock | None, ttl: float, on_release: Callable[[], None]) -> None:
        self.thread_id = thread_id
        self._lock = lock
        self._on_release: Callable[[], None] | None = on_release
        self._renewal = asyncio.create_task(self._renew(lock, ttl / 3)) if lock is not None else None

    async def _renew(self, lock: Lock, every: float) -> None:
        """Until released. A cancellation swallowed inside redis-py's call must not renew a released lock
        (seen under load: the loop went on after release() had dropped it)."""
        while True:
            await asyncio.sleep(every)
            if self._lock is not lock:
                return
            try:
                await lock.reacquire()
            except LockError:
                log.warning("turn lock on thread %s expired while the turn ran", self.thread_id)
                return
            except RedisError as exc:
                CACHE_ERRORS.inc()
                log.warning("could not renew the turn lock on thread %s: %s", self.thread_id, exc)

    async def release(self) -> None:
        if self._on_release is not None:
            self._on_release()
            self._on_release = None
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

    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: float = 15, wait_seconds: float = 0) -> None:
        self._redis = redis
        self.ttl = ttl_seconds
        self.wait = wait_seconds
        self._here: set[str] = set()  # threads a turn of this process holds

    async def acquire(self, thread_id: str) -> HeldTurnLock:
        """The thread's lock, held; ThreadBusy if another turn holds it (after waiting `wait` seconds)."""
        deadline = time.monotonic() + self.wait
        while thread_id in self._here:  # a turn of this process: no need to ask Redis, which may be down
            if time.monotonic() >= deadline:
                raise ThreadBusy(thread_id)
            await asyncio.sleep(POLL_SECONDS)
        self._here.add(thread_id)
        try:
            lock = await self._redis_lock(thread_id, max(0.0, deadline - time.monotonic()) if self.wait else 0.0)
        except BaseException:
            self._here.discard(thread_id)
            raise
        return HeldTurnLock(thread_id, lock, self.ttl, lambda: self._here.discard(thread_id))

    async def _redis_lock(self, thread_id: str, wait: float) -> Lock | None:
        """The thread's Redis lock, held; None when Redis is down; ThreadBusy if another process holds it."""
        lock = Lock(self._redis, KEY_PREFIX + thread_id, timeout=self.ttl, sleep=POLL_SECONDS, thread_local=False)
        try:
            got = await lock.acquire(blocking=wait > 0, blocking_timeout=wait or None)
        except RedisError as exc:
            CACHE_ERRORS.inc()
            log.error("Redis unavailable for the turn lock; thread %s runs without it: %s", thread_id, exc)
            return None
        if not got:
            raise ThreadBusy(thread_id)
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[HeldTurnLock]:
        """`async with locks.hold(thread_id):` around a turn (for `mnemo chat` and other in-process callers)."""
        async with await self.acquire(thread_id) as held:
            yield held
