"""A stand-in for NVML (pynvml), the NVIDIA driver's library: these machines have no GPU."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

GIB = 1024**3


class NVMLError(Exception):
    """pynvml's error base class."""


@dataclass
class FakeDevice:
    name: str | bytes
    total: int
    used: int
    temperature: int | None = 41  # None: the board refuses the reading
    utilization: int | None = 7


class FakeNVML:
    """The calls of pynvml that hardware/gpu.py makes, answering from `devices`."""

    NVMLError = NVMLError
    NVML_TEMPERATURE_GPU = 0

    def __init__(self, devices: list[FakeDevice], *, init_error: Exception | None = None,
                 driver: str = "550.54.15") -> None:
        self.devices, self.init_error, self.driver = devices, init_error, driver
        self.inits = self.shutdowns = 0

    def nvmlInit(self) -> None:
        self.inits += 1
        if self.init_error:
            raise self.init_error

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeDevice:
        return self.devices[index]

    def nvmlDeviceGetMemoryInfo(self, device: FakeDevice) -> SimpleNamespace:
        return SimpleNamespace(total=device.total, used=device.used, free=device.total - device.used)

    def nvmlDeviceGetName(self, device: FakeDevice) -> str | bytes:
        return device.name

    def nvmlDeviceGetTemperature(self, device: FakeDevice, sensor: int) -> int:
        if device.temperature is None:
            raise NVMLError("Not Supported")
        return device.temperature

    def nvmlDeviceGetUtilizationRates(self, device: FakeDevice) -> SimpleNamespace:
        if device.utilization is None:
            raise NVMLError("Not Supported")
        return SimpleNamespace(gpu=device.utilization, memory=0)
