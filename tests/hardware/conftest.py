"""Fixtures of the hardware tests: NVML (the NVIDIA driver's library) faked, since these machines have no GPU."""

import sys

import pytest

from tests.hardware.fake_nvml import FakeNVML


@pytest.fixture
def install_nvml(monkeypatch):
    """Put a FakeNVML in place of pynvml for the test; returns it."""
    def install(fake: FakeNVML) -> FakeNVML:
        monkeypatch.setitem(sys.modules, "pynvml", fake)
        return fake
    return install
