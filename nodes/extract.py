"""extract: durable memories stated in the user's message (rule pass, French and English).

Only candidates whose value is found in the message are kept: nothing is remembered that the user
did not say.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict

from langchain_core.runnables import RunnableConfig
from memory.extract_rules import Candidate
from memory.extract_rules import extract as extract_rules

from core.metrics import EXTRACTED
from graphs.state import TurnState
from nodes.common import last_user_message, text_of


def _fold(text: str) -> str:
    """Lowercase without accents, so grounding survives "prefere" vs "préfère"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def grounded(candidate: Candidate, text: str) -> bool:
    return _fold(candidate.value) in _fold(text)


def extract_memories(text: str, context: list[dict] | None = None) -> list[dict]:
    """Grounded candidates as plain dicts (the shape the API's /v1/memories/extract returns)."""
    return [asdict(c) for c in extract_rules(text, context) if grounded(c, text)]


async def extract(state: TurnState, config: RunnableConfig) -> dict:
    found = extract_memories(text_of(last_user_message(state["messages"])))
    for candidate in found:
        EXTRACTED.labels(candidate["category"]).inc()
    return {"extracted": found}
