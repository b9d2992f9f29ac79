"""route: pick the agent for this turn: an explicit request first, then keyword rules, then the default.

`route` records the choice in the state; `agent_of` is the pure function behind the conditional
edges, so Studio draws one labelled edge per agent.
"""

from __future__ import annotations

import re

from langchain_core.runnables import RunnableConfig

from graphs.context import TurnContext
from graphs.state import TurnState
from nodes.agents import AGENTS, DEFAULT_AGENT
from nodes.common import last_user_message, text_of

# English and French cues, matched on word starts so "debugging" and "déboguer" both count.
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("coder", re.compile(
        r"\b(code|coding|python|javascript|typescript|sql|bug|debug|d[ée]bogu|stack ?trace|traceback|exception|"
        r"compil|function|fonction|regex|api|script|git|docker|programm)", re.IGNORECASE)),
    ("planner", re.compile(
        r"\b(plan|trip|travel|itinerar|itin[ée]raire|voyage|schedule|agenda|planning|organi[sz]|"
        r"recipe|recette|menu|week-?end|vacation|vacances|book a|r[ée]serv)", re.IGNORECASE)),
]


def choose_agent(text: str, requested: str | None) -> tuple[str, str]:
    """(agent, reason) for a message and an optional explicit request."""
    if requested:
        if requested not in AGENTS:
            raise ValueError(f"unknown agent {requested!r}; known: {', '.join(AGENTS)}")
        return requested, "explicit"
    for agent, pattern in RULES:
        match = pattern.search(text)
        if match:
            return agent, f"rule:{match.group(0).lower()}"
    return DEFAULT_AGENT, "default"


async def route(state: TurnState, config: RunnableConfig) -> dict:
    ctx = TurnContext.from_config(config)
    agent, reason = choose_agent(text_of(last_user_message(state["messages"])), ctx.agent)
    return {"agent": agent, "route_reason": reason}


def agent_of(state: TurnState) -> str:
    """Conditional-edge function: the agent chosen by `route`."""
    return state["agent"]
