"""Work a process holds in tasks of its own, apart from the request or the turn that started it.

Turns (server.runtime): a client that disconnects cancels its request, never a turn already under way:
the turn runs to its end and is persisted (the client reads it back from GET /v1/threads/{id}/messages).
Background work after a turn's answer (graphs.resources, the reply's embedding): it must not hold up the
answer. On shutdown the owner waits a grace period before it closes the pools; what still runs then is
cancelled, and leaves nothing half written (each piece writes in one transaction).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class TaskSet:
    """Running tasks, kept referenced until they end; waited for, then cancelled, on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def start(self, coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here: the task logs its own failure, nobody may await it

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for the tasks running now; True when all of them finished within `timeout`."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not pending

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds, then cancel what still runs; returns how many were cancelled."""
        if await self.wait(grace):
            return 0
        left = list(self._tasks)
        log.warning("shutdown: cancelling %d task(s) still running after %.0f s", len(left), grace)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        return len(left)
