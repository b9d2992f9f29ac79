"""Stalled-job recovery: the job of a worker that was killed mid-job goes back on the queue.

procrastinate 3 records a heartbeat per worker; a job still marked `doing` by a worker whose
heartbeat is older than `stalled_after_s` will never finish on its own. Every worker runs this at
start and then periodically; the job's own idempotency makes running it again harmless.
"""

from __future__ import annotations

import logging

from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.manager import JobManager

from jobs.app import QUEUES

log = logging.getLogger(__name__)


async def retry_stalled_jobs(manager: JobManager, stalled_after_s: float) -> int:
    """Put the jobs of workers silent for `stalled_after_s` back in the queue; return how many."""
    retried = 0
    stalled = [job for queue in QUEUES
               for job in await manager.get_stalled_jobs(queue=queue, seconds_since_heartbeat=stalled_after_s)]
    for job in stalled:
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # A newer job for the same message (or session) already waits; it cannot start while this one
            # holds their lock, so this one ends here and that one does the work.
            await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
            log.warning("stalled job %s (%s) dropped: a newer job covers it", job.id, job.call_string)
            continue
        except ConnectorException:
            continue  # another worker retried it first
        log.warning("stalled job %s (%s) of worker %s put back in the queue", job.id, job.call_string, job.worker_id)
        retried += 1
    return retried
