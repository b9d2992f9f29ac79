"""Where the local model's layers go and how large its batches are, from the GPU memory free right now.

Profiles, decided on the GPU with the most free memory (`choose_profile`):

- `cpu`: no NVIDIA GPU. Every layer on the CPU, n_batch 512.
- `low-memory`: the GPU has less free memory than the whole model needs, `model size x 1.2 + 1 GiB`
  (1.2: the weights plus llama.cpp's per-layer buffers; 1 GiB: KV cache at a 2-4k context, compute scratch and
  the CUDA context). Only the layers that fit in `free - 1 GiB` are offloaded, the rest run on the CPU;
  n_batch 128 keeps the scratch buffers small.
- `balanced`: the whole model fits. Every layer on the GPU (n_gpu_layers -1), n_batch 512.
- `performance`: at least twice what the model needs is free. Every layer on the GPU, n_batch 2048, so long
  prompts are read in fewer, larger steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from hardware.cpu import ThreadChoice, choose_threads
from hardware.gguf import GGUFError, block_count
from hardware.gpu import GpuProbe, probe_gpus

log = logging.getLogger(__name__)

ProfileName = Literal["cpu", "low-memory", "balanced", "performance"]
PROFILES: tuple[str, ...] = get_args(ProfileName)
GIB = 1024**3
WEIGHTS_OVERHEAD = 1.2
FIXED_MARGIN = 1 * GIB
PERFORMANCE_FACTOR = 2.0
BATCH = {"cpu": 512, "low-memory": 128, "balanced": 512, "performance": 2048}
NO_OFFLOAD_BUILD = ("llama.cpp was built without GPU support: reinstall llama-cpp-python with "
                    "CMAKE_ARGS=-DGGML_CUDA=on")


@dataclass(frozen=True)
class LocalProfile:
    name: ProfileName
    n_gpu_layers: int
    """0: CPU only; -1: every layer on the GPU; n: the first n layers."""
    n_batch: int
    n_threads: int
    reason: str


def model_need(model_bytes: int) -> int:
    """GPU bytes the whole model needs: weights with their buffers, plus KV cache and scratch."""
    return int(model_bytes * WEIGHTS_OVERHEAD) + FIXED_MARGIN


def _gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def _layers_that_fit(free: int, model_bytes: int, n_layers: int | None) -> int:
    if not n_layers or model_bytes <= 0:
        return 0
    per_layer = model_bytes * WEIGHTS_OVERHEAD / n_layers
    return max(0, min(n_layers, int((free - FIXED_MARGIN) // per_layer)))


def _low_memory(free: int, model_bytes: int, n_layers: int | None) -> tuple[int, str]:
    if n_layers is None:
        return 0, "layer count unknown, so no layer is offloaded"
    fit = _layers_that_fit(free, model_bytes, n_layers)
    return fit, f"{fit} of {n_layers} layers offloaded"


def choose_profile(
    probe: GpuProbe, model_bytes: int, n_layers: int | None, override: str | None = None, *,
    threads: ThreadChoice, offload_supported: bool = True,
) -> LocalProfile:
    """The profile for a model of `model_bytes` with `n_layers` layers on this hardware (see the module
    docstring for the bands). `override` (a profile name; None or "auto": decide) forces the profile; its layer
    count still follows the GPU for `low-memory`. Pure: the probe and the build's abilities are passed in."""
    if override not in (None, "auto", *PROFILES):
        raise ValueError(f"unknown model profile {override!r}: use auto, {', '.join(PROFILES)}")
    gpu = probe.best
    need = model_need(model_bytes)
    name: ProfileName
    if override not in (None, "auto"):
        name = override  # type: ignore[assignment]
        why = f"profile {name} set explicitly"
        if gpu is None and name != "cpu":
            why += f" but {probe.problem or 'no NVIDIA GPU'}: the layers stay on the CPU"
    elif gpu is None:
        name, why = "cpu", probe.problem or "no NVIDIA GPU"
    else:
        where = f"GPU {gpu.index} ({gpu.name}) has {_gib(gpu.memory_free)} free"
        needs = f"model {_gib(model_bytes)} x {WEIGHTS_OVERHEAD} + {_gib(FIXED_MARGIN)}"
        if gpu.memory_free < need:
            name, why = "low-memory", f"{where} < {_gib(need)} needed ({needs})"
        elif gpu.memory_free >= PERFORMANCE_FACTOR * need:
            name, why = "performance", f"{where} >= {PERFORMANCE_FACTOR:g} x {_gib(need)} needed ({needs})"
        else:
            name, why = "balanced", f"{where} >= {_gib(need)} needed ({needs})"
    if name == "cpu" or gpu is None:
        layers = 0
    elif name == "low-memory":
        layers, detail = _low_memory(gpu.memory_free, model_bytes, n_layers)
        why += f"; {detail}"
    else:
        layers = -1
    if layers and not offload_supported:
        why += f"; {NO_OFFLOAD_BUILD}"
    return LocalProfile(name, layers, BATCH[name], threads.threads, why)


def llama_gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can put layers on a GPU (the CPU-only wheel can't)."""
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except (ImportError, AttributeError, OSError):
        return False


def _read_layers(model_path: Path) -> int | None:
    try:
        return block_count(model_path)
    except (GGUFError, OSError) as exc:
        log.warning("could not read the layer count of %s: %s", model_path, exc)
        return None


def profile_for_model(
    model_path: str | Path, *, profile: str | None = None, threads: int | None = None,
    gpu_layers: int | None = None, batch: int | None = None,
) -> LocalProfile:
    """The profile for this GGUF file on this machine now; `threads`, `gpu_layers`, `batch` given explicitly
    (the MNEMO_MODEL_* settings) win over the profile's own. The layer count is read only when a GPU is there."""
    path = Path(model_path).expanduser()
    probe = probe_gpus()
    n_layers = _read_layers(path) if probe.gpus else None
    offload = llama_gpu_offload_supported()
    chosen = choose_profile(probe, path.stat().st_size, n_layers, profile, threads=choose_threads(threads),
                            offload_supported=offload)
    explicit = {k: v for k, v in (("n_gpu_layers", gpu_layers), ("n_batch", batch)) if v is not None}
    if not explicit:
        return chosen
    reason = f"{chosen.reason}; {' and '.join(explicit)} set explicitly"
    if explicit.get("n_gpu_layers") and not offload and NO_OFFLOAD_BUILD not in reason:
        reason += f"; {NO_OFFLOAD_BUILD}"
    return replace(chosen, **explicit, reason=reason)
