"""The trained clause classifier: weights, thresholds and prediction (numpy only).

Two linear heads over the features of `features.py`:
- `category`: one logistic output per category (a clause may state a preference and a constraint);
- `key`: a softmax over the key families seen often enough in training (profile.location, profile.name,
  constraint.budget...), so a memory it finds can update the right single-valued key.

The artifact (`clause_classifier.npz`, versioned with the package) holds the weights, the per-category
thresholds chosen by cross-validation on the training split, and the training metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from memory.extract_rules.candidate import CATEGORIES

__all__ = ["ARTIFACT", "ClauseModel", "load_model"]

ARTIFACT = Path(__file__).with_name("clause_classifier.npz")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class ClauseModel:
    category_weights: np.ndarray  # (features, categories)
    category_bias: np.ndarray
    thresholds: np.ndarray  # per category: a clause states a memory of it at or above
    key_weights: np.ndarray  # (features, keys)
    key_bias: np.ndarray
    keys: tuple[str, ...]  # "profile.location", ...; a key family per softmax output
    metadata: dict

    def category_probabilities(self, features: np.ndarray) -> np.ndarray:
        return _sigmoid(features @ self.category_weights + self.category_bias)

    def key_probabilities(self, features: np.ndarray) -> np.ndarray:
        return _softmax(features @ self.key_weights + self.key_bias)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, category_weights=self.category_weights.astype(np.float16), category_bias=self.category_bias,
            thresholds=self.thresholds, key_weights=self.key_weights.astype(np.float16), key_bias=self.key_bias,
            keys=np.array(self.keys), categories=np.array(CATEGORIES), metadata=np.array(json.dumps(self.metadata)),
        )

    @classmethod
    def load(cls, path: Path) -> ClauseModel:
        with np.load(path, allow_pickle=False) as data:
            if tuple(data["categories"].tolist()) != CATEGORIES:
                raise ValueError(f"{path} was trained for other categories: retrain it (mnemo train extractor)")
            return cls(
                category_weights=data["category_weights"].astype(np.float32),
                category_bias=data["category_bias"].astype(np.float32), thresholds=data["thresholds"],
                key_weights=data["key_weights"].astype(np.float32), key_bias=data["key_bias"].astype(np.float32),
                keys=tuple(data["keys"].tolist()), metadata=json.loads(str(data["metadata"])),
            )


@lru_cache(maxsize=4)
def load_model(path: Path = ARTIFACT) -> ClauseModel | None:
    """The artifact at `path` (default: the bundled one), loaded once; None when there is none."""
    return ClauseModel.load(path) if path.exists() else None
