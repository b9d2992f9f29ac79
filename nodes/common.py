"""Small helpers shared by nodes."""

from __future__ import annotations

from langchain_core.messages import AnyMessage, HumanMessage


def last_user_message(messages: list[AnyMessage]) -> HumanMessage:
    """The message this turn answers."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message
    raise ValueError("the turn has no user message")


def is_evidence(hit: dict) -> bool:
    """A search hit worth showing the model or the user: a memory, or something the user said.
    A past model reply is not evidence."""
    return hit["type"] == "memory" or hit["metadata"].get("role") == "user"


def text_of(message: AnyMessage) -> str:
    """Plain text of a message whose content may be a list of parts."""
    if isinstance(message.content, str):
        return message.content
    return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in message.content)
