"""Hard limits stated anywhere in a clause: money caps ("capped at £15k", "budget max ... 1200 €") and time rules
("jamais avant 9h", "never after 8pm"), which the clause-initial statement rules cannot reach.
"""

from __future__ import annotations

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import COMMA_CUT, find, search
from memory.extract_rules.scope import Scope

_MONEY = (r"(?:[$€£]\s*\d[\d\s.,]*(?:k|m)?|\d[\d\s.,]*(?:k|m)?\s*(?:[$€£]|euros?|eur|dollars?|usd|pounds?|gbp"
r"|balles|bucks|quid"
          r"|francs?|chf|dh|dirhams?|da|dinars?)|\d+(?:[.,]\d+)?\s*k\b)")
_TIME = r"(?:\d{1,2}\s*(?:h\d*|heures?|am|pm|:\d\d)|midi|minuit|noon|midnight)"

_FINDERS = (
    find(rf"(?P<v>{_MONEY})\s*(?:max(?:imum)?|maxi|tops|grand\s+max|at\s+(?:the\s+)?most|pas\s+plus|no\s+more|max\s+budget)\b",
         "constraint.budget", 0.8, cut=COMMA_CUT),
    find(r"\b(?:budget|spend|depenser|mettre|payer|pay)\b[^.!?;]{0,40}?\b(?:max(?:imum)?|around|about|of|is|de|environ|plus"
         r"\s+de|more\s+than|under|below|moins\s+de|now|to|a|est|passe\s+a|up\s+to|down\s+to|raised\s+to|lowered\s+to"
         r"|cut\s+to)\s+(?P<v>\d[\d\s.,]*\d\s*k?|\d+\s*k)\b", "constraint.budget", 0.75,
         cut=COMMA_CUT),
    find(r"(?:^|\b(?:i'?m|i\s+am|je\s+suis|jsuis)\s+)(?:(?:very|severely|seriously|deathly|highly|tres|gravement|super)\s+)*"
         r"allergi(?:c|que)s?\s+(?:to\s+|aux?\s+|a\s+la\s+|a\s+l'\s*|a\s+)(?P<v>.+)", "constraint.allergy", 0.85,
         cut=COMMA_CUT, max_words=5),
    find(r"\b(?:i\s+have|i'?ve\s+got|j'\s*ai|jai|my|mon|mes|ma)\s+(?:an?\s+|une\s+|des\s+|severe\s+|grosse\s+)?(?:intolerances?"
         r"|allerg(?:y|ies|ie)|sensibilite)\s+(?:to\s+|aux?\s+|a\s+la\s+|a\s+l'\s*|a\s+)(?P<v>.+)",
         "constraint.intolerance", 0.85, cut=COMMA_CUT, max_words=5),
    find(rf"\b(?:budget|capped|cap|plafond\w*|max(?:imum)?|no\s+more\s+than|not\s+more\s+than|pas\s+plus\s+de|up\s+to"
         rf"|jusqu'\s*a|under|less\s+than|moins\s+de|limited\s+to|limite\s+a|depasser|exceed|spend\s+more\s+than)\b[^.!?;]{{0,60}}?(?P<v>{_MONEY})",
         "constraint.budget", 0.8, cut=COMMA_CUT),
    find(rf"\b(?:never|jamais|not|pas|no|don'?t|aucun\w*|rien)\b[^.!?;]{{0,40}}?(?P<v>(?:before|after|avant|apres)\s+{_TIME})",
         "constraint.schedule", 0.8, cut=COMMA_CUT),
    find(r"\b(?:never|jamais|only|uniquement|seulement|que|no\s+\w+|pas\s+de\s+\w+)\b[^.!?;]{0,40}?(?P<v>(?:on\s+|le\s+|les\s+"
         r"|in\s+the\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days?|mornings?|afternoons?|evenings?|week-?ends?|lundis?"
         r"|mardis?|mercredis?|jeudis?|vendredis?|samedis?|dimanches?|matins?|apres-midi|soirs?|soirees?)\b)",
         "constraint.schedule", 0.7, cut=COMMA_CUT),
)


def candidates(scope: Scope) -> list[Candidate]:
    """Money caps and time rules in a factual clause."""
    return search(_FINDERS, scope)
