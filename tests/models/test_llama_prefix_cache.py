"""LlamaChatModel.prefix_cache on the bundled model: a shared system prompt is evaluated once, answers don't change.

Evaluated tokens are counted by wrapping the shared `Llama.eval` (every token llama.cpp decodes goes through it),
not by timing.
"""

from functools import reduce
from operator import add

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from models.llama import LlamaChatModel, default_model_path

pytestmark = pytest.mark.slow

SYSTEM = SystemMessage(
    "You are Mnemo, a helpful assistant with a long-term memory. Answer briefly and concretely.\n\n"
    "What you know about the user:\n- The user is vegetarian.\n- The user loves jazz.\n- The user lives in Lyon.\n"
    "- The user is allergic to peanuts.\n- The user prefers short answers."
)
FIRST = [SYSTEM, HumanMessage("Any dinner idea for tonight?")]
FOLLOW_UP = HumanMessage("And which music goes with it?")


def model(prefix_cache: bool, temperature: float = 0.3) -> LlamaChatModel:
    return LlamaChatModel(model_path=str(default_model_path()), max_tokens=24, temperature=temperature,
                          prefix_cache=prefix_cache)


def answer(chat: LlamaChatModel, messages: list[BaseMessage], how: str) -> AIMessage:
    return chat.invoke(messages) if how == "invoke" else reduce(add, chat.stream(messages))


def evaluated_prompt(monkeypatch, chat: LlamaChatModel, how: str) -> tuple[int, AIMessage]:
    """Run FIRST, then a second turn holding FIRST's reply (as a thread's history does); the prompt tokens the
    second turn evaluated (its first `eval` call) and its answer."""
    llm = chat.llama
    second = [*FIRST, AIMessage(answer(chat, FIRST, how).text), FOLLOW_UP]
    batches: list[int] = []
    original = llm.eval

    def counting(tokens):
        batches.append(len(tokens))
        return original(tokens)

    monkeypatch.setattr(llm, "eval", counting)
    reply = answer(chat, second, how)
    monkeypatch.undo()
    return batches[0], reply


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_a_shared_system_prompt_is_not_evaluated_again(monkeypatch, how):
    cached, cached_reply = evaluated_prompt(monkeypatch, model(prefix_cache=True), how)
    full, full_reply = evaluated_prompt(monkeypatch, model(prefix_cache=False), how)
    prompt_tokens = full_reply.usage_metadata["input_tokens"]
    assert full == prompt_tokens
    assert cached < prompt_tokens // 2  # the system prompt and the first exchange were kept
    assert cached_reply.usage_metadata["input_tokens"] == prompt_tokens  # usage still counts the whole prompt


@pytest.mark.parametrize("how", ["invoke", "stream"])
@pytest.mark.parametrize("temperature", [0.0, 0.3])
def test_the_cache_does_not_change_answers(monkeypatch, how, temperature):
    _, cached = evaluated_prompt(monkeypatch, model(prefix_cache=True, temperature=temperature), how)
    _, full = evaluated_prompt(monkeypatch, model(prefix_cache=False, temperature=temperature), how)
    assert cached.text.strip()
    assert cached.text == full.text


def test_a_repeated_prompt_gives_the_same_answer(monkeypatch):
    """The whole prompt is already evaluated: llama-cpp-python would re-evaluate its last token alone."""
    chat = model(prefix_cache=True, temperature=0.0)
    first = chat.invoke(FIRST)
    batches: list[int] = []
    original = chat.llama.eval
    monkeypatch.setattr(chat.llama, "eval", lambda tokens: batches.append(len(tokens)) or original(tokens))
    again = chat.invoke(FIRST)
    assert batches[0] == 2
    assert again.text == first.text
