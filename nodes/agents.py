"""The agents a turn can be routed to: each a persona with its own system prompt and optional model."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.config import Settings
from nodes import prompts


@dataclass(frozen=True)
class Agent:
    name: str
    description: str
    system_prompt: str
    model: str | None = None  # None: the configured default (MNEMO_CHAT_MODEL)
    temperature: float | None = None  # None: the model's default
    max_tokens: int | None = None  # None: MNEMO_MAX_OUTPUT_TOKENS


AGENTS: dict[str, Agent] = {
    a.name: a
    for a in (
        Agent("assistant", "General conversation and questions", prompts.ASSISTANT_PROMPT),
        Agent("coder", "Programming, debugging, SQL, tooling", prompts.CODER_PROMPT, temperature=0.2),
        Agent("planner", "Trips, meals, schedules and other plans", prompts.PLANNER_PROMPT),
    )
}
DEFAULT_AGENT = "assistant"


def configured(agent: Agent, settings: Settings) -> Agent:
    """`agent` with the fields MNEMO_AGENTS sets for it."""
    override = settings.agents.get(agent.name)
    return replace(agent, **override.model_dump(exclude_none=True)) if override else agent
