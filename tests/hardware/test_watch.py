import asyncio
import logging

import pytest
from prometheus_client import REGISTRY, generate_latest

from core.config import Settings
from hardware.watch import process_rss, sample, watch, watching
from tests.conftest import metric_samples
from tests.hardware.fake_nvml import GIB, FakeDevice, FakeNVML

CALM = Settings(_env_file=None, memory_warn_share=0.99)


def scrape() -> dict:
    return metric_samples(generate_latest(REGISTRY).decode())


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(frozenset(labels.items()), 0.0)


def test_process_gauges_are_fresh_at_scrape_time():
    samples = scrape()
    rss = value(samples, "mnemo_process_memory_bytes")
    assert 0.5 * process_rss() < rss < 2 * process_rss()
    assert 0 < value(samples, "mnemo_process_memory_share") < 1


def test_a_gpu_over_90_percent_warns_and_counts(install_nvml):
    install_nvml(FakeNVML([FakeDevice("L4", total=100 * GIB, used=95 * GIB),
                           FakeDevice("T4", total=100 * GIB, used=50 * GIB)]))
    before = scrape()
    [warning] = sample(CALM)
    after = scrape()
    assert warning.startswith("GPU 0 (L4) memory is 95% full (5.0 GiB free)")
    assert "MNEMO_MODEL_PROFILE=low-memory" in warning
    assert value(after, "mnemo_gpu_memory_used_ratio", gpu="0") == pytest.approx(0.95)
    assert value(after, "mnemo_gpu_memory_used_ratio", gpu="1") == pytest.approx(0.5)
    assert value(after, "mnemo_gpu_memory_high_total", gpu="0") == value(before, "mnemo_gpu_memory_high_total",
                                                                         gpu="0") + 1
    assert value(after, "mnemo_gpu_memory_high_total", gpu="1") == value(before, "mnemo_gpu_memory_high_total",
                                                                         gpu="1")


def test_process_share_above_the_setting_warns_and_counts(install_nvml):
    install_nvml(FakeNVML([]))
    before = value(scrape(), "mnemo_process_memory_high_total")
    assert sample(CALM) == []
    assert value(scrape(), "mnemo_process_memory_high_total") == before
    [warning] = sample(Settings(_env_file=None, memory_warn_share=1e-6))
    assert "of the machine's RAM" in warning and "MNEMO_MEMORY_WARN_SHARE=1e-06" in warning
    assert value(scrape(), "mnemo_process_memory_high_total") == before + 1


def test_memory_warn_share_must_be_a_share():
    for bad in (0, 1, 1.5):
        with pytest.raises(ValueError, match="memory_warn_share"):
            Settings(_env_file=None, memory_warn_share=bad)


async def test_watch_logs_once_per_crossing(install_nvml, caplog):
    device = FakeDevice("L4", total=100 * GIB, used=95 * GIB)
    install_nvml(FakeNVML([device]))

    async def samples(n: int) -> None:  # let the loop run about n samples
        await asyncio.sleep(n * 0.01 + 0.05)

    caplog.set_level(logging.INFO, logger="hardware.watch")
    async with watching(CALM, interval_s=0.01) as task:
        await samples(5)
        device.used = 10 * GIB
        await samples(5)
        device.used = 99 * GIB
        await samples(5)
    assert task.cancelled()
    lines = [(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records if r.name == "hardware.watch"]
    assert lines == [("WARNING", "GPU 0 (L4) memory is 95% full (5.0 GiB free)"),
                     ("INFO", "memory back to normal (gpu0)"),
                     ("WARNING", "GPU 0 (L4) memory is 99% full (1.0 GiB free)")]


async def test_watch_survives_a_failing_sample(monkeypatch, caplog):
    from hardware import watch as module

    calls = []

    def failing(settings):
        calls.append(1)
        raise RuntimeError("psutil broke")

    monkeypatch.setattr(module, "_conditions", failing)
    task = asyncio.create_task(watch(CALM, interval_s=0.01))
    await asyncio.sleep(0.1)
    assert not task.done() and len(calls) > 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "memory sample failed" in caplog.text
