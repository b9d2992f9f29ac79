"""Every rule the walk runs, in the order it runs them: adding a rule is one new module and one line here.

A rule is a function ``(scope: Scope) -> list[Candidate]`` (`Rule`, see `scope`). It matches in
``scope.folded`` from ``scope.body`` (past fillers) or ``scope.start`` to ``scope.end``, cuts values out of
``scope.text`` at the same indices, and returns [] where it does not apply.

- `SENTENCE_RULES` read one sentence; the walk gives them only sentences that are no question, no
  hypothetical and no reported speech, since their shapes (a list intro, a fronted object) span clauses.
- `CLAUSE_RULES` read one clause and check what they may read themselves: a request asked as a question
  (``scope.question``) is read by `replies` only, statements stop before a hypothetical
  (``scope.before_hypothetical``), whole-clause searches need ``scope.factual``.
- `FALLBACK_RULES` read a clause in which no clause rule found anything (the weakest cues).

Order matters: on the same key, value and polarity, the earlier rule wins a tie in confidence, and the
output keeps the order in which memories were first found.
"""

from __future__ import annotations

from memory.extract_rules import (
    business,
    constraints,
    intros,
    limits,
    manners,
    pastimes,
    plans,
    preferences,
    profile,
    replies,
    situation,
    style,
    tastes,
)
from memory.extract_rules.scope import Rule

SENTENCE_RULES: tuple[Rule, ...] = (
    intros.introduction,  # "Tom, maths teacher in Bristol"
    intros.job,  # "starting as a UX designer next Monday"
    intros.moves,  # "on a déménagé à Rennes"
    intros.corrected_name,  # "pardon, c'est Anna avec deux n"
    tastes.candidates,  # "le jazz, c'est mon truc"
)

CLAUSE_RULES: tuple[Rule, ...] = (
    replies.candidates,  # "always answer in French"
    profile.candidates,  # "I live in Lyon", "je suis infirmière"
    preferences.candidates,  # "j'adore le jazz"
    constraints.candidates,  # "I'm vegan", "my budget is 500 €"
    situation.temporary,  # "this week I'm in Lisbon"
    business.candidates,  # "on est une agence de 12 personnes"
    limits.candidates,  # "jamais avant 9h"
    style.candidates,  # "use metric units with me"
    pastimes.candidates,  # "I play the cello"
    manners.candidates,  # "no emojis please, ever"
    plans.candidates,  # "je veux courir un marathon en 2026"
    situation.candidates,  # "I have two kids", "I'm colour-blind"
)

FALLBACK_RULES: tuple[Rule, ...] = (
    profile.bare_name,  # "I'm Sam"
)
