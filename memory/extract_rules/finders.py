"""Search rules: a trigger found anywhere in a clause, its value the rest of the statement.

Why a second kind of rule: profile and preference statements start their clause ("I live in..."), but plans,
business context and situation facts often do not ("Ce week-end je fais...", "au bureau on bosse sur
Notion", "le resto fait 80 couverts"). Their values are phrases, not single words, so they run to the end of
the statement and stop only at a reason, a contrast or a bracket. All matching is on the folded message
(see `folding`); values are cut out of the original text at the same indices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.scope import Scope
from memory.timeframes import find_timeframe

# A statement ends at a reason, a contrast, a comment on itself, a bracket or a quote.
SOFT_CUT = re.compile(
    r"(?<!\s)\s*+[()\[\]\"«»“”;]|\s++-\s|(?<!\s)\s*+,?\s*+\b(?:because|since|but|so\s+that|so|parce\s+que"
    r"|puisque|mais|donc|sinon|though|although|otherwise|lol|mdr|haha|pls|please|stp|svp|s'il\s+te\s+plait)\b"
    r"|(?<!\s)\s*+,\s*+(?:car|c'\s*est|it'?s|that'?s|ce\s+qui|which|qui|and\s+i|et\s+je|et\s+j'|i\b|je\b|j')"
)
COMMA_CUT = re.compile(SOFT_CUT.pattern + r"|(?<!\s)\s*+,")


def comma_cut_before(words: str) -> re.Pattern[str]:
    """`COMMA_CUT`, and also before any of `words` (a regex alternation): "I play the cello | twice a week"."""
    return re.compile(COMMA_CUT.pattern + rf"|(?<!\s)\s++(?:{words})\b")


# "..., on est 7 et on utilise X": a new statement starts before a company subject or "it's just me".
_SUBCLAUSE = re.compile(
    r"(?:[,;]|\b(?:and|et)\b)\s*+(?=(?:on|we|we're|nous|notre|nos|our|it'?s\s+just|c'\s*est\s+juste|le\s+resto"
    r"|la\s+boite|l'\s*equipe|the\s+team)\b)"
)
_TRAILING = " \t,.;:!?-'\"\ufe0f\u200d…"


@dataclass(frozen=True)
class Finder:
    """``pattern`` is searched in the clause; group ``v`` is the value, ``neg*`` groups make it negative."""

    pattern: re.Pattern[str]
    key: str
    confidence: float
    check: Callable[[str], bool] | None = None  # folded value -> keep?
    cut: re.Pattern[str] = SOFT_CUT
    max_words: int = 16
    polarity: str = "positive"

    @property
    def category(self) -> str:
        return self.key.split(".")[0]


def find(pattern: str, key: str, confidence: float, **options: object) -> Finder:
    return Finder(re.compile(pattern), key, confidence, **options)  # type: ignore[arg-type]


def trim(folded: str, start: int, end: int) -> tuple[int, int]:
    """Drop surrounding spaces, punctuation and emoji."""
    while end > start and (folded[end - 1] in _TRAILING or unicodedata.category(folded[end - 1]) in ("So", "Sk")):
        end -= 1
    while start < end and (folded[start] in " \t\"'«(,:-" or unicodedata.category(folded[start]) in ("So", "Sk")):
        start += 1
    return start, end


def split_at(separator: re.Pattern[str], folded: str, start: int, end: int) -> list[tuple[int, int]]:
    """folded[start:end] cut at each match of `separator` (matches dropped), as (start, end) ranges."""
    out = []
    for m in separator.finditer(folded, start, end):
        out.append((start, m.start()))
        start = m.end()
    return [*out, (start, end)]


def subclauses(folded: str, start: int, end: int) -> list[tuple[int, int]]:
    return split_at(_SUBCLAUSE, folded, start, end)


@cache
def _at_start(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern without its "^": `re.match` at a position > 0 never matches "^"."""
    return re.compile(pattern.pattern[1:], pattern.flags)


def apply(finder: Finder, text: str, folded: str, start: int, end: int, language: str,
          confidence_factor: float = 1.0) -> Candidate | None:
    """The first match of `finder` in folded[start:end] as a candidate, or None."""
    anchored = finder.pattern.pattern.startswith("^")  # "^" means the start of the clause, not of the message
    m = _at_start(finder.pattern).match(folded, start, end) if anchored else finder.pattern.search(folded, start, end)
    if not m:
        return None
    vs, ve = m.span("v") if m.group("v") is not None else m.span("v2")  # a pattern may offer two wordings
    cut = finder.cut.search(folded, vs, ve)
    vs, ve = trim(folded, vs, cut.start() if cut else ve)
    if ve <= vs or len(folded[vs:ve].split()) > finder.max_words:
        return None
    if finder.check and not finder.check(folded[vs:ve]):
        return None
    negative = finder.polarity == "negative" or any(v for k, v in m.groupdict().items() if k.startswith("neg"))
    timeframe = None
    if finder.category in ("intent", "goal", "constraint"):
        tf = find_timeframe(folded, start, end)
        timeframe = text[tf.start():tf.end()].strip() if tf else None
    return Candidate(finder.category, finder.key, text[vs:ve], "negative" if negative else "positive",
                     round(finder.confidence * confidence_factor, 2), language, text[m.start():max(ve, m.start())],
                     timeframe=timeframe)


def apply_first(finders: tuple[Finder, ...], text: str, folded: str, start: int, end: int, language: str,
                confidence_factor: float = 1.0) -> Candidate | None:
    """The candidate of the first finder that matches in folded[start:end], or None."""
    for finder in finders:
        if cand := apply(finder, text, folded, start, end, language, confidence_factor):
            return cand
    return None


def apply_all(finders: tuple[Finder, ...], text: str, folded: str, start: int, end: int, language: str,
              confidence_factor: float = 1.0, gate: re.Pattern[str] | None = None) -> list[Candidate]:
    """Every finder on every sub-statement of the clause; none when the cheap `gate` finds no trigger word."""
    if gate is not None and not gate.search(folded, start, end):
        return []
    out = []
    for ss, se in subclauses(folded, start, end):
        for finder in finders:
            if cand := apply(finder, text, folded, ss, se, language, confidence_factor):
                out.append(cand)
    return out


def search(finders: tuple[Finder, ...], scope: Scope, gate: re.Pattern[str] | None = None) -> list[Candidate]:
    """`apply_all` from the clause body, in a factual clause only (no question, no hypothetical)."""
    if not scope.factual:
        return []
    return apply_all(finders, scope.text, scope.folded, scope.body, scope.end, scope.language, scope.factor, gate)
