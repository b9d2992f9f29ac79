"""The learned stage at extraction time: memories in the clauses the rules left unexplained.

Rules run first and keep their findings (a veto of rule findings by the classifier was measured and did not
raise precision: docs/benchmarks.md). Every clause the rules did not explain (and that is not a question) is
scored by the clause classifier; the best category at or above its threshold gives one memory, its value
found by the grammar and its key by the key head (when the head is sure and agrees on the category), else
`<category>.<first word>`. Messages the rules refuse (injection, sarcasm) and identifiers stay refused here.
"""

from __future__ import annotations

import re

import numpy as np

from memory.embeddings import Embedder
from memory.extract_rules.candidate import CATEGORIES, Candidate
from memory.extract_rules.folding import fold
from memory.extract_rules.language import detect_language
from memory.extract_rules.sensitive import mentions_identifier
from memory.learned.clauses import clauses
from memory.learned.features import clause_features
from memory.learned.grammar import clause_value
from memory.learned.model import ClauseModel

__all__ = ["LEARNED_CONFIDENCE", "review"]

LEARNED_CONFIDENCE = 0.6  # below the rules (0.85-0.95) and the model pass (0.7): a rule's row wins a tie
KEY_SURE = 0.5
_SLUG = re.compile(r"[^a-z0-9]+")


def _covered(text: str, start: int, end: int, found: list[Candidate]) -> bool:
    """A rule already explained this clause: one of its values or spans lies in it."""
    for cand in found:
        for piece in (cand.span, cand.value):
            at = text.find(piece) if piece else -1
            if at >= 0 and at < end and start < at + len(piece):
                return True
    return False


def _key(category: str, value: str, key_probs: np.ndarray, model: ClauseModel) -> str:
    best = int(key_probs.argmax())
    if key_probs[best] >= KEY_SURE and model.keys[best].split(".", 1)[0] == category:
        return model.keys[best]
    words = [w for w in _SLUG.split(fold(value)) if len(w) > 2]
    return f"{category}.{words[0] if words else 'general'}"


def review(text: str, found: list[Candidate], model: ClauseModel, embedder: Embedder) -> list[Candidate]:
    """The rules' candidates, then the memories the classifier reads in the clauses they left alone."""
    cut = [c for c in clauses(text) if not c.question and not _covered(text, c.start, c.end, found)]
    if not cut:
        return found
    features = clause_features(embedder, [text[c.start:c.end] for c in cut])
    probabilities = model.category_probabilities(features)
    key_probabilities = model.key_probabilities(features)
    language = detect_language(text)
    out = list(found)
    for n, clause in enumerate(cut):
        margins = probabilities[n] - model.thresholds
        best = int(margins.argmax())
        if margins[best] < 0:
            continue
        category = CATEGORIES[best]
        read = clause_value(text, clause.start, clause.end, category)
        if read is None or mentions_identifier(fold(read[0])):
            continue
        value, polarity = read
        out.append(Candidate(
            category=category, key=_key(category, value, key_probabilities[n], model), value=value,
            polarity=polarity, confidence=round(LEARNED_CONFIDENCE * float(probabilities[n, best]), 2),
            language=language, span=text[clause.start:clause.end], extractor="learned",
        ))
    return out
