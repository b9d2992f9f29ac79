"""The queue's tasks, run by `mnemo worker`: model-based extraction of one stored user message, and the
consolidation of one ended session.

The worker opens `Resources` once per process and hands them to every job through the job context.
The body, `memory.consolidation.extract_message`, sets `messages.extracted_at` in the same transaction
as the memories it writes, so a job run twice (a retry, a worker killed after the commit, a message
enqueued twice) writes them once: delivery is at-least-once, the effect exactly-once. A session's
consolidation is marked (`sessions.consolidated_at`) the same way.
"""

from __future__ import annotations

import logging
from uuid import UUID

from procrastinate import JobContext, RetryStrategy

from jobs.app import EXTRACTION_QUEUE, SESSIONS_QUEUE, queue
from memory import consolidation, sessions

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


CONSOLIDATE_SESSION_TASK = "mnemo.consolidate_session"


def session_lock(session_id: UUID | str) -> str:
    """The lock and queueing lock of a session's job: one waiting and one running job per session at most."""
    return f"session:{session_id}"


@queue.task(name=CONSOLIDATE_SESSION_TASK, queue=SESSIONS_QUEUE, pass_context=True, retry=RETRY)
async def consolidate_session_job(context: JobContext, session_id: str, tenant_id: str) -> dict | None:
    """Consolidate one ended session; its summary, or None when there was nothing to do (already
    consolidated, unknown, or active again). `memory.sessions.consolidate_session` marks the session in
    the transaction that writes the memories, so a job delivered twice writes once."""
    resources: sessions.SessionResources = context.additional_context["resources"]
    summary = await sessions.consolidate_session(resources, session_id=UUID(session_id), tenant_id=tenant_id,
                                                 idle_minutes=resources.settings.session_idle_minutes)
    log.info("session %s consolidated: %s (job %s, attempt %d)", session_id,
             "nothing to do" if summary is None else {k: v for k, v in summary.items() if k != "changes"},
             context.job.id, context.job.attempts + 1)
    return summary
