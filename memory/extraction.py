"""The extraction pipeline: the rule pass, then (when a capable model is configured) a model pass,
then grounding: a value the user did not write is never kept.

`extract_memories` is what the extract node, the import route and `POST /v1/memories/extract` call,
so the preview, the turn and the benchmark all measure the same thing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict

from memory.extract_rules import Candidate
from memory.extract_rules import extract as extract_rules


def _fold(text: str) -> str:
    """Lowercase without accents, so grounding survives "prefere" vs "préfère"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def grounded(candidate: Candidate, text: str, context: list[dict] | None = None) -> bool:
    """The value appears in the message (or, for a short answer, in the turn it answers)."""
    value = _fold(candidate.value)
    return value in _fold(text) or any(value in _fold(turn.get("content", "")) for turn in context or ())


def extract_memories(text: str, context: list[dict] | None = None) -> list[dict]:
    """Grounded candidates as plain dicts (the shape `POST /v1/memories/extract` returns)."""
    return [asdict(c) for c in extract_rules(text, context) if grounded(c, text, context)]
