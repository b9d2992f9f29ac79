"""Clause -> feature vector: its MiniLM embedding beside hashed character and word n-grams of its folded text.

The embedding carries meaning across wordings ("plant-based" near "vegan"); the n-grams carry the surface that
MiniLM (trained on English) reads poorly: French, SMS spellings ("jsuis", "jhabite"), typos. Hashing keeps the
vocabulary out of the artifact: a fixed number of buckets, a stable hash (crc32), so the same text always gives
the same vector in any process.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from memory.embeddings import Embedder
from memory.extract_rules.folding import fold

__all__ = ["HASH_BUCKETS", "clause_features", "ngram_features"]

HASH_BUCKETS = 8192
_WORD = re.compile(r"[a-z0-9']+")


def _tokens(text: str) -> list[str]:
    folded = fold(text).replace("\u2019", "'")
    words = _WORD.findall(folded)
    grams = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for word in words:
        padded = f" {word} "
        grams += [f"c:{padded[i:i + n]}" for n in (3, 4, 5) for i in range(max(1, len(padded) - n + 1))]
    if words:
        grams.append(f"s:{words[0]}")  # how the clause starts matters: "je", "my", "if", "do"
    return grams


def ngram_features(texts: list[str]) -> np.ndarray:
    """Binary hashed n-grams, each row scaled to unit length."""
    out = np.zeros((len(texts), HASH_BUCKETS), dtype=np.float32)
    for row, text in enumerate(texts):
        for gram in _tokens(text):
            out[row, zlib.crc32(gram.encode()) % HASH_BUCKETS] = 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-6)


def clause_features(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """[embedding | n-grams] per clause, float32."""
    if not texts:
        return np.zeros((0, getattr(embedder, "dim", 384) + HASH_BUCKETS), dtype=np.float32)
    return np.hstack([np.asarray(embedder.embed(texts), dtype=np.float32), ngram_features(texts)])
