"""Profile statements: name, where the user lives and comes from, job, employer, age, languages, nationality.

Why the checks: "I'm tired" is no name and "je viens de manger" no origin, so a name must look like one (and be
capitalised after a weak cue such as "call me"), a job must name an occupation, a language must be one.
The bare "I'm Sam" is the weakest cue: `bare_name` is tried only when no other rule explains the clause.
"""

from __future__ import annotations

import re

from memory.extract_rules.anchored import anchored, has, match
from memory.extract_rules.candidate import Candidate
from memory.extract_rules.patterns import (
    CUT_OCCUPATION,
    DEMONYMS,
    DIETS,
    EN_ADV,
    EN_I,
    EN_IM,
    EN_NEG,
    FR_JE,
    FR_NE,
    LANGS,
    LEAD_LANGUAGE,
    OCCUPATIONS,
    VALUE,
)
from memory.extract_rules.scope import Scope

_NOT_NAME = frozenset(
    "not a an the tired happy sad fine good ok okay sorry back here there ready done sure busy bored hungry"
    " sick ill excited glad great alright new lost confused home late early free alone single so very just"
    " really fatigue fatiguee content contente heureux heureuse triste desole desolee pret prete la ici"
    " malade occupe occupee perdu perdue seul seule pareil pareille pas plutot le les un une tout non oui ca"
    " different comme mon ma mes nul super bon cool top simple facile".split()
)
_NAME_TOKEN = re.compile(r"[a-z][a-z'-]*")
_NOT_NAME_WORD = re.compile(rf"{DEMONYMS}|{DIETS}|{LANGS}")


def _is_name(value: str, original: str) -> bool:
    tokens = value.split()
    return len(tokens) <= 3 and tokens[0] not in _NOT_NAME and all(_NAME_TOKEN.fullmatch(t) for t in tokens)


def _is_capitalised_name(value: str, original: str) -> bool:
    """For weak cues ("I'm X", "call me X"): the user must have written a capitalised name-like token."""
    return _is_name(value, original) and all(t[0].isupper() for t in original.split())


def _is_im_name(value: str, original: str) -> bool:
    return (_is_capitalised_name(value, original) and len(value.split()) <= 2
            and not _NOT_NAME_WORD.fullmatch(value) and not OCCUPATIONS.search(value))


def _not_infinitive(value: str, original: str) -> bool:
    """"je viens de Lyon" is an origin, "je viens de manger" is not."""
    return original[:1].isupper() or not re.match(r"[a-z]+(?:er|ir|re|oir)\b", value)

_AGE = r"(?P<v>[1-9]\d?|1[01]\d)\b"
_NAME = {"check": _is_name, "lead": None}
_WEAK_NAME = {"check": _is_capitalised_name, "lead": None}
_PLACE = {"lead": None, "max_words": 4}
_JOB = {"check": has(OCCUPATIONS), "cut": CUT_OCCUPATION, "max_words": 4}
_SPOKEN = {"check": has(re.compile(rf"^{LANGS}\b(?:\s+(?:at|a|au|in|with|avec|chez)\b.*)?$")), "split": True,
           "lead": LEAD_LANGUAGE}

