"""`mnemo bench extraction-cv`: choose the learned stage's threshold without touching the locked split.

5-fold cross-validation of the whole pipeline on the training data: for each fold, the clause classifier is
fitted on the other folds (and on the practice set), then rules alone and rules + classifier at several
thresholds extract the fold's messages, scored as the corpus README says. The threshold kept in
`memory.learned.train.THRESHOLD` is the one with the best recall whose precision stays at the rules' own.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.extraction import score_messages
from memory.embeddings import Embedder
from memory.extract_rules.candidate import CATEGORIES
from memory.extraction import extract_memories
from memory.learned import train as training
from memory.learned.features import clause_features

__all__ = ["FOLDS", "cross_validate"]

FOLDS = 5


def cross_validate(embedder: Embedder, data: Path, extra: list[Path], thresholds: tuple[float, ...] = (0.5, 0.6, 0.7),
                   seed: int = 0, progress: Any = None) -> dict[str, dict]:
    """Pooled figures over the folds of `data`: "rules" and one entry per threshold."""
    scored = training.load_items([data])
    items = scored + training.load_items(extra)
    fold_of_item = np.array([n % FOLDS if n < len(scored) else -1 for n in range(len(items))])
    found = training.examples(items)
    x = clause_features(embedder, [e.text for e in found])
    fold_of_clause = fold_of_item[[e.group for e in found]]
    totals: dict[str, list[dict]] = {"rules": [], **{f"{t:.2f}": [] for t in thresholds}}
    for fold in range(FOLDS):
        test = [item for n, item in enumerate(scored) if fold_of_item[n] == fold]
        totals["rules"].append(score_messages(test, lambda t, c: extract_memories(t, c, learned=None))["overall"])
        rows = np.flatnonzero(fold_of_clause != fold)
        model = training.fit(x[rows], [found[n] for n in rows], seed=seed)
        for threshold in thresholds:
            tuned = replace(model, thresholds=np.full(len(CATEGORIES), threshold, dtype=np.float32))
            totals[f"{threshold:.2f}"].append(
                score_messages(test, lambda t, c, m=tuned: extract_memories(t, c, learned=m))["overall"])
        if progress:
            progress(fold + 1, FOLDS)
    pooled = {}
    for name, rows in totals.items():
        tp, extracted = sum(r["tp"] for r in rows), sum(r["extracted"] for r in rows)
        matched, expected = sum(r["matched"] for r in rows), sum(r["expected"] for r in rows)
        pooled[name] = {"precision": tp / extracted if extracted else 1.0, "recall": matched / expected,
                        "extracted": extracted, "expected": expected}
    return pooled
