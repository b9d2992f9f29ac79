import time
from functools import reduce
from operator import add

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langgraph.graph import START, MessagesState, StateGraph

from models.fake import MEMORY_HEADER, FakeChatModel, count_tokens

FACTS = ["Lives in Lisbon", "Has a dog named Miso", "Likes tea"]
SYSTEM = SystemMessage(
    "\n".join(["You are a helpful assistant.", "", MEMORY_HEADER, *(f"- {f}" for f in FACTS)])
)
MESSAGES = [SYSTEM, HumanMessage("Hi! Can you suggest a weekend plan for me?")]


def test_same_messages_same_reply_and_usage():
    first = FakeChatModel().invoke(MESSAGES)
    second = FakeChatModel().invoke(list(MESSAGES))
    assert first.content == second.content
    assert first.usage_metadata == second.usage_metadata
    assert FakeChatModel().invoke([HumanMessage("Something else")]).content != first.content


def test_reply_acknowledges_and_mentions_at_most_two_facts():
    reply = FakeChatModel().invoke(MESSAGES).text
    assert reply.startswith('You said: "Hi! Can you suggest a weekend plan for me?".')
    assert "I remember: Lives in Lisbon; Has a dog named Miso." in reply
    assert "Likes tea" not in reply


def test_no_memory_block_no_remembering():
    reply = FakeChatModel().invoke([SystemMessage("Be brief."), HumanMessage("Hello")]).text
    assert "I remember" not in reply


def test_usage_and_metadata_on_invoke():
    message = FakeChatModel().invoke(MESSAGES)
    usage = message.usage_metadata
    assert usage["input_tokens"] == sum(count_tokens(m.text) for m in MESSAGES) > 0
    assert usage["output_tokens"] == count_tokens(message.text) > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert message.response_metadata["model_name"] == "fake"


def test_count_tokens_splits_words_and_punctuation():
    assert count_tokens("Hi, I'm Ana!") == 7  # Hi , I ' m Ana !


def test_stream_concatenates_to_invoke_with_usage_on_last_chunk_only():
    model = FakeChatModel()
    reply = model.invoke(MESSAGES)
    chunks = list(model.stream(MESSAGES))
    assert len(chunks) > 3
    assert "".join(c.text for c in chunks) == reply.text
    assert [c.usage_metadata is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    merged = reduce(add, chunks)
    assert merged.usage_metadata == reply.usage_metadata
    assert merged.response_metadata["model_name"] == "fake"


async def test_astream_matches_invoke():
    model = FakeChatModel()
    reply = await model.ainvoke(MESSAGES)
    chunks = [chunk async for chunk in model.astream(MESSAGES)]
    merged = reduce(add, chunks)
    assert merged.text == reply.text
    assert merged.usage_metadata == reply.usage_metadata


async def test_latency_is_per_streamed_piece():
    model = FakeChatModel(latency_s=0.005)
    start = time.perf_counter()
    chunks = [chunk async for chunk in model.astream(MESSAGES)]
    streamed = time.perf_counter() - start
    start = time.perf_counter()
    await model.ainvoke(MESSAGES)
    invoked = time.perf_counter() - start
    assert streamed >= 0.005 * len(chunks)
    assert invoked >= 0.005 * len(chunks)


def test_streams_tokens_inside_a_langgraph_graph():
    model = FakeChatModel()

    def reply(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node("reply", reply).add_edge(START, "reply").compile()
    tokens = [
        chunk
        for chunk, _meta in graph.stream({"messages": MESSAGES}, stream_mode="messages")
        if isinstance(chunk, AIMessageChunk)
    ]
    assert len(tokens) > 3
    final = graph.invoke({"messages": MESSAGES})["messages"][-1]
    assert isinstance(final, AIMessage)
    assert "".join(t.text for t in tokens) == final.text
    assert reduce(add, tokens).usage_metadata == final.usage_metadata
