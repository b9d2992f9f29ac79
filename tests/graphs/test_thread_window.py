"""A long thread's checkpoint holds a bounded window, what left it is in the running summary the model
is shown, and the messages table keeps every turn (real PostgreSQL and checkpointer, fake model)."""

from __future__ import annotations

import uuid

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, SystemMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from graphs.runner import run_turn
from graphs.turn import build_turn_graph
from memory.db import tenant_connection
from nodes.generate import prompt_messages
from nodes.prompts import ASSISTANT_PROMPT, SUMMARY_HEADER
from nodes.thread_summary import GIST_CHARS, SUMMARY_CHARS, dropped_messages, fold, gist

WINDOW = 4
TOPICS = ("sailing", "violin lessons", "a trip to Oslo", "my sister's wedding", "learning Rust", "the garden",
          "a new bike", "the marathon")


def _graph(runtime, window: int = WINDOW):
    res = runtime.resources.with_settings(thread_window_messages=window)
    return build_turn_graph(res).compile(checkpointer=runtime.resources.checkpointer, name="window-test")


async def test_a_long_thread_keeps_a_window_and_summarizes_what_left_it(runtime, principal):
    graph, thread_id = _graph(runtime), str(uuid.uuid4())
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    texts = [f"Let us talk about {topic}. It matters to me a lot." for topic in TOPICS]
    for text in texts:
        await run_turn(graph, message=text, thread_id=thread_id, **owner)

    state = (await graph.aget_state({"configurable": {"thread_id": thread_id}})).values
    assert len(state["messages"]) == WINDOW + 2  # the window read by the last turn, plus that turn
    assert [m.content for m in state["messages"] if isinstance(m, HumanMessage)] == texts[-3:]
    # every user message that left the window is in the summary, in order, and the window's are not
    summary_lines = state["summary"].splitlines()
    assert summary_lines == [f"- Let us talk about {topic}." for topic in TOPICS[:-3]]
    system = prompt_messages(state, ASSISTANT_PROMPT, token_budget=1200)[0]
    assert isinstance(system, SystemMessage) and f"{SUMMARY_HEADER}\n{state['summary']}" in system.content

    async with tenant_connection(runtime.resources.pool, principal.tenant_id) as conn:
        stored = await (await conn.execute("SELECT count(*) AS n FROM messages WHERE thread_id = %s",
                                           (thread_id,))).fetchone()
    assert stored["n"] == 2 * len(TOPICS)  # the table keeps the whole thread


async def test_a_rewritten_checkpoint_rebuilds_the_summary_from_the_table(runtime, principal):
    graph, thread_id = _graph(runtime), str(uuid.uuid4())
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    for topic in TOPICS[:5]:
        await run_turn(graph, message=f"About {topic}. More later.", thread_id=thread_id, **owner)
    config = {"configurable": {"thread_id": thread_id}}
    # no checkpoint of the thread's stored turns (as after turns stored but never checkpointed)
    async with runtime.resources.pool.connection() as conn:
        await conn.execute("DELETE FROM checkpoints WHERE thread_id = %s", (thread_id,))
    await run_turn(graph, message=f"About {TOPICS[5]}. More later.", thread_id=thread_id, **owner)
    state = (await graph.aget_state(config)).values
    assert state["summary"].splitlines() == [f"- About {topic}." for topic in TOPICS[:3]]


def test_gists_and_the_summary_are_bounded():
    assert gist("First sentence here. Second one.") == "First sentence here."
    assert len(gist("word " * 200)) == GIST_CHARS
    long = fold("", [f"Message number {i} with some words to fill the line." for i in range(200)])
    assert len(long) <= SUMMARY_CHARS and long.splitlines()[-1].startswith("- Message number 199")
    assert fold("- kept", ["  "]) == "- kept"


def test_a_rewrite_asks_for_a_rebuild_and_removals_name_their_messages():
    earlier = [HumanMessage("a", id="1"), AIMessage("b", id="2"), HumanMessage("c", id="3")]
    assert dropped_messages([RemoveMessage(id="1"), RemoveMessage(id="2")], earlier) == earlier[:2]
    assert dropped_messages([RemoveMessage(id=REMOVE_ALL_MESSAGES), *earlier], earlier) is None


async def test_the_checkpoint_keeps_no_copy_of_the_history_and_unchanged_memories_once(runtime, principal):
    graph, thread_id = _graph(runtime), str(uuid.uuid4())
    owner = {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
    await run_turn(graph, message="I live in Lyon and I love jazz.", thread_id=thread_id, **owner)
    for text in ("What time is it?", "Tell me a joke.", "Another one, please."):  # nothing to learn
        await run_turn(graph, message=text, thread_id=thread_id, **owner)
    async with tenant_connection(runtime.resources.pool, principal.tenant_id) as conn:
        rows = await (await conn.execute(
            "SELECT channel, count(*) AS n FROM checkpoint_blobs WHERE thread_id = %s GROUP BY channel",
            (thread_id,))).fetchall()
    versions = {r["channel"]: r["n"] for r in rows}
    assert "history" not in versions
    assert versions["messages"] >= 4 and versions["context_memories"] <= 2  # written when it changed only
    state = (await graph.aget_state({"configurable": {"thread_id": thread_id}})).values
    assert {m["value"] for m in state["context_memories"]} >= {"Lyon"}
