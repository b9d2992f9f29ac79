"""Preference statements: what the user likes, loves, prefers or hates ("I'm really into jazz", "je déteste
le froid", "my favourite band is ..."), keyed by topic (see `topics`).

Why a list may follow: "j'adore le jazz, le rock et le blues" is three tastes of one statement.
"""

from __future__ import annotations

from memory.extract_rules.anchored import anchored, match
from memory.extract_rules.candidate import Candidate
from memory.extract_rules.patterns import CUT_PREFER, EN_ADV, EN_I, EN_IM, EN_NEG, FR_ADV, FR_JE, FR_NE, FR_NEG, VALUE
from memory.extract_rules.scope import Scope

_RULES = (
    anchored(rf"{EN_I}{EN_ADV}{EN_NEG}(?:(?:like|love|enjoy|adore|dig|fancy)|(?P<bad>hate|dislike|detest|loathe|despise"
             rf"|can'?t\s+stand|cannot\s+stand|can'?t\s+bear))\s+{VALUE}", "preference", "en", 0.85, split=True),
    anchored(rf"{EN_I}{EN_ADV}{EN_NEG}prefer\s+{VALUE}", "preference", "en", 0.85, split=True, cut=CUT_PREFER),
    anchored(rf"{EN_IM}(?:(?P<neg>not|no\s+longer)\s+)?(?:(?:really|so|totally|very|a|an|big|huge|great|kinda|sorta|kind\s+of"
             rf"|sort\s+of|pretty|quite|getting|now|still|also|increasingly|more\s+and\s+more)\s+)*(?:into"
             rf"|fan\s+of|crazy\s+about|obsessed\s+with|passionate\s+about|keen\s+on|fond\s+of)\s+{VALUE}",
             "preference", "en", 0.8, split=True),
    anchored(rf"my\s+(?:(?:absolute|all[\s-]time|very|current)\s+)?(?:favou?rite|fave?|go-?\s*to)\s+(?P<topic>[a-z][a-z\s-]{{0,30}}?)"
             rf"\s*(?:is|are|'s|=|:)\s+{VALUE}", "preference", "en", 0.9),
    anchored(rf"{FR_JE}{FR_NE}(?:(?:aime|adore|apprecie|kiffe|raffole|affectionne|supporte)|(?P<bad>deteste|hais|execre))"
             rf"{FR_NEG}{FR_ADV}\s+{VALUE}", "preference", "fr", 0.85, split=True),
    anchored(rf"{FR_JE}{FR_NE}prefere{FR_NEG}{FR_ADV}\s+{VALUE}", "preference", "fr", 0.85, split=True, cut=CUT_PREFER),
    anchored(rf"{FR_JE}{FR_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:tres|super|vraiment|trop|grand|grande|un|une))*\s+"
             rf"(?:fan|fana|passionnee?|accro|dingue|fou|folle|amateur|amatrice|adepte)s?\s+(?:(?:des|du|de|aux|au"
             rf"|a|par)\s+|d'\s*){VALUE}", "preference", "fr", 0.8, split=True),
    anchored(rf"(?:mon|ma|mes)\s+(?P<topic>[a-z][a-z\s-]{{0,30}}?)\s+(?:prefere|favori|favorite)e?s?\s*,?\s*(?:est"
             rf"|sont|c'\s*est|ce\s+sont|:)\s+{VALUE}", "preference", "fr", 0.9),
)


def candidates(scope: Scope) -> list[Candidate]:
    """Preference statements at the start of a clause (not in a question)."""
    return [] if scope.question else match(_RULES, scope)
