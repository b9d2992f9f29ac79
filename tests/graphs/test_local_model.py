"""A smoke turn with the real bundled model (SmolLM2 through llama.cpp): its text is not asserted,
only that the whole graph runs with it, streams and counts tokens."""

import uuid

import pytest

from graphs.runner import stream_turn
from graphs.turn import build_turn_graph

pytestmark = pytest.mark.slow


async def test_turn_with_the_local_model(resources, principal):
    local = resources.with_settings(chat_model="local", max_output_tokens=24)
    graph = build_turn_graph(local).compile(checkpointer=resources.checkpointer)
    tokens, result = [], None
    async for event in stream_turn(graph, message="Hello! I live in Lyon.", thread_id=str(uuid.uuid4()),
                                   tenant_id=principal.tenant_id, user_id=principal.user_id):
        if event.kind == "token":
            tokens.append(event.token)
        else:
            result = event.result
    assert result is not None and result.reply
    assert len(tokens) > 1 and "".join(tokens).strip() == result.reply
    assert result.usage["model"].startswith("SmolLM2")
    assert result.usage["input_tokens"] > 20 and result.usage["output_tokens"] > 0
    assert [m["value"] for m in result.memories] == ["Lyon"]
