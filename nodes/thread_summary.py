"""The running summary of a thread's turns older than its window: what the model keeps of them.

A thread's checkpoint and the model's history hold only the newest `thread_window_messages` messages
(the messages table holds them all). As messages leave the window, each user message's opening (its
first sentence, at most GIST_CHARS) is appended to the summary, which keeps its newest lines within
SUMMARY_CHARS: bounded like the window, oldest first, in the user's words. It is extractive, not written
by a model: a turn stays one model call, and the summary cannot state what the user did not say. The
replies are left out (the user's side carries the topics; facts are in long-term memory anyway).

The summary lives in the checkpoint (`TurnState.summary`). When the checkpoint had to be rewritten from
the table (it missed a stored turn after a crash), the summary is rebuilt from the stored messages just
before the window, so it too follows what is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from langchain_core.messages import AnyMessage, HumanMessage, RemoveMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES

GIST_CHARS = 100
SUMMARY_CHARS = 1000  # about 250 tokens
REBUILD_MESSAGES = 40  # stored messages read before the window when the summary is rebuilt
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s")


def gist(text: str) -> str:
    """A message's first sentence, whitespace collapsed, at most GIST_CHARS."""
    flat = " ".join(text.split())
    first = _SENTENCE_END.split(flat, maxsplit=1)[0]
    return first if len(first) <= GIST_CHARS else first[: GIST_CHARS - 1].rstrip() + "…"


def fold(summary: str, user_texts: Iterable[str]) -> str:
    """The summary with these (older-first) user messages' gists appended, newest lines kept within
    SUMMARY_CHARS."""
    lines = [line for line in summary.splitlines() if line]
    lines += [f"- {gist(text)}" for text in user_texts if text.strip()]
    while lines and sum(len(line) + 1 for line in lines) > SUMMARY_CHARS:
        lines.pop(0)
    return "\n".join(lines)


def dropped_messages(changes: list[AnyMessage], earlier: list[AnyMessage]) -> list[AnyMessage] | None:
    """The checkpoint messages a reconcile update removes from the window, oldest first; None when it
    rewrites the whole window (the summary must then be rebuilt from the table)."""
    removed = {m.id for m in changes if isinstance(m, RemoveMessage)}
    if REMOVE_ALL_MESSAGES in removed:
        return None
    return [m for m in earlier if m.id in removed]


def user_texts(messages: Iterable[AnyMessage]) -> list[str]:
    return [m.content for m in messages if isinstance(m, HumanMessage) and isinstance(m.content, str)]
