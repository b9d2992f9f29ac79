"""LlamaChatModel loads its Llama with the profile's threads, GPU layers and batch (Llama recorded, not run)."""

import pytest

from hardware import profile as profiles
from models import llama
from models.llama import LlamaChatModel, default_model_path
from tests.hardware.fake_nvml import GIB, FakeDevice, FakeNVML


class RecordedLlama:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


@pytest.fixture
def loads(monkeypatch) -> list[dict]:
    """Every Llama(...) made, by its arguments; the process-wide caches start empty."""
    made: list[dict] = []

    def record(**kwargs):
        made.append(kwargs)
        return RecordedLlama(**kwargs)

    monkeypatch.setattr(llama, "Llama", record)
    monkeypatch.setattr(llama, "_loaded", {})
    monkeypatch.setattr(llama, "_placements", {})
    monkeypatch.setattr(profiles, "llama_gpu_offload_supported", lambda: True)
    return made


def model(**fields) -> LlamaChatModel:
    return LlamaChatModel(model_path=str(default_model_path()), **fields)


def test_cpu_machine_loads_on_the_cpu_with_chosen_threads(loads, install_nvml):
    install_nvml(FakeNVML([]))
    model().llama  # noqa: B018
    [made] = loads
    assert (made["n_gpu_layers"], made["n_batch"], made["n_ctx"]) == (0, 512, 2048)
    assert made["n_threads"] >= 1


def test_a_roomy_gpu_gets_every_layer_and_explicit_fields_win(loads, install_nvml):
    install_nvml(FakeNVML([FakeDevice("H100", total=80 * GIB, used=GIB)]))
    auto = model().llama
    assert (loads[0]["n_gpu_layers"], loads[0]["n_batch"]) == (-1, 2048)
    assert model(n_threads=1).llama is not auto
    assert model(n_gpu_layers=-1, n_batch=2048).llama is auto  # the same placement: the same Llama
    model(hardware_profile="low-memory", n_batch=64).llama  # noqa: B018
    assert (loads[-1]["n_gpu_layers"], loads[-1]["n_batch"]) == (30, 64)  # all 30 layers fit, batch as given
    assert [m["n_threads"] for m in loads][1] == 1
    assert len(loads) == 3


def test_the_gpu_is_probed_once_per_setting(loads, install_nvml):
    nvml = install_nvml(FakeNVML([FakeDevice("H100", total=80 * GIB, used=GIB)]))
    chat = model()
    for _ in range(3):
        chat.llama  # noqa: B018
    assert nvml.inits == 1 and len(loads) == 1
