"""`mnemo worker`: one process running the durable queue's jobs (background extraction, the consolidation
of ended sessions) until SIGTERM.

It opens `Resources` once (pool, Redis, embedder, models) for the job bodies, creates the queue's
tables if needed, and runs procrastinate's worker, whose bookkeeping uses a small pool of its own
(see jobs/app.py). Next to it, at start and then every `sweep_every_s`: stalled-job recovery (jobs
of killed workers go back on the queue), the sweep of pending user messages that no job covers, and
the sweep of ended sessions (idle for MNEMO_SESSION_IDLE_MINUTES) not consolidated yet.
SIGTERM or SIGINT stop it gracefully: no new job is taken, running ones get `shutdown_timeout_s` to
finish, then are aborted and retried by the next worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from core.config import Settings
from graphs.resources import Resources, open_resources
from jobs.app import QUEUES, ensure_schema, queue, worker_connector
from jobs.enqueue import requeue_ended_sessions, requeue_unextracted
from jobs.stalled import retry_stalled_jobs

log = logging.getLogger(__name__)


async def _upkeep(res: Resources, *, stalled_after_s: float, pending_after_s: float) -> None:
    """Recover stalled jobs, then enqueue pending messages left without a job and ended sessions."""
    recovered = await retry_stalled_jobs(queue.job_manager, stalled_after_s)
    swept = await requeue_unextracted(res, older_than_s=pending_after_s)
    ended = await requeue_ended_sessions(res, idle_minutes=res.settings.session_idle_minutes)
    if recovered or swept or ended:
        log.info("upkeep: %d stalled jobs retried, %d pending messages and %d ended sessions enqueued",
                 recovered, swept, ended)


async def _upkeep_forever(res: Resources, every_s: float, **limits: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await _upkeep(res, **limits)
        except Exception:  # the next round tries again; the worker keeps running its jobs meanwhile
            log.exception("upkeep failed")


async def run_worker(
    settings: Settings, *, concurrency: int = 2, once: bool = False, resources: Resources | None = None,
    heartbeat_s: float = 10.0, stalled_after_s: float = 30.0, sweep_every_s: float = 60.0,
    pending_after_s: float = 60.0, shutdown_timeout_s: float = 30.0,
) -> None:
    """Run jobs until stopped (`once`: until the queue is empty). `resources`: reuse these, left open.

    `stalled_after_s` must be the same for every worker and well above every worker's `heartbeat_s`:
    a worker silent for that long is taken for dead and its running jobs are run again."""
    if stalled_after_s < 2 * heartbeat_s:
        raise ValueError("stalled_after_s must be at least twice heartbeat_s, or live workers look dead")
    if settings.extraction != "background":
        log.warning("MNEMO_EXTRACTION=%s: turns extract inline and enqueue nothing; this worker runs the "
                    "consolidation of ended sessions and jobs already queued", settings.extraction)
    res = resources or await open_resources(settings)
    connector = worker_connector(res.urls.database_url, concurrency)
    try:
        await ensure_schema(res.admin_url)
        await connector.open_async()
        limits = {"stalled_after_s": stalled_after_s, "pending_after_s": pending_after_s}
        with queue.replace_connector(connector):
            await _upkeep(res, **limits)
            upkeep = None if once else asyncio.create_task(_upkeep_forever(res, sweep_every_s, **limits))
            try:
                await queue.run_worker_async(
                    queues=list(QUEUES), name=f"mnemo-{socket.gethostname()}-{os.getpid()}",
                    concurrency=concurrency, wait=not once, additional_context={"resources": res},
                    update_heartbeat_interval=heartbeat_s, stalled_worker_timeout=stalled_after_s,
                    shutdown_graceful_timeout=shutdown_timeout_s, delete_jobs="successful",
                )
            finally:
                if upkeep is not None:
                    upkeep.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await upkeep
    finally:
        await connector.close_async()
        if resources is None:
            await res.close()
