"""Turns run in tasks the runtime holds, apart from the request that started them.

A client that disconnects cancels its request, never a turn already under way: the turn runs to its
end and is persisted (the client reads it back from GET /v1/threads/{id}/messages). On shutdown the
runtime waits up to `MNEMO_SHUTDOWN_GRACE_SECONDS` for running turns before it closes the pools; a turn
still running then is cancelled, and since persist writes in one transaction, it leaves nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class TurnTasks:
    """The running turns of this process."""

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
            task.exception()  # retrieved here: the turn logs its own failure, nobody may await it

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for the turns running now; True when all of them finished within `timeout`."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not pending

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds, then cancel what still runs; returns how many were cancelled."""
        if await self.wait(grace):
            return 0
        left = list(self._tasks)
        log.warning("shutdown: cancelling %d turn(s) still running after %.0f s", len(left), grace)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        return len(left)
