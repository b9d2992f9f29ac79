"""CPU facts and the number of llama.cpp threads they call for."""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

THREAD_CAP = 8
HEADROOM_FROM = 4  # from this many usable physical cores on, one is left to the API server


@dataclass(frozen=True)
class CpuInfo:
    physical: int
    logical: int
    usable: int
    """Logical cores this process may run on (its CPU affinity; containers and taskset narrow it)."""

    @property
    def usable_physical(self) -> int:
        """Physical cores behind the usable logical ones, assuming hyper-threads are spread evenly."""
        return max(1, self.usable * self.physical // self.logical)


@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    reason: str


def cpu_info() -> CpuInfo:
    logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    physical = psutil.cpu_count(logical=False) or logical
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    return CpuInfo(physical=physical, logical=logical, usable=min(usable, logical))


def choose_threads(override: int | None = None) -> ThreadChoice:
    """llama.cpp threads: `override` when given, else the usable physical cores, one fewer from 4 cores on
    (the API server and the embedder need a core), at most 8.

    Physical cores, not hyper-threads: two threads on one core fight over the same units. The cap is there
    because token generation is memory-bound: past about 8 threads the memory bus is the limit and more threads
    only add synchronisation.
    """
    if override is not None:
        if override < 1:
            raise ValueError(f"llama.cpp threads must be at least 1, got {override}: fix MNEMO_MODEL_THREADS "
                             "or unset it to choose from the cores")
        return ThreadChoice(override, f"{override} set explicitly")
    cores = cpu_info().usable_physical
    plural = "core" if cores == 1 else "cores"
    if cores < HEADROOM_FROM:
        threads, headroom = cores, f"no headroom below {HEADROOM_FROM} cores"
    else:
        threads, headroom = cores - 1, "1 left for the API server"
    capped = threads > THREAD_CAP
    threads = min(threads, THREAD_CAP)
    return ThreadChoice(threads, f"{cores} physical {plural}, {headroom}, {'capped at' if capped else 'cap'} "
                                 f"{THREAD_CAP}")
