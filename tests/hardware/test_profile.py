import struct

import pytest

from hardware import profile as profiles
from hardware.cpu import ThreadChoice
from hardware.gguf import GGUFError, block_count
from hardware.gpu import GpuInfo, GpuProbe
from hardware.profile import NO_OFFLOAD_BUILD, choose_profile, model_need, profile_for_model
from models.llama import default_model_path
from tests.hardware.fake_nvml import GIB, FakeDevice, FakeNVML

THREADS = ThreadChoice(3, "test")
MODEL = 4 * GIB  # needs 4 x 1.2 + 1 = 5.8 GiB
LAYERS = 32


def gpu(free_gib: float, index: int = 0, total_gib: float = 80) -> GpuInfo:
    free = int(free_gib * GIB)
    total = int(total_gib * GIB)
    return GpuInfo(index, f"GPU{index}", total, total - free, free, 40, 0)


def choose(*gpus: GpuInfo, n_layers: int | None = LAYERS, **kwargs):
    probe = GpuProbe(list(gpus), "550", None if gpus else "no NVIDIA GPU (test)")
    return choose_profile(probe, MODEL, n_layers, threads=THREADS, **kwargs)


def placed(p) -> tuple[str, int, int]:
    return p.name, p.n_gpu_layers, p.n_batch


def test_need_is_weights_with_overhead_plus_margin():
    assert model_need(MODEL) == int(5.8 * GIB)


def test_no_gpu_is_cpu():
    p = choose()
    assert (p.name, p.n_gpu_layers, p.n_batch, p.n_threads) == ("cpu", 0, 512, 3)
    assert p.reason == "no NVIDIA GPU (test)"


@pytest.mark.parametrize(("free_gib", "name", "layers", "batch"), [
    (0.5, "low-memory", 0, 128),  # not even the margin
    (3.0, "low-memory", 13, 128),  # (3 - 1) GiB / (4 x 1.2 / 32) GiB per layer = 13.3
    (5.7, "low-memory", 31, 128),
    (5.8, "balanced", -1, 512),
    (11.5, "balanced", -1, 512),
    (11.6, "performance", -1, 2048),  # twice what the model needs
    (70.0, "performance", -1, 2048),
])
def test_bands_by_free_memory(free_gib, name, layers, batch):
    p = choose(gpu(free_gib))
    assert (p.name, p.n_gpu_layers, p.n_batch) == (name, layers, batch)
    assert "GPU 0 (GPU0)" in p.reason and NO_OFFLOAD_BUILD not in p.reason


def test_the_gpu_with_most_free_memory_decides():
    p = choose(gpu(1, index=0), gpu(8, index=1))
    assert p.name == "balanced" and "GPU 1" in p.reason


def test_low_memory_without_a_layer_count_offloads_nothing():
    p = choose(gpu(3), n_layers=None)
    assert (p.name, p.n_gpu_layers) == ("low-memory", 0)
    assert "layer count unknown" in p.reason


def test_override():
    assert placed(choose(gpu(70), override="cpu")) == ("cpu", 0, 512)
    assert placed(choose(gpu(70), override="low-memory")) == ("low-memory", LAYERS, 128)  # all fit, still small batches
    assert placed(choose(gpu(3), override="performance")) == ("performance", -1, 2048)
    assert choose(gpu(70), override="auto").name == "performance"
    on_cpu = choose(override="balanced")
    assert on_cpu.n_gpu_layers == 0 and "the layers stay on the CPU" in on_cpu.reason
    with pytest.raises(ValueError, match="unknown model profile 'turbo'"):
        choose(gpu(70), override="turbo")


def test_a_build_without_gpu_offload_says_how_to_fix_it():
    p = choose(gpu(70), offload_supported=False)
    assert p.name == "performance"
    assert p.reason.endswith("llama.cpp was built without GPU support: reinstall llama-cpp-python with "
                             "CMAKE_ARGS=-DGGML_CUDA=on")
    assert NO_OFFLOAD_BUILD not in choose(offload_supported=False).reason  # nothing wanted the GPU


def test_block_count_from_the_bundled_model_header():
    assert block_count(default_model_path()) == 30  # SmolLM2-135M


def _gguf(pairs: list[bytes]) -> bytes:
    return struct.pack("<4sIQQ", b"GGUF", 3, 0, len(pairs)) + b"".join(pairs)


def _key(name: str) -> bytes:
    return struct.pack("<Q", len(name)) + name.encode()


def test_block_count_after_an_array_of_strings(tmp_path):
    words = [b"a", b"bb", b"ccc"]
    tokens = _key("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, len(words)) + b"".join(
        struct.pack("<Q", len(w)) + w for w in words)
    scores = _key("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + struct.pack("<3f", 1, 2, 3)
    arch = _key("general.architecture") + struct.pack("<IQ", 8, 5) + b"qwen2"
    blocks = _key("qwen2.block_count") + struct.pack("<II", 4, 28)
    path = tmp_path / "m.gguf"
    path.write_bytes(_gguf([arch, tokens, scores, blocks]))
    assert block_count(path) == 28
    path.write_bytes(_gguf([arch, tokens]))
    assert block_count(path) is None


def test_not_a_gguf_file(tmp_path):
    (tmp_path / "x.gguf").write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(GGUFError, match="not a GGUF"):
        block_count(tmp_path / "x.gguf")
    (tmp_path / "short.gguf").write_bytes(b"GG")
    with pytest.raises(GGUFError, match="ends inside its header"):
        block_count(tmp_path / "short.gguf")


def test_profile_for_a_real_file_reads_its_layers_when_a_gpu_is_there(install_nvml, monkeypatch):
    monkeypatch.setattr(profiles, "llama_gpu_offload_supported", lambda: True)
    path = default_model_path()
    install_nvml(FakeNVML([FakeDevice("L4", total=24 * GIB, used=int(23.2 * GIB))]))  # 0.8 GiB free
    low = profile_for_model(path, threads=2)
    assert (low.name, low.n_threads) == ("low-memory", 2)
    assert low.n_gpu_layers == 0 and "0 of 30 layers" in low.reason  # less than the margin is free

    install_nvml(FakeNVML([FakeDevice("L4", total=24 * GIB, used=GIB)]))
    assert placed(profile_for_model(path)) == ("performance", -1, 2048)
    explicit = profile_for_model(path, gpu_layers=10, batch=64)
    assert placed(explicit) == ("performance", 10, 64)
    assert explicit.reason.endswith("n_gpu_layers and n_batch set explicitly")


def test_explicit_gpu_layers_on_a_cpu_only_build_say_so(monkeypatch):
    monkeypatch.setattr(profiles, "llama_gpu_offload_supported", lambda: False)
    chosen = profile_for_model(default_model_path(), gpu_layers=5)
    assert chosen.n_gpu_layers == 5 and chosen.reason.endswith(NO_OFFLOAD_BUILD)
