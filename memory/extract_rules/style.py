"""How the user wants to be answered, beyond reply language: units, formats, tone, "tu" or "vous", things to avoid.

Why apart: these are imperatives ("use metric units with me", "don't use exclamation marks with me") and
verdicts ("X c'est non pour moi", "text is better"), not "I like" statements. An imperative is lasting only with
a marker ("with me", "always", "keep ..."), otherwise it is a one-off instruction and nothing is stored.
"""

from __future__ import annotations

import re

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import COMMA_CUT, find, search
from memory.extract_rules.scope import Scope

_WITH_ME = r"(?:with\s+me|for\s+me|when\s+(?:talking|writing)\s+to\s+me|avec\s+moi|pour\s+moi|quand\s+tu\s+me\s+\w+)"
_VERB_EN = (r"(?:use|using|send|sending|put|putting|add|adding|give|giving|write|writing|include|including|show|showing"
            r"|call|calling|make|making)")
_VERB_FR = (r"(?:utilise[rsz]?|m'\s*envoie[rsz]?|envoie[rsz]?|mets|mettre|mettez|ajoute[rsz]?|donne[rsz]?[\s-]*moi"
            r"|ecris|ecrire|fais|faire|inclus|inclure|montre[rsz]?)")

_FINDERS = (
    find(rf"\b(?:please\s+)?(?P<neg>don'?t|do\s+not|never|stop|avoid|no\s+more)\s+{_VERB_EN}\s+(?P<v>.+?)\s+{_WITH_ME}",
         "preference.style", 0.8),
    find(rf"\b(?:ne\s+(?:m'\s*)?{_VERB_FR}\s+(?P<neg>pas|jamais|plus)|(?P<neg2>evite|arrete)\s+(?:de\s+|d')?{_VERB_FR}"
         rf"?)\s+(?P<v>.+?)\s+{_WITH_ME}", "preference.style", 0.8),
    find(rf"^(?:please\s+|always\s+|toujours\s+)?(?:{_VERB_EN}"
         rf"|{_VERB_FR})\s+(?P<v>.+?)\s+{_WITH_ME}", "preference.style",
         0.8),
    find(r"\bkeep\s+(?:(?:your|the|my)\s+)?(?P<v>(?:answers|replies|responses|messages|explanations|it)\s+\w+)",
         "preference.reply_style", 0.85),
    find(r"\b(?:je\s+prefere|jprefere|j'\s*aime\s+(?:bien|mieux)|i\s+(?:much\s+)?prefer(?:\s+it)?|i\s+like\s+it\s+better)"
         r"\s+(?:quand|when|que)\s+(?:tu|you)\s+(?P<v>.+)", "preference.style", 0.8, cut=COMMA_CUT),
    find(r"\b(?:j'\s*ai\s+horreur|jai\s+horreur)\s+(?:de\s+|des\s+|du\s+|d')(?P<v>.+)", "preference.dislike", 0.8,
         polarity="negative", max_words=8),
    find(r"\b(?:mon\s+truc|my\s+thing|ma\s+passion|my\s+passion)\s*,?\s*(?:c'\s*est|is|'s|:)\s+(?P<v>.+)",
         "preference.likes", 0.8, max_words=8),
    find(r"\bi'?d\s+rather\s+you\s+(?:didn'?t|did\s+not|never|don'?t)\s+(?:\w+\s+)?(?P<v>.+)", "preference.style", 0.8,
         polarity="negative", max_words=8),
    find(r"\b(?:merci\s+de|please|pls|stp)\s+(?:toujours|always)\s+(?P<v>.+)", "preference.style", 0.8, max_words=12),
    find(r"\b(?P<v>tutoie[\s-]*moi|tu\s+peux\s+me\s+tutoyer|on\s+peut\s+se\s+tutoyer|vouvoie[\s-]*moi|vous\s+pouvez\s+me"
         r"\s+vouvoyer)\b", "preference.address", 0.85),
    find(r"^(?P<v>.+?)(?<!\s)\s*+,?\s*+(?:c'\s*est\s+(?:non|niet|mort|pas\s+pour\s+moi|tres\s+peu\s+pour\s+moi)|(?:is|are)\s+a"
         r"\s+(?:no|hard\s+no|no-go)\s+for\s+me|(?:is|are)\s+not\s+for\s+me|(?:is|are)\s+a\s+dealbreaker)\b",
         "preference.dislike", 0.75, polarity="negative", max_words=10),
    find(r"\b(?P<v>(?:text|texto|written|ecrit|emails?|mails?|messages?|calls?|appels?|phone|video|visio|voice\s+notes?"
         r"|vocaux|audio)(?:\s+messages?)?)\s+(?:is|are|c'\s*est|works?|marche)\s+(?:much\s+|way\s+|bien\s+)?(?:better"
         r"|easier|best|mieux|plus\s+simple|plus\s+facile)\b", "preference.channel", 0.75),
)


_VAGUE = re.compile(r"(?:it|this|that|ca|cela)")  # "don't do that with me": nothing to store
_GATE = re.compile(r"\b(?:with\s+me|for\s+me|avec\s+moi|pour\s+moi|keep|prefer|prefere|jprefere|tutoi\w*|vouvoi\w*"
                   r"|horreur|truc|thing|passion|rather|merci\s+de|toujours|always|better|easier|mieux|plus\s+simple"
                   r"|plus\s+facile|dealbreaker)\b|\bme\s+\w+|moi\b")


def candidates(scope: Scope) -> list[Candidate]:
    """Lasting instructions about the way to answer, in a factual clause."""
    found = search(_FINDERS, scope, _GATE)
    return [c for c in found if not _VAGUE.fullmatch(c.value.lower())]
