"""extract: durable memories stated in the user's message (memory/extraction.py: rules, then the
configured extraction model when the message is worth a call).

With MNEMO_EXTRACTION=background only the rule pass runs here; the model pass runs in `mnemo worker`
after the turn is committed, so a turn never waits on a remote model to learn something.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig

from core.metrics import EXTRACTED
from graphs.resources import Resources
from graphs.state import TurnState
from memory.extraction import aextract_memories
from nodes.common import last_user_message, text_of

CONTEXT_TURNS = 2  # earlier turns given to extraction: enough to read "Oran" as an answer to "which city?"


def extraction_context(messages: list) -> list[dict]:
    """The turns just before the user's message, as {role, content}."""
    user = last_user_message(messages)
    earlier = messages[: messages.index(user)][-CONTEXT_TURNS:]
    return [{"role": "assistant" if isinstance(m, AIMessage) else "user", "content": text_of(m)} for m in earlier]


async def extract(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    messages = state["messages"]
    model = res.extraction_model() if res.settings.extraction == "inline" else None
    found = await aextract_memories(text_of(last_user_message(messages)), extraction_context(messages), model,
                                     res.clause_model())
    for candidate in found:
        EXTRACTED.labels(candidate["category"]).inc()
    return {"extracted": found}
