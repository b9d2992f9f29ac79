from pathlib import Path

import pytest

from hardware.gpu import probe_gpus
from tests.hardware.fake_nvml import GIB, FakeDevice, FakeNVML, NVMLError


@pytest.mark.skipif(Path("/dev/nvidiactl").exists(), reason="this machine has an NVIDIA driver")
def test_no_gpu_here_is_a_reason_not_an_error():
    probe = probe_gpus()  # the real pynvml, without a driver
    assert probe.gpus == [] and probe.best is None
    assert probe.problem.startswith("no NVIDIA GPU (") and probe.problem.endswith(")")


def test_two_gpus_and_a_board_without_temperature(install_nvml):
    nvml = install_nvml(FakeNVML([
        FakeDevice(b"NVIDIA L4", total=24 * GIB, used=20 * GIB),
        FakeDevice("NVIDIA A100-SXM4-80GB", total=80 * GIB, used=10 * GIB, temperature=None, utilization=None),
    ]))
    probe = probe_gpus()
    first, second = probe.gpus
    assert (probe.driver, probe.problem) == ("550.54.15", None)
    assert (first.index, first.name, first.memory_free, first.temperature_c, first.utilization_pct) == (
        0, "NVIDIA L4", 4 * GIB, 41, 7)
    assert (second.index, second.memory_used, second.temperature_c, second.utilization_pct) == (1, 10 * GIB, None, None)
    assert probe.best is second  # the most free memory
    assert (nvml.inits, nvml.shutdowns) == (1, 1)


def test_nvml_error_on_init(install_nvml):
    nvml = install_nvml(FakeNVML([], init_error=NVMLError("Driver Not Loaded")))
    assert probe_gpus().problem == "no NVIDIA GPU (Driver Not Loaded)"
    assert nvml.shutdowns == 0  # nothing was initialised


def test_no_device_and_a_driver_failing_mid_probe_still_shut_down(install_nvml):
    empty = install_nvml(FakeNVML([]))
    assert probe_gpus().problem == "no NVIDIA GPU (the driver lists no device)"
    assert empty.shutdowns == 1

    broken = FakeNVML([FakeDevice("x", total=GIB, used=0)])
    broken.nvmlDeviceGetCount = lambda: (_ for _ in ()).throw(NVMLError("GPU is lost"))
    install_nvml(broken)
    assert probe_gpus().problem == "no NVIDIA GPU (GPU is lost)"
    assert broken.shutdowns == 1


def test_an_unreadable_device_is_named_and_the_others_kept(install_nvml):
    nvml = FakeNVML([FakeDevice("A", total=GIB, used=0), FakeDevice("B", total=2 * GIB, used=0)])
    memory = nvml.nvmlDeviceGetMemoryInfo

    def flaky(device):
        if device.name == "A":
            raise NVMLError("Unknown Error")
        return memory(device)

    nvml.nvmlDeviceGetMemoryInfo = flaky
    install_nvml(nvml)
    probe = probe_gpus()
    assert [g.name for g in probe.gpus] == ["B"] and probe.gpus[0].index == 1
    assert probe.problem == "unreadable: GPU 0: Unknown Error"


def test_without_nvidia_ml_py(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pynvml", None)  # import pynvml -> ImportError
    assert probe_gpus().problem == "no NVIDIA GPU (nvidia-ml-py is not installed)"
