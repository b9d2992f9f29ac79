"""A message cut into clauses: the unit the classifier reads and the grammar takes a value from.

Cuts at sentence ends and line breaks, at semicolons and colons, and at a comma or a conjunction that starts a
new subject ("I live in Oslo, and I love hiking" -> two clauses; "jazz, rock and blues" stays one). Clauses are
(start, end) offsets into the original text, so every value found in one stays an exact substring.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from memory.extract_rules.folding import fold

__all__ = ["Clause", "clauses"]

_SENTENCE = re.compile(r"(?:[^.!?\n;]|\.(?=\w))+[.!?]*")
_BREAK = re.compile(
    r"(?:,|\s-\s|\s\u2013\s|\s\u2014\s|\b(?:and|but|so|because|cause|though|although|while|whereas|et|mais|donc|puis"
    r"|alors|car|parce\s+que|sauf\s+que|tandis\s+que|bref|btw|also|aussi|plus)\b)\s*+"
    r"(?=(?:i|i'm|im|i've|ive|i'd|my|me|we|we're|our|je|j|jsuis|chui|mon|ma|mes|moi|on|nous|notre|nos|perso)\b|j')"
)
MIN_CHARS = 3


class Clause(NamedTuple):
    """Offsets into the message, and whether its sentence asks something."""

    start: int
    end: int
    question: bool


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;:-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:-"):
        end -= 1
    return start, end


def clauses(text: str) -> list[Clause]:
    """The clauses of `text`, in order; empty or near-empty pieces are dropped."""
    folded = fold(text)
    out: list[Clause] = []
    for sentence in _SENTENCE.finditer(folded):
        question = sentence.group(0).rstrip().endswith("?")
        breaks = list(_BREAK.finditer(folded, sentence.start(), sentence.end()))
        starts = [sentence.start(), *(m.end() for m in breaks)]
        ends = [*(m.start() for m in breaks), sentence.end()]
        for start, end in zip(starts, ends, strict=True):
            start, end = _trimmed(text, start, end)
            if end - start >= MIN_CHARS:
                out.append(Clause(start, end, question))
    return out
