"""The queue's tasks: model-based extraction of one stored user message, run by `mnemo worker`.

The worker opens `Resources` once per process and hands them to every job through the job context.
The body, `memory.consolidation.extract_message`, sets `messages.extracted_at` in the same transaction
as the memories it writes, so a job run twice (a retry, a worker killed after the commit, a message
enqueued twice) writes them once: delivery is at-least-once, the effect exactly-once.
"""

from __future__ import annotations

import logging
from uuid import UUID

from procrastinate import JobContext, RetryStrategy

from jobs.app import EXTRACTION_QUEUE, queue
from memory import consolidation

log = logging.getLogger(__name__)

EXTRACT_TASK = "mnemo.extract_message"
# 6 tries in all, waiting 2, 4, 8, 16 then 32 s between them (a model provider's outage, a pool timeout).
RETRY = RetryStrategy(max_attempts=6, exponential_wait=2)


def extraction_lock(message_id: UUID | str) -> str:
    """The lock and queueing lock of a message's job: one waiting and one running job per message at most."""
    return f"extract:{message_id}"


@queue.task(name=EXTRACT_TASK, queue=EXTRACTION_QUEUE, pass_context=True, retry=RETRY)
async def extract_message_job(context: JobContext, message_id: str, tenant_id: str | None = None) -> int:
    """Extract and consolidate one message; the number of memories written (0 when already done).

    Jobs queued before they carried `tenant_id` have none: the message's tenant is looked up."""
    resources: consolidation.ExtractionResources = context.additional_context["resources"]
    written = await consolidation.extract_message(resources, UUID(message_id), tenant_id)
    log.info("message %s extracted: %d memories written (job %s, attempt %d)",
             message_id, written, context.job.id, context.job.attempts + 1)
    return written
