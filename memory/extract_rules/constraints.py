"""Constraint statements: diet, allergies, intolerances, when the user is (not) available, budget.

Why checks on values: "I can't do mornings" is a schedule only when the value names a time, "my budget is ..."
only with a figure; anything else is an ordinary sentence, not a limit to respect.
"""

from __future__ import annotations

import re

from memory.extract_rules.anchored import anchored, has, match
from memory.extract_rules.candidate import Candidate
from memory.extract_rules.patterns import (
    CUT_LIGHT,
    DIETS,
    EN_ADV,
    EN_I,
    EN_IM,
    FR_JE,
    FR_NE,
    LEAD_MONEY,
    LEAD_TIME,
    TIME,
    VALUE,
)
from memory.extract_rules.scope import Scope

_WHEN = {"check": has(TIME), "lead": LEAD_TIME, "cut": CUT_LIGHT, "max_words": 6}
_MONEY = {"check": has(re.compile(r"\d")), "lead": LEAD_MONEY, "cut": CUT_LIGHT}

_RULES = (
    anchored(rf"{EN_IM}(?:(?P<neg>not|no\s+longer)\s+)?(?:(?:a|an|strictly|fully|mostly|strict)\s+)*(?P<v>{DIETS}"
             rf"|gluten[\s-]free|halal|kosher)\b", "constraint.diet", "en", 0.95),
    anchored(rf"{EN_I}{EN_ADV}(?:eat|keep|follow\s+an?)\s+(?P<v>halal|kosher|vegan|vegetarian|plant[\s-]based"
             rf"|gluten[\s-]free|keto)\b", "constraint.diet", "en", 0.9),
    anchored(rf"{EN_IM}on\s+an?\s+(?P<v>[a-z0-9][a-z0-9\s,.-]{{1,25}}?)\s+diet\b", "constraint.diet", "en", 0.85),
    anchored(rf"{EN_I}{EN_ADV}(?:(?P<neg>don'?t|do\s+not|never|can'?t|cannot|can\s+not)\s+{EN_ADV}(?:eat|drink"
             rf"|consume|touch)|(?P<bad>avoid))\s+(?!.*\bany\s*more\b){VALUE}", "constraint.diet", "en", 0.85,
             split=True),
    anchored(rf"{FR_JE}{FR_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:strictement|completement|totalement))?\s+(?P<v>"
             rf"{DIETS})\b", "constraint.diet", "fr", 0.95),
    anchored(rf"{FR_JE}{FR_NE}mange(?:\s+(?P<neg>pas|plus))?\s+(?:que\s+|uniquement\s+|seulement\s+)?(?P<v>halal"
             rf"|casher|kasher|sans\s+gluten|vegetarien|vegan)\b", "constraint.diet", "fr", 0.9),
    anchored(rf"{FR_JE}{FR_NE}(?:(?:mange|bois|consomme|touche)\s+(?P<neg>pas|jamais|aucune?|ni)|(?P<bad>evite))"
             rf"\s+{VALUE}", "constraint.diet", "fr", 0.85, split=True),
    anchored(rf"(?:{EN_IM}(?:(?P<neg>not)\s+)?(?:(?:very|severely|highly|deathly|super|mildly|slightly)\s+)*allergic"
             rf"\s+to|{EN_I}(?:have|'ve\s+got)\s+(?:an?\s+|severe\s+)*allerg(?:y|ies)\s+to|my\s+allerg(?:y|ies)\s+(?:is"
             rf"|are)\s*:?)\s+{VALUE}", "constraint.allergy", "en", 0.95, split=True),
    anchored(rf"{EN_I}(?:have|'ve\s+got)\s+(?:an?\s+|severe\s+)*(?P<v>[a-z][a-z\s-]{{1,25}}?)\s+allerg(?:y|ies)\b",
             "constraint.allergy", "en", 0.9),
    anchored(rf"(?:{FR_JE}{FR_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:tres|gravement))?\s+allergiques?|{FR_JE}ai\s+(?:une"
             rf"\s+|des\s+)?allergies?)\s+{VALUE}", "constraint.allergy", "fr", 0.95, split=True),
    anchored(rf"{EN_IM}(?P<v>lactose|gluten)\s+intolerant", "constraint.intolerance", "en", 0.9),
    anchored(rf"{EN_IM}intolerant\s+to\s+{VALUE}", "constraint.intolerance", "en", 0.9),
    anchored(rf"{FR_JE}suis\s+intolerante?s?\s+{VALUE}", "constraint.intolerance", "fr", 0.9),
    anchored(rf"{EN_I}{EN_ADV}(?P<neg>can'?t|cannot|can\s+not|don'?t|do\s+not|never)\s+(?:do|make|work|meet|attend)\s+{VALUE}",
             "constraint.schedule", "en", 0.8, **_WHEN),
    anchored(rf"{EN_IM}(?:(?P<neg>not|never|un)\s*)?(?:(?:usually|generally|always|only)\s+)?(?:available|free"
             rf"|reachable|(?P<bad>busy))\s+{VALUE}", "constraint.schedule", "en", 0.8, **_WHEN),
    anchored(rf"(?P<neg>no)\s+(?:meetings?|calls?|appointments?|work|emails?)\s+{VALUE}", "constraint.schedule", "en",
             0.85, **_WHEN),
    anchored(rf"{FR_JE}{FR_NE}suis(?:\s+(?P<neg>pas|jamais|plus))?(?:\s+(?:du\s+tout|toujours|souvent))?\s+(?:(?P<neg2>"
             rf"in)?dispo(?:nible)?|libre|(?P<bad>occupee?|prise?))s?\s+{VALUE}", "constraint.schedule", "fr", 0.8,
             **_WHEN),
    anchored(rf"{FR_JE}{FR_NE}(?:peux|travaille|bosse)\s+(?P<neg>pas|jamais|plus)\s+(?:(?:venir|travailler)\s+)?{VALUE}",
             "constraint.schedule", "fr", 0.8, **_WHEN),
    anchored(rf"(?P<neg>pas)\s+de\s+(?:reunions?|rendez-vous|rdv|appels?|meetings?|visios?)\s+{VALUE}",
             "constraint.schedule", "fr", 0.85, **_WHEN),
    anchored(rf"(?:my\s+(?:(?:total|max(?:imum)?|monthly|overall)\s+)?budget\s*(?:is|'s|:)|{EN_I}have\s+an?\s+"
             rf"(?:\w+\s+)?budget\s+of|{EN_I}(?:can\s+(?:only\s+)?(?:spend|afford)|can'?t\s+(?:spend|afford)\s+more"
             rf"\s+than))\s+{VALUE}", "constraint.budget", "en", 0.9, **_MONEY),
    anchored(rf"(?:mon\s+budget\s+(?:(?:max(?:imum)?|total|mensuel)\s+)?(?:est|,?\s*c'\s*est|:)|{FR_JE}ai\s+un"
             rf"\s+budget(?:\s+\w+)?|{FR_JE}(?:peux|ne\s+peux\s+pas)\s+depenser(?:\s+plus)?)\s+{VALUE}",
             "constraint.budget", "fr", 0.9, **_MONEY),
)


def candidates(scope: Scope) -> list[Candidate]:
    """Constraint statements at the start of a clause (not in a question)."""
    return [] if scope.question else match(_RULES, scope)
