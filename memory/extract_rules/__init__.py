"""Rule pass that pulls durable memories about the user out of one chat message (French and English).

Modules, one job each:
- the walk: `walk` (sentences, clauses, fillers, questions, hypotheticals; `extract`), `guards` (injections,
  sarcasm, quotes; `refuses`), `registry` (every rule, in order), `scope` (what a rule is given);
- shared pieces: `folding` (accent-free copy of the same length), `language` (fr/en guess), `candidate` (the
  output type), `patterns` (regex fragments), `anchored` (rules that start a clause), `finders` (rules found
  anywhere in a clause), `topics` (topic keys of tastes);
- rules: `profile`, `preferences`, `constraints`, `replies` (reply language/style), `intros` (list intros,
  moves), `tastes` ("X is my thing"), `situation` (facts, family, health, temporary states), `plans` (intents,
  goals, deadlines), `business`, `limits` (money and time limits), `style`, `manners`, `pastimes`;
- after the walk: `forget` (retractions), `sensitive` (PII), `answers` (short answers to a question).
"""

from __future__ import annotations

from memory.extract_rules.candidate import CATEGORIES, Candidate, Category
from memory.extract_rules.guards import refuses
from memory.extract_rules.language import detect_language
from memory.extract_rules.walk import extract

__all__ = ["CATEGORIES", "Candidate", "Category", "detect_language", "extract", "refuses"]
