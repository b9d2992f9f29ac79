"""Hard limits stated anywhere in a clause: money caps ("capped at £15k", "budget max ... 1200 €") and time rules
("jamais avant 9h", "never after 8pm"), which the clause-initial statement rules cannot reach.
"""

from __future__ import annotations

from memory.extract_rules.candidate import Candidate
from memory.extract_rules.finders import COMMA_CUT, apply_all, find

_MONEY = (r"(?:[$€£]\s*\d[\d\s.,]*(?:k|m)?|\d[\d\s.,]*(?:k|m)?\s*(?:[$€£]|euros?|eur|dollars?|usd|pounds?|gbp|balles"
          r"|francs?|chf|dh|dirhams?|da|dinars?)|\d+(?:[.,]\d+)?\s*k\b)")
_TIME = r"(?:\d{1,2}\s*(?:h\d*|heures?|am|pm|:\d\d)|midi|minuit|noon|midnight)"

_FINDERS = (
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


def candidates(text: str, folded: str, start: int, end: int, language: str, factor: float) -> list[Candidate]:
    """Money caps and time rules in folded[start:end]."""
    return apply_all(_FINDERS, text, folded, start, end, language, factor)
