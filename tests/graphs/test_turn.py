"""Whole turns through the compiled graph on real PostgreSQL, pgvector and Redis, fake model."""

import uuid

import pytest
from langchain_core.language_models import BaseChatModel

from graphs.runner import run_turn, turn_config
from graphs.turn import NODE_NAMES, build_turn_graph
from memory.cache import prefs_key
from memory.db import tenant_connection
from memory.threads import list_messages
from nodes.agents import AGENTS
from nodes.generate import model_history


async def _turn(runtime, principal, message, thread_id, agent=None):
    return await run_turn(runtime.graph, message=message, thread_id=thread_id, tenant_id=principal.tenant_id,
                          user_id=principal.user_id, agent=agent)


def test_graph_has_the_seven_nodes_and_a_conditional_route_edge_per_agent():
    builder = build_turn_graph()
    drawable = builder.compile().get_graph()
    assert [n for n in drawable.nodes if not n.startswith("__")] == list(NODE_NAMES)
    # LangGraph draws one dashed edge per (source, target) pair, so the agents share one drawn edge.
    assert {(e.source, e.target) for e in drawable.edges if e.conditional} == {("route", "generate")}
    [branch] = builder.branches["route"].values()
    assert branch.ends == {name: "generate" for name in AGENTS}


async def test_fact_from_one_thread_is_used_in_another(runtime, principal):
    first = await _turn(runtime, principal, "My name is Marie and I live in Lyon. J'adore le jazz.", str(uuid.uuid4()))
    assert {(m["key"], m["value"]) for m in first.memories} >= {("profile.name", "Marie"), ("profile.location", "Lyon")}
    later = await _turn(runtime, principal, "Any music recommendation for tonight?", str(uuid.uuid4()))
    context_values = {m["value"] for m in later.context_memories}
    assert {"Marie", "Lyon"} <= context_values
    assert any("jazz" in h["text"] for h in later.hints)
    assert "I remember" in later.reply  # the fake model quotes the memories it was given
    again = await _turn(runtime, principal, "And a film?", later.thread_id)  # the same memories: not rewritten
    assert {"Marie", "Lyon"} <= {m["value"] for m in again.context_memories}
    assert later.usage["input_tokens"] > 0 and later.usage["output_tokens"] > 0 and later.usage["model"] == "fake"


async def test_turn_persists_messages_usage_and_refreshes_cache(runtime, principal, resources):
    thread = str(uuid.uuid4())
    result = await _turn(runtime, principal, "I'm allergic to peanuts.", thread)
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        messages = await list_messages(conn, **owner, thread_id=thread)
        usage = await (await conn.execute(
            "SELECT model, input_tokens, output_tokens FROM usage WHERE thread_id = %s", (thread,))).fetchall()
    assert [(m["role"], m["content"]) for m in messages] == [("user", "I'm allergic to peanuts."),
                                                            ("assistant", result.reply)]
    assert usage == [{"model": "fake", "input_tokens": result.usage["input_tokens"],
                      "output_tokens": result.usage["output_tokens"]}]
    cached = await resources.redis.get(prefs_key(principal.tenant_id, principal.user_id))
    assert "peanuts" in cached  # written through in the persist step


async def test_history_is_kept_per_thread(runtime, principal):
    thread = str(uuid.uuid4())
    await _turn(runtime, principal, "first message", thread)
    await _turn(runtime, principal, "second message", thread)
    state = await runtime.graph.aget_state(turn_config(thread_id=thread, tenant_id=principal.tenant_id,
                                                       user_id=principal.user_id, agent=None))
    assert [m.type for m in state.values["messages"]] == ["human", "ai", "human", "ai"]
    asked = model_history(state.values["messages"][:-1], token_budget=1200)  # what generate sent the model
    assert [m.content for m in asked][-1] == "second message" and asked[0].content == "first message"


async def test_route_explicit_and_by_rule(runtime, principal):
    thread = str(uuid.uuid4())
    assert (await _turn(runtime, principal, "hello there", thread)).agent == "assistant"
    assert (await _turn(runtime, principal, "my python script raises a KeyError", thread)).agent == "coder"
    assert (await _turn(runtime, principal, "plan a trip to Rome", thread)).agent == "planner"
    assert (await _turn(runtime, principal, "plan a trip to Rome", thread, agent="coder")).agent == "coder"


class _Broken(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(self, *args, **kwargs):
        raise RuntimeError("model down")


async def test_failed_turn_leaves_nothing_behind(runtime, principal, resources, monkeypatch):
    thread = str(uuid.uuid4())
    await _turn(runtime, principal, "I live in Lyon", thread)
    monkeypatch.setattr(resources, "chat_model", lambda spec=None, **options: _Broken())
    with pytest.raises(RuntimeError, match="model down"):
        await _turn(runtime, principal, "I live in Paris now", thread)
    monkeypatch.undo()
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    async with tenant_connection(resources.pool, principal.tenant_id) as conn:
        contents = [m["content"] for m in await list_messages(conn, **owner, thread_id=thread)]
        locations = await (await conn.execute(
            "SELECT value FROM memories WHERE tenant_id = %s AND key = 'profile.location'",
            (principal.tenant_id,))).fetchall()
    assert "I live in Paris now" not in contents
    assert [r["value"] for r in locations] == ["Lyon"]
    after = await _turn(runtime, principal, "hello again", thread)
    state = await runtime.graph.aget_state(turn_config(thread_id=thread, tenant_id=principal.tenant_id,
                                                       user_id=principal.user_id, agent=None))
    assert "I live in Paris now" not in [m.content for m in state.values["messages"]]
    assert [m.type for m in state.values["messages"]] == ["human", "ai", "human", "ai"]
    assert after.reply
