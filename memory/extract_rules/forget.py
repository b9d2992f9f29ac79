"""Explicit retractions: "forget that I told you about X", "oublie ce que je t'ai dit sur X", "ne retiens pas X".

Why: the consolidation deletes stored memories that match a "forget" candidate, so the value is the phrase
naming what to forget (an exact substring), and the category/key are the best guess the other rules make on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from memory.extract_rules.candidate import Candidate

_FORGET = re.compile(  # imperative only: at the start of a sentence or after "please", "and", a comma
    r"(?:^|[.!?,:;]\s*|\b(?:please|stp|svp|et|and|so|alors|donc|also|aussi|en\s+fait|actually|ok|okay|bon)\s+)(?:(?:please\s+)?(?:forget|delete|erase|remove|drop|oublie[sz]?|efface[sz]?|supprime[sz]?)(?:[\s-]+(?:moi|me))?"
    r"|(?:please\s+)?(?:don'?t|do\s+not)\s+(?:remember|store|save|keep|memorize|note)|ne\s+(?:retiens|retenez|garde|gardez"
    r"|enregistre|note|memorise)\s+(?:pas|rien|plus)|n'\s*enregistre\s+pas)\s+"
    r"(?:(?:about|all\s+about|everything\s+about|that|what|ce\s+que|tout\s+ce\s+que|que|qu'|ca|cela|ceci|de)\s*)?"
    r"(?:(?:i\s+(?:told|said\s+to|mentioned\s+to)\s+you|i\s+said|i\s+mentioned|i\s+talked\s+(?:to\s+you\s+)?"
    r"|je\s+t'\s*ai\s+dit|j'\s*ai\s+dit|je\s+t'\s*ai\s+parle|je\s+vous\s+ai\s+parle"
    r"|je\s+vous\s+ai\s+dit|je\s+t'\s*ai\s+raconte)\s*)?(?:(?:about|on|regarding|concerning|sur|concernant|a\s+propos"
    r"\s+d[eu']?|au\s+sujet\s+d[eu']?|de|d')\s*)?(?P<v>[^.!?;]+)"
)
_TAIL = re.compile(r"\s*(?:,|\bplease\b|\bstp\b|\bsvp\b|\bthanks\b|\bmerci\b|\bi\s+was\s+wrong\b"
                   r"|\bthat'?s\s+(?:over|wrong)"
                   r"|\bc'\s*est\s+(?:fini|faux)).*$")
_THING = re.compile(r"\s+(?:thing|stuff|truc|histoire)$")


def retraction(text: str, folded: str, language: str,
               guess: Callable[[str], list[Candidate]]) -> Candidate | None:
    """A "forget" candidate when the message retracts something; `guess` extracts from the named phrase."""
    m = _FORGET.search(folded)
    if not m or folded[m.start("v"):m.end("v")].strip() in ("", "it", "that", "ca", "tout", "everything"):
        return None
    vs, ve = m.span("v")
    tail = _TAIL.search(folded, vs, ve)
    ve = tail.start() if tail else ve
    while ve > vs and folded[ve - 1] in " '\"":
        ve -= 1
    if ve <= vs:
        return None
    value = text[vs:ve].strip()
    guessed = guess(value)
    if guessed:
        return replace(guessed[0], value=value, span=text[m.start():ve], action="forget", confidence=0.9,
                       polarity="positive")
    topic = re.sub(r"[^a-z0-9]+", "_", _THING.sub("", folded[vs:ve]).strip()).strip("_")[:40] or "topic"
    return Candidate("fact", f"fact.{topic}", value, "positive", 0.85, language, text[m.start():ve], action="forget")
