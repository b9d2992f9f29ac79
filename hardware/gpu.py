"""NVIDIA GPUs as NVML (the driver's management library, through nvidia-ml-py) reports them.

`probe_gpus` never raises: a machine without the library, the driver or a device is a normal machine
that runs the model on its CPU, and the probe says why in one short line.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_total: int
    memory_used: int
    memory_free: int
    """Bytes."""
    temperature_c: int | None
    utilization_pct: int | None
    """None where the board doesn't report it."""

    @property
    def used_ratio(self) -> float:
        return self.memory_used / self.memory_total if self.memory_total else 0.0


@dataclass(frozen=True)
class GpuProbe:
    gpus: list[GpuInfo] = field(default_factory=list)
    driver: str | None = None
    problem: str | None = None
    """Why no GPU (or not every GPU) could be read; None when all went well."""

    @property
    def best(self) -> GpuInfo | None:
        """The GPU with the most free memory: the one the local model would go to."""
        return max(self.gpus, key=lambda g: g.memory_free, default=None)


def _text(value: str | bytes) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _reading(read: Callable[[], T], errors: type[BaseException] | tuple[type[BaseException], ...]) -> T | None:
    """One optional reading: None when the board refuses it (temperature, utilisation on some boards)."""
    try:
        return read()
    except errors:
        return None


def _read_gpu(nvml: Any, index: int) -> GpuInfo:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    name = _reading(lambda: _text(nvml.nvmlDeviceGetName(handle)), nvml.NVMLError)
    temperature = _reading(lambda: int(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)),
                           nvml.NVMLError)
    busy = _reading(lambda: int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu), nvml.NVMLError)
    return GpuInfo(index=index, name=name or f"GPU {index}", memory_total=int(memory.total),
                   memory_used=int(memory.used), memory_free=int(memory.free), temperature_c=temperature,
                   utilization_pct=busy)


def _devices(nvml: Any) -> GpuProbe:
    """Every device NVML lists (between init and shutdown); one that can't be read is named in `problem`."""
    driver = _reading(lambda: _text(nvml.nvmlSystemGetDriverVersion()), nvml.NVMLError)
    gpus, unreadable = [], []
    for index in range(nvml.nvmlDeviceGetCount()):
        try:
            gpus.append(_read_gpu(nvml, index))
        except nvml.NVMLError as exc:
            unreadable.append(f"GPU {index}: {exc}")
    if not gpus:
        reason = "; ".join(unreadable) or "the driver lists no device"
        return GpuProbe([], driver, f"no NVIDIA GPU ({reason})")
    return GpuProbe(gpus, driver, f"unreadable: {'; '.join(unreadable)}" if unreadable else None)


def probe_gpus() -> GpuProbe:
    """The NVIDIA GPUs of this machine and their memory now. Never raises."""
    try:
        import pynvml
    except ImportError:
        return GpuProbe(problem="no NVIDIA GPU (nvidia-ml-py is not installed)")
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError, or OSError from a broken driver install: both mean no usable GPU
        return GpuProbe(problem=f"no NVIDIA GPU ({str(exc) or type(exc).__name__})")
    try:
        return _devices(pynvml)
    except Exception as exc:  # the driver failed mid-probe: report it, as promised, rather than raise
        return GpuProbe(problem=f"no NVIDIA GPU ({str(exc) or type(exc).__name__})")
    finally:
        with suppress(Exception):  # nothing left to release, and the probe must not raise
            pynvml.nvmlShutdown()
