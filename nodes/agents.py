"""The agents a turn can be routed to: each a persona with its own system prompt and optional model."""

from __future__ import annotations

from dataclasses import dataclass

from nodes import prompts


@dataclass(frozen=True)
class Agent:
    name: str
    description: str
    system_prompt: str
    model: str | None = None  # None: the configured default (MNEMO_CHAT_MODEL)


AGENTS: dict[str, Agent] = {
    a.name: a
    for a in (
        Agent("assistant", "General conversation and questions", prompts.ASSISTANT_PROMPT),
        Agent("coder", "Programming, debugging, SQL, tooling", prompts.CODER_PROMPT),
        Agent("planner", "Trips, meals, schedules and other plans", prompts.PLANNER_PROMPT),
    )
}
DEFAULT_AGENT = "assistant"
