"""What one extracted memory looks like, shared by every rule module and by the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Category = Literal["profile", "preference", "constraint", "intent", "goal", "business", "fact"]
CATEGORIES: tuple[Category, ...] = get_args(Category)  # the one list: pydantic models and mypy read `Category`


@dataclass(frozen=True)
class Candidate:
    """A memory stated by the user; ``value`` and ``span`` are exact substrings of the message (or context).

    ``action`` is "forget" for explicit retractions (the value names what to forget); ``duration`` is the time
    phrase of a temporary state ("this week"); ``timeframe`` the time phrase of an intent or goal ("next week").
    """

    category: str
    key: str
    value: str
    polarity: str
    confidence: float
    language: str
    span: str
    action: str = "add"
    duration: str | None = None
    timeframe: str | None = None
    extractor: str = "rules"  # "learned" for the clause classifier's (memory/learned)
