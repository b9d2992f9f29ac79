"""The one argument every rule gets: the part of the message it reads, and what the walk found out about it.

Why an object: rules read different stretches (the clause with or without its fillers, up to a hypothetical)
and judge differently (a question, a hedge); one frozen value keeps a single rule signature, see `registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from memory.extract_rules.candidate import Candidate


@dataclass(frozen=True)
class Scope:
    """folded[start:end] is one sentence or clause of the message; ``body`` is where it starts past fillers.

    ``text`` and ``folded`` are the whole message, of the same length, so a match in ``folded`` cuts the value
    out of ``text`` at the same indices.
    """

    text: str
    folded: str
    start: int
    body: int  # past "well", "btw", "je pense que": where statement rules anchor
    end: int
    language: str
    factor: float = 1.0  # confidence factor: 0.7 after a hedge ("I think ...")
    hypothetical_at: int | None = None  # where "if I ...", "imagine ..." starts in the clause
    question: bool = False  # a request asked as a question: "could you always answer in French?"

    def before_hypothetical(self, position: int) -> bool:
        """Whether folded[:position] is said before any hypothetical ("I live in Lyon if that helps")."""
        return self.hypothetical_at is None or position <= self.hypothetical_at

    @property
    def factual(self) -> bool:
        """Neither a question nor a hypothetical anywhere: only then may a rule search the whole clause."""
        return not self.question and self.hypothetical_at is None


Rule = Callable[[Scope], list[Candidate]]
