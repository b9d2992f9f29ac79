"""Train the clause classifier from labelled messages (the corpus format of data/extraction/README.md).

    mnemo train extractor [--data FILE ...] [--seed 0]     # writes memory/learned/clause_classifier.npz

Each message is cut into clauses (`clauses.py`); a clause is labelled with the categories of the expected
memories whose match strings it contains (a short answer takes the labels of its message), and with the key
family of that memory. Both heads are logistic regressions fitted by full-batch gradient descent (Adam, L2)
from a fixed seed, so the same data gives the same artifact. The decision threshold (THRESHOLD) was chosen by
cross-validating the whole pipeline on the training split. Nothing here reads the locked split.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memory.embeddings import Embedder
from memory.extract_rules.candidate import CATEGORIES
from memory.extract_rules.folding import fold
from memory.learned.clauses import clauses
from memory.learned.features import clause_features
from memory.learned.model import ARTIFACT, ClauseModel

__all__ = ["DEFAULT_DATA", "KEY_ALIASES", "examples", "fit", "load_items", "train"]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = (ROOT / "data" / "extraction" / "mnemo_train.jsonl",
                ROOT / "tests" / "memory" / "extraction_practice.jsonl")
# Chosen by 5-fold cross-validation of the whole pipeline (rules + this stage) on the training split: the
# highest recall whose precision stays at the rules' own (docs/benchmarks.md). Per-category thresholds at a
# clause precision of 0.9 left almost nothing (recall 0.01-0.12 per category).
THRESHOLD = 0.7
MIN_KEY_EXAMPLES = 8
# Labels of the corpus (snake_case English, informative) -> the keys Mnemo consolidates on.
KEY_ALIASES = {
    "profile.city": "profile.location", "profile.job_title": "profile.occupation",
    "profile.job": "profile.occupation", "profile.hometown": "profile.origin", "profile.home_country": "profile.origin",
    "profile.language": "profile.languages",
    "preference.format": "preference.reply_style", "preference.reply_length": "preference.reply_style",
    "preference.language": "preference.reply_language",
}


@dataclass(frozen=True)
class Example:
    text: str
    categories: frozenset[str]
    key: str | None
    group: int  # the message it comes from (folds never split a message)


def _family(category: str, key: str) -> str:
    name = f"{category}.{key.split('.', 1)[-1]}"
    return KEY_ALIASES.get(name, name)


def _contains(folded_clause: str, match: str) -> bool:
    needle = fold(match).strip()
    return bool(needle) and re.search(rf"(?<![a-z0-9]){re.escape(needle)}", folded_clause) is not None


def examples(items: list[dict]) -> list[Example]:
    """Labelled clauses of every message."""
    out = []
    for group, item in enumerate(items):
        text = item["text"]
        cut = clauses(text)
        labels: list[tuple[set[str], str | None]] = [(set(), None) for _ in cut]
        for memory in item.get("expected", []):
            hits = [n for n, c in enumerate(cut)
                    if any(_contains(fold(text[c.start:c.end]), m) for m in memory["match"])]
            if not hits and len(cut) == 1:  # a short answer: its memory is read from the question
                hits = [0]
            for n in hits:
                labels[n][0].add(memory["category"])
                if labels[n][1] is None:
                    labels[n] = (labels[n][0], _family(memory["category"], memory["key"]))
        for c, (cats, key) in zip(cut, labels, strict=True):
            out.append(Example(text[c.start:c.end], frozenset(cats), key, group))
    return out


def _adam_fit(x: np.ndarray, y: np.ndarray, *, softmax: bool, epochs: int, l2: float, seed: int,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Logistic (one sigmoid per column) or softmax regression, full batch, Adam."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.01, (x.shape[1], y.shape[1])).astype(np.float32)
    b = np.zeros(y.shape[1], dtype=np.float32)
    sample = np.ones((len(x), 1), dtype=np.float32) if weights is None else weights[:, None].astype(np.float32)
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        z = x @ w + b
        if softmax:
            z = z - z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
        else:
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        grad = (p - y) * sample / sample.sum()
        g_w = x.T @ grad + l2 * w
        g_b = grad.sum(axis=0)
        for param, g, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            param -= lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
    return w, b


def _category_targets(found: list[Example]) -> np.ndarray:
    return np.array([[c in e.categories for c in CATEGORIES] for e in found], dtype=np.float32)


def load_items(paths: list[Path]) -> list[dict]:
    items = []
    for path in paths:
        items += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items


def fit(x: np.ndarray, found: list[Example], *, threshold: float = THRESHOLD, seed: int = 0, epochs: int = 300,
        l2: float = 1e-4, metadata: dict | None = None) -> ClauseModel:
    """Both heads fitted on the clauses `found` and their features `x`."""
    y = _category_targets(found)
    positive = y.sum(axis=0)
    # Categories are rare beside "no memory": weigh each positive clause up to balance them a little.
    weights = 1.0 + y @ np.clip(len(found) / (4 * np.maximum(positive, 1)), 1.0, 8.0)
    w_cat, b_cat = _adam_fit(x, y, softmax=False, epochs=epochs, l2=l2, seed=seed, weights=weights)
    key_counts = Counter(e.key for e in found if e.key)
    keys = tuple(sorted(k for k, n in key_counts.items() if n >= MIN_KEY_EXAMPLES))
    key_rows = [n for n, e in enumerate(found) if e.key in keys]
    key_targets = np.zeros((len(key_rows), len(keys)), dtype=np.float32)
    for row, n in enumerate(key_rows):
        key_targets[row, keys.index(found[n].key)] = 1.0
    w_key, b_key = _adam_fit(x[key_rows], key_targets, softmax=True, epochs=epochs, l2=l2, seed=seed)
    thresholds = np.full(len(CATEGORIES), threshold, dtype=np.float32)
    return ClauseModel(w_cat, b_cat, thresholds, w_key, b_key, keys, metadata or {})


def train(embedder: Embedder, paths: list[Path] | None = None, *, out: Path = ARTIFACT, seed: int = 0,
          epochs: int = 300, l2: float = 1e-4) -> dict:
    """Fit both heads on `paths` and save the artifact; returns its metadata."""
    started = time.perf_counter()
    paths = list(paths or DEFAULT_DATA)
    items = load_items(paths)
    found = examples(items)
    x = clause_features(embedder, [e.text for e in found])
    positive = _category_targets(found).sum(axis=0)
    metadata = {
        "trained_on": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths],
        "messages": len(items), "clauses": len(found), "seed": seed, "epochs": epochs, "l2": l2,
        "threshold": THRESHOLD, "clauses_per_category": dict(zip(CATEGORIES, positive.tolist(), strict=True)),
    }
    model = fit(x, found, seed=seed, epochs=epochs, l2=l2, metadata=metadata)
    metadata.update(keys=list(model.keys), seconds=round(time.perf_counter() - started, 1))
    model.save(out)
    return metadata
