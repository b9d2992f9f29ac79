"""A `mnemo worker` for tests/jobs/test_queue.py, run in-process or as a subprocess.

The job body is the real one, `memory.consolidation.extract_message` (rules only here: no extraction
model is configured), wrapped so a job can pause.
As a script, `worker_proc.py PAUSE SECONDS [mnemo worker options]` runs `mnemo worker`, with every
job pausing SECONDS `before` or `after` the body (`none`: no pause) after printing `PAUSED <id>`,
so a test can kill the process mid-job.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from uuid import UUID


def pausing(body, where: str, seconds: float):
    async def run(res, message_id: UUID, tenant_id: str | None = None) -> int:
        if where == "before":
            print(f"PAUSED {message_id}", flush=True)
            await asyncio.sleep(seconds)
        written = await body(res, message_id, tenant_id)
        if where == "after":
            print(f"PAUSED {message_id}", flush=True)
            await asyncio.sleep(seconds)
        return written

    return run


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from memory import consolidation
    from server.cli import app

    where, seconds, *options = argv
    body = consolidation.extract_message
    consolidation.extract_message = body if where == "none" else pausing(body, where, float(seconds))
    app(["worker", *options])


if __name__ == "__main__":
    main(sys.argv[1:])
