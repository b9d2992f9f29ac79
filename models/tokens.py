"""Token counts with each provider's own tokenizer, for replies whose provider sent no usage.

- OpenAI: the model's BPE encoding (o200k_base for gpt-4o, gpt-4.1, gpt-5 and the o-series; cl100k_base
  for gpt-4 and gpt-3.5), from `quicktok`, which bundles both files (tiktoken downloads them on first
  use, and nothing may download at run time here); its ids equal tiktoken's (checked in the tests).
  Chat framing follows OpenAI's published rule: 3 tokens per message, 3 to prime the reply.
- Gemini: the provider's countTokens endpoint (the tokenizer is not published as a file).
- Local GGUF models: the model's own tokenizer. Fake: `models.fake.count_tokens`.
"""

from __future__ import annotations

import quicktok
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from models.fake import count_tokens as fake_count

OPENAI_TOKENS_PER_MESSAGE = 3
OPENAI_REPLY_PRIMING = 3
_CL100K_PREFIXES = ("gpt-4-", "gpt-3.5")


def openai_encoding(model: str) -> str:
    name = model.lower()
    if name == "gpt-4" or name.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"  # every model since gpt-4o


def openai_count(model: str, text: str) -> int:
    return len(quicktok.get_encoding(openai_encoding(model)).encode_ordinary(text))


def openai_prompt_tokens(model: str, messages: list[BaseMessage]) -> int:
    encoding = quicktok.get_encoding(openai_encoding(model))
    per_message = (OPENAI_TOKENS_PER_MESSAGE + len(encoding.encode_ordinary(m.type)) for m in messages)
    content = (len(encoding.encode_ordinary(m.text)) for m in messages)
    return sum(per_message) + sum(content) + OPENAI_REPLY_PRIMING


def _gemini_contents(texts: list[str]) -> list:
    from google.genai.types import Content, Part

    return [Content(role="user", parts=[Part(text=text)]) for text in texts if text]


def _total(result) -> int:
    if result.total_tokens is None:
        raise ValueError("Gemini countTokens answered without total_tokens")
    return result.total_tokens


async def gemini_count(model: BaseChatModel, texts: list[str]) -> int:
    """Tokens of `texts` by Gemini's countTokens (one request, on the chat model's own HTTP client)."""
    contents = _gemini_contents(texts)
    return _total(await model.client.aio.models.count_tokens(model=model.model, contents=contents)) if contents else 0


def gemini_count_sync(model: BaseChatModel, texts: list[str]) -> int:
    contents = _gemini_contents(texts)
    return _total(model.client.models.count_tokens(model=model.model, contents=contents)) if contents else 0


def local_count(model: BaseChatModel, text: str) -> int:
    return len(model.llama.tokenize(text.encode(), add_bos=False, special=True)) if text else 0


async def count_usage(provider: str, model: BaseChatModel, name: str, messages: list[BaseMessage],
                      reply: str) -> tuple[int, int]:
    """(input tokens, output tokens) of one call, counted with the provider's tokenizer."""
    if provider == "gemini":
        return await gemini_count(model, [m.text for m in messages]), await gemini_count(model, [reply])
    return count_usage_sync(provider, model, name, messages, reply)


def count_usage_sync(provider: str, model: BaseChatModel, name: str, messages: list[BaseMessage],
                     reply: str) -> tuple[int, int]:
    if provider == "openai":
        return openai_prompt_tokens(name, messages), openai_count(name, reply)
    if provider == "gemini":
        return gemini_count_sync(model, [m.text for m in messages]), gemini_count_sync(model, [reply])
    if provider == "local":
        return sum(local_count(model, m.text) for m in messages), local_count(model, reply)
    return sum(fake_count(m.text) for m in messages), fake_count(reply)
