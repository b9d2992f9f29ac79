"""extract: durable memories stated in the user's message (rule pass, French and English).

Only candidates whose value is found in the message are kept: nothing is remembered that the user
did not say.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from core.metrics import EXTRACTED
from graphs.state import TurnState
from memory.extraction import extract_memories
from nodes.common import last_user_message, text_of


async def extract(state: TurnState, config: RunnableConfig) -> dict:
    found = extract_memories(text_of(last_user_message(state["messages"])))
    for candidate in found:
        EXTRACTED.labels(candidate["category"]).inc()
    return {"extracted": found}
