"""generate: the chosen agent's model answers, streamed token by token (LangGraph's
stream_mode="messages" picks the tokens up through the callbacks in `config`), with token usage."""

from __future__ import annotations

import time

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, SystemMessage, trim_messages
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.runnables import RunnableConfig

from core.metrics import MODEL_TOKENS
from graphs.resources import Resources
from graphs.state import TurnState
from nodes import prompts
from nodes.agents import AGENTS, configured
from nodes.common import is_evidence, text_of

MAX_RETRIEVED_IN_PROMPT = 4


def build_system_prompt(system_prompt: str, memories: list[dict], retrieved: list[dict], summary: str = "") -> str:
    """The agent's prompt, then what is known about the user, then relevant snippets from the past, then
    what the user said earlier in this thread (before the history the model gets as messages)."""
    parts = [system_prompt]
    if memories:
        parts.append(prompts.MEMORY_HEADER + "\n" + "\n".join(f"- {m['content']}" for m in memories))
    snippets = [r for r in retrieved if r["type"] == "message" and is_evidence(r)][:MAX_RETRIEVED_IN_PROMPT]
    if snippets:
        parts.append(prompts.RETRIEVED_HEADER + "\n" + "\n".join(f"- {r['content'][:300]}" for r in snippets))
    if summary:
        parts.append(prompts.SUMMARY_HEADER + "\n" + summary)
    return "\n\n".join(parts)


def model_history(messages: list[AnyMessage], token_budget: int) -> list[AnyMessage]:
    """The newest of the thread's window and this turn's input that fit `token_budget`, starting on a user
    message. Trimmed here rather than kept as a channel of its own: it is the tail of `messages`, and a
    copy in the checkpoint cost 2 KB a turn."""
    return trim_messages(messages, max_tokens=token_budget, strategy="last", token_counter=count_tokens_approximately,
                         start_on="human", include_system=False)


def prompt_messages(state: TurnState, system_prompt: str, token_budget: int) -> list[BaseMessage]:
    """What the model is sent: the system prompt with the context set and the retrieved memories not already in
    it, then the thread's history (also how `mnemo bench stream` rebuilds a turn's prompt from its checkpoint)."""
    known_ids = {m["id"] for m in state.get("context_memories", [])}
    memories = state.get("context_memories", []) + [
        r for r in state.get("retrieved", []) if r["type"] == "memory" and r["id"] not in known_ids
    ]
    system = SystemMessage(build_system_prompt(system_prompt, memories, state.get("retrieved", []),
                                               state.get("summary", "")))
    return [system, *model_history(state["messages"], token_budget)]


def model_name(message: AIMessage, fallback: str) -> str:
    meta = message.response_metadata or {}
    return str(meta.get("model_name") or meta.get("model") or fallback)


async def generate(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    agent = configured(AGENTS[state["agent"]], res.settings)
    model = res.chat_model(agent.model, temperature=agent.temperature, max_tokens=agent.max_tokens)
    started = time.perf_counter()
    prompt = prompt_messages(state, agent.system_prompt, res.settings.history_token_budget)
    answer = await model.ainvoke(prompt, config)
    latency_ms = round((time.perf_counter() - started) * 1000)
    usage = answer.usage_metadata or {}
    call = (answer.response_metadata or {}).get("mnemo", {})  # models/chat.py: who answered, at what cost
    name = call.get("model") or model_name(answer, agent.model or res.settings.chat_model)
    MODEL_TOKENS.labels(name, "input").inc(usage.get("input_tokens", 0))
    MODEL_TOKENS.labels(name, "output").inc(usage.get("output_tokens", 0))
    return {
        "messages": [answer],
        "reply": text_of(answer).strip(),
        "usage": {
            "input_tokens": usage.get("input_tokens", 0),
            "output_tokens": usage.get("output_tokens", 0),
            "cost_usd": call.get("cost_usd"),  # None: a hosted model with no price in the table
            "model": name,
            "latency_ms": latency_ms,
            "provider": call.get("provider"),
            "usage_source": call.get("usage_source"),
            "fallbacks": call.get("fallbacks", []),
        },
    }
