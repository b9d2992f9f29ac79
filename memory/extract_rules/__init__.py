"""Rule pass that pulls durable memories about the user out of one chat message (French and English).

Modules, one job each: `folding` (accent-free copy of the same length), `language` (fr/en guess),
`candidate` (the output type), `statements` (the sentence/clause walk and the profile, preference and
constraint rules), `situation` (facts, family, health, temporary states), `plans` (intents, goals,
deadlines), `business`, `forget` (retractions), `sensitive` (PII), `answers` (short answers to a question).
"""

from __future__ import annotations

from memory.extract_rules.candidate import CATEGORIES, Candidate
from memory.extract_rules.language import detect_language
from memory.extract_rules.statements import extract, refuses

__all__ = ["CATEGORIES", "Candidate", "detect_language", "extract", "refuses"]