_RULES = (
    anchored(rf"my\s+(?:first\s+|full\s+)?name\s*(?:is|'s|s)\s+{VALUE}", "profile.name", "en", 0.95, **_NAME),
    anchored(rf"{EN_IM}called\s+{VALUE}", "profile.name", "en", 0.9, **_NAME),
    anchored(rf"(?:you\s+can\s+)?call\s+me\s+{VALUE}", "profile.name", "en", 0.9, **_WEAK_NAME),
    anchored(rf"{FR_JE}m\s*'?\s*appelle\s+{VALUE}", "profile.name", "fr", 0.95, **_NAME),
    anchored(rf"mon\s+(?:pre)?nom\s*,?\s*(?:est|c'\s*est|:)\s+{VALUE}", "profile.name", "fr", 0.95, **_NAME),
    anchored(rf"moi\s*,?\s*c'\s*est\s+{VALUE}", "profile.name", "fr", 0.85, **_NAME),
    anchored(rf"(?:tu\s+peux\s+m\s*'?\s*appeler|appelle[sz]?[\s-]*moi)\s+{VALUE}", "profile.name", "fr", 0.9,
             **_WEAK_NAME),
    anchored(rf"(?:(?:{EN_I}|we\s+){EN_ADV}{EN_NEG}(?:live|reside)|{EN_IM}(?:(?P<neg2>not|no\s+longer)\s+)?(?:living|based|located"
             rf"|settled))\s+(?:in|at|near|outside(?:\s+of)?|around)\s+{VALUE}", "profile.location", "en", 0.9,
             **_PLACE),
    anchored(rf"(?:i\s*'?\s*ve|i\s+have)\s+(?:been\s+living|lived)\s+in\s+{VALUE}", "profile.location", "en", 0.85,
             **_PLACE),
    anchored(rf"(?:{EN_I}(?:just\s+|recently\s+)?|i\s*'?\s*ve\s+(?:just\s+)?)(?:moved|relocated)\s+(?:to|in)\s+{VALUE}",
             "profile.location", "en", 0.8, **_PLACE),
    anchored(rf"(?:{FR_JE}{FR_NE}(?:habite|vis|reside)|on\s+(?:habite|vit)|nous\s+(?:habitons|vivons))(?:\s+(?P<neg>pas|plus|jamais))?(?:\s+(?:actuellement|maintenant"
             rf"|desormais))?\s+(?:(?:a|au|aux|en|dans|sur|pres\s+de|vers)\s+)?{VALUE}", "profile.location", "fr", 0.9,
             **_PLACE),
    anchored(rf"{FR_JE}(?:suis|me\s+suis)\s+(?:base|installe|domicilie)e?s?\s+(?:a|au|aux|en|dans|sur)\s+{VALUE}",
             "profile.location", "fr", 0.9, **_PLACE),
    anchored(rf"{FR_JE}(?:viens\s+d'\s*|ai\s+)(?:demenage|emmenage)\s+(?:a|au|aux|en|dans|sur)\s+{VALUE}",
             "profile.location", "fr", 0.8, **_PLACE),
    anchored(rf"{EN_IM}(?:originally\s+)?from\s+{VALUE}", "profile.origin", "en", 0.85, **_PLACE),
    anchored(rf"{FR_JE}(?:viens|suis\s+originaire)\s+(?:de\s+la\s+|de\s+l'\s*|du\s+|des\s+|de\s+|d'\s*){VALUE}",
             "profile.origin", "fr", 0.85, check=_not_infinitive, **_PLACE),
    anchored(rf"(?:{EN_I}{EN_ADV}{EN_NEG}(?:work|am\s+working)|{EN_IM}{EN_ADV}working)\s+as\s+(?:an?\s+)?{VALUE}",
             "profile.occupation", "en", 0.9, cut=CUT_OCCUPATION),
    anchored(rf"{EN_IM}(?:(?P<neg>not|no\s+longer)\s+)?(?:(?:currently|now|still)\s+)?(?:an?\s+)?{VALUE}",
             "profile.occupation", "en", 0.85, **_JOB),
    anchored(rf"{FR_JE}{FR_NE}(?:travaille|bosse)(?:\s+(?P<neg>pas|plus))?(?:\s+(?:maintenant|desormais|actuellement))?\s+(?:comme"
             rf"|en\s+tant\s+que)\s+(?:une?\s+)?{VALUE}",
             "profile.occupation", "fr", 0.9, cut=CUT_OCCUPATION),
    anchored(rf"{FR_JE}{FR_NE}suis(?:\s+(?P<neg>pas|plus))?(?:\s+(?:actuellement|maintenant|encore))?\s+"
             rf"(?:une?\s+)?{VALUE}",
             "profile.occupation", "fr", 0.85, **_JOB),
    anchored(rf"{EN_I}{EN_ADV}{EN_NEG}(?:work|am\s+working)\s+(?:at|for)\s+{VALUE}", "profile.employer", "en", 0.9),
    anchored(rf"{EN_IM}(?:an?\s+)?(?P<occ>[a-z][a-z\s-]{{1,40}}?)\s+(?:at|for)\s+{VALUE}", "profile.employer", "en",
             0.85),
    anchored(rf"{FR_JE}{FR_NE}(?:travaille|bosse)(?:\s+(?P<neg>pas|plus))?\s+(?:chez|pour)\s+{VALUE}",
             "profile.employer", "fr", 0.9),
    anchored(rf"{FR_JE}suis\s+(?:une?\s+)?(?P<occ>[a-z][a-z\s-]{{1,40}}?)\s+chez\s+{VALUE}", "profile.employer", "fr",
             0.85),
    anchored(rf"{EN_IM}{_AGE}\s*(?:years?\s*old|yrs?(?:\s*old)?|y\.?o\b)", "profile.age", "en", 0.95),
    anchored(rf"{EN_IM}{_AGE}(?=\s*(?:,|$))", "profile.age", "en", 0.7),
    anchored(rf"{FR_JE}ai\s+{_AGE}\s*ans\b(?!\s*(?:d'|de\b))", "profile.age", "fr", 0.95),
    anchored(rf"{EN_I}{EN_ADV}{EN_NEG}(?:can\s+)?speak\s+{VALUE}", "profile.language", "en", 0.9, **_SPOKEN),
    anchored(rf"(?:{EN_IM}(?:fluent|bilingual)\s+in|my\s+(?:native\s+language|mother\s+tongue|first\s+language)\s+is)"
             rf"\s+{VALUE}", "profile.language", "en", 0.9, **_SPOKEN),
    anchored(rf"(?:{FR_JE}{FR_NE}parle(?:\s+(?P<neg>pas|plus))?|ma\s+langue\s+maternelle\s+(?:est|c'\s*est))\s+{VALUE}",
             "profile.language", "fr", 0.9, **_SPOKEN),
    anchored(rf"{EN_IM}(?:(?P<neg>not)\s+)?(?P<v>{DEMONYMS})$", "profile.nationality", "en", 0.85, lead=None),
    anchored(rf"{FR_JE}{FR_NE}suis(?:\s+(?P<neg>pas))?\s+(?P<v>{DEMONYMS})$", "profile.nationality", "fr", 0.85,
             lead=None),
)
_NAME_TOKENS = r"(?P<v>[a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)(?=\s+(?:from|de|here|btw)\b|$)"
_BARE_NAME_RULES = (
    anchored(rf"{EN_IM}{_NAME_TOKENS}", "profile.name", "en", 0.7, check=_is_im_name, lead=None),
    anchored(rf"{FR_JE}suis\s+{_NAME_TOKENS}", "profile.name", "fr", 0.7, check=_is_im_name, lead=None),
)


def candidates(scope: Scope) -> list[Candidate]:
    """Profile statements at the start of a clause (not in a question)."""
    return [] if scope.question else match(_RULES, scope)


def bare_name(scope: Scope) -> list[Candidate]:
    """"I'm Sam", "je suis Léa": a fallback, tried only when no clause rule found anything."""
    return [] if scope.question else match(_BARE_NAME_RULES, scope)
