"""Memory of this process and of the GPUs, as Prometheus gauges, with a warning when either runs short.

A local model's weights and KV cache live in process memory (or GPU memory): a second model, a large context
or a leak shows here before the kernel's OOM killer or a CUDA out-of-memory error ends the process.
Importing this module makes the process gauges read psutil at scrape time, so /metrics never lags.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import psutil

from core.config import Settings
from core.metrics import GPU_MEMORY_HIGH, GPU_MEMORY_USED, PROCESS_MEMORY, PROCESS_MEMORY_HIGH, PROCESS_MEMORY_SHARE
from hardware.gpu import probe_gpus

log = logging.getLogger(__name__)

GPU_HIGH = 0.9
GIB = 1024**3


def process_rss() -> int:
    return psutil.Process().memory_info().rss


def process_share() -> float:
    return process_rss() / psutil.virtual_memory().total


PROCESS_MEMORY.set_function(process_rss)
PROCESS_MEMORY_SHARE.set_function(process_share)


def _conditions(settings: Settings) -> dict[str, str]:
    """What is short now, by a stable key (one per GPU, one for the process), and the line that says it.
    Updates the GPU gauges and counts each high sample."""
    found: dict[str, str] = {}
    for gpu in probe_gpus().gpus:
        label = str(gpu.index)
        GPU_MEMORY_USED.labels(gpu=label).set(gpu.used_ratio)
        if gpu.used_ratio > GPU_HIGH:
            GPU_MEMORY_HIGH.labels(gpu=label).inc()
            found[f"gpu{label}"] = (
                f"GPU {label} ({gpu.name}) memory is {gpu.used_ratio:.0%} full ({gpu.memory_free / GIB:.1f} GiB "
                "free): a larger context or another model may fail to load; lower MNEMO_MODEL_GPU_LAYERS or use "
                "MNEMO_MODEL_PROFILE=low-memory"
            )
    share = process_share()
    if share > settings.memory_warn_share:
        PROCESS_MEMORY_HIGH.inc()
        found["process"] = (
            f"this process holds {share:.0%} of the machine's RAM ({process_rss() / GIB:.1f} GiB), above "
            f"MNEMO_MEMORY_WARN_SHARE={settings.memory_warn_share:g}: use a smaller model or move it to its own host"
        )
    return found


def sample(settings: Settings) -> list[str]:
    """Update the GPU gauges and the high-memory counters; return one warning line per shortage now."""
    return list(_conditions(settings).values())


async def watch(settings: Settings, interval_s: float = 30) -> None:
    """Sample every `interval_s` until cancelled; log a warning when a shortage starts (not on every sample
    while it lasts) and a note when it ends."""
    active: set[str] = set()
    while True:
        try:
            found = await asyncio.to_thread(_conditions, settings)
        except Exception:  # a failed sample must not end the watch for the life of the server
            log.exception("memory sample failed")
            found = {key: "" for key in active}  # keep the current state: no new warnings, no false recovery
        for key in found.keys() - active:
            log.warning(found[key])
        for key in active - found.keys():
            log.info("memory back to normal (%s)", key)
        active = set(found)
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def watching(settings: Settings, interval_s: float = 30) -> AsyncIterator[asyncio.Task]:
    """`watch` running in the background for the duration of the block."""
    task = asyncio.create_task(watch(settings, interval_s), name="mnemo-memory-watch")
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
