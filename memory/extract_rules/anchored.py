"""Anchored rules: a statement that starts its clause ("I live in ...", "je suis végétarien", "my budget is ...").

Why a kind of its own: the trigger sits at the clause body, so the value is what follows it, up to a cut word
("because", "avec", "at"), and may be a list ("jazz, rock et le blues"). The tables are in `profile`,
`preferences` and `constraints`; this module turns a match into candidates the same way for all three.

Conventions: leading articles/prepositions are stripped from values ("le jazz" -> "jazz", "aux arachides" ->
"arachides"), never from names and places ("La Rochelle"); ``span`` runs from the trigger through the value.
Polarity is "negative" for dislikes, negations and "no longer" / "ne ... plus" statements.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import split_at
from memory.extract_rules.patterns import CUT, LEAD_EN, LEAD_FR, OCCUPATIONS
from memory.extract_rules.scope import Scope
from memory.extract_rules.topics import BAD_FIRST, preference_key

_LIST_SPLIT = re.compile(r"(?<!\s)\s*+[,/]\s*+(?:(?:and|or|et|ou)\s+)?|(?<!\s)\s++(?:and|or|nor|&|et|ou|ni)\s+")
_QUANTITY = re.compile(r"(?:\d|two|three|four|five|deux|trois|quatre|cinq|dix|ten|once|twice|une\s+fois)")


@dataclass(frozen=True)
class AnchoredRule:
    """A pattern anchored at the clause body; group ``v`` is the value, ``neg*``/``bad`` make it negative."""

    pattern: re.Pattern[str]
    category: str
    key: str  # "preference": the topic comes from the value, or from group ``topic`` when present
    lang: str
    confidence: float
    check: Callable[[str, str], bool] | None = None  # (folded value, original value) -> keep?
    split: bool = False  # the value may be a list: "jazz, rock and blues"
    lead: re.Pattern[str] | None = None  # leading words to strip from the value (`anchored`: articles)
    cut: re.Pattern[str] = CUT
    max_words: int = 5


def anchored(pattern: str, key: str, lang: str, confidence: float, **options: object) -> AnchoredRule:
    """A rule for the tables: category from the key, articles of the rule's language stripped by default."""
    options.setdefault("lead", LEAD_FR if lang == "fr" else LEAD_EN)
    return AnchoredRule(re.compile(pattern), key.split(".")[0], key, lang, confidence,
                        **options)  # type: ignore[arg-type]


def has(pattern: re.Pattern[str]) -> Callable[[str, str], bool]:
    """Check that the folded value contains `pattern` (an occupation word, a time, a figure...)."""
    return lambda value, _original: pattern.search(value) is not None


def match(rules: tuple[AnchoredRule, ...], scope: Scope) -> list[Candidate]:
    """The candidates of every rule of `rules` that matches at the clause body, in table order."""
    out = []
    for rule in rules:
        if m := rule.pattern.match(scope.folded, scope.body, scope.end):
            out += _from_match(rule, m, scope)
    return out


def _trim(folded: str, start: int, end: int, lead: re.Pattern[str] | None) -> tuple[int, int]:
    while end > start and (folded[end - 1] in " \t,.;:!?-'\"\ufe0f\u200d"
                           or unicodedata.category(folded[end - 1]) in ("So", "Sk")):  # emoji
        end -= 1
    while start < end and folded[start] in " \t\"'«(":
        start += 1
    return max(start, lead.match(folded, start, end).end()) if lead else start, end  # type: ignore[union-attr]


def _from_match(rule: AnchoredRule, m: re.Match[str], scope: Scope) -> list[Candidate]:
    text, folded = scope.text, scope.folded
    groups = m.groupdict()
    negative = any(v for k, v in groups.items() if k.startswith("neg"))
    if groups.get("bad"):
        if negative:  # "I don't hate jazz": too ambiguous to store
            return []
        negative = True
    if groups.get("occ") is not None and not OCCUPATIONS.search(groups["occ"]):
        return []
    vs, ve = m.span("v")
    cut = rule.cut.search(folded, vs, ve)
    ve = _trim(folded, vs, cut.start() if cut else ve, None)[1]
    # "I live in Lyon if that helps" is fine, "if I lived in Lyon" is not
    if ve <= vs or not scope.before_hypothetical(ve):
        return []
    span_end = m.end() if m.end("v") < m.end() else ve  # keep a trailing trigger: "34 years old"
    confidence = round(rule.confidence * scope.factor, 2)
    out = []
    for ps, pe in split_at(_LIST_SPLIT, folded, vs, ve) if rule.split else [(vs, ve)]:  # "jazz, rock et le blues"
        ps, pe = _trim(folded, ps, pe, rule.lead)
        words = folded[ps:pe].split()
        quantity = ps > vs and _QUANTITY.match(words[0]) if words else False  # "café, quatre tasses par jour"
        if not words or len(words) > rule.max_words or words[0] in BAD_FIRST or quantity:
            continue
        if rule.check and not rule.check(folded[ps:pe], text[ps:pe]):
            continue
        key = preference_key(text[ps:pe], groups.get("topic")) if rule.key == "preference" else rule.key
        if key:
            out.append(Candidate(rule.category, key, text[ps:pe], "negative" if negative else "positive",
                                 confidence, rule.lang, text[m.start():span_end]))
    return out
