"""`bench retrieval` on a tiny LoCoMo-shaped file written here (no evaluation data in the repository):
parsing, import through the product's path, scoring against the dense baseline, the report, cleanup."""

import json
from datetime import UTC, datetime

import psycopg
import pytest

from bench.retrieval import arun, format_report, load_locomo, recall_at, session_messages

TOPICS = ["adopted a grey kitten called Miso", "ran the Lisbon half marathon", "started learning the cello",
          "repainted the kitchen yellow", "visited grandma in Porto", "lost my phone on the ferry"]


def _conversation(name: str) -> dict:
    talk = {"speaker_a": "Ana", "speaker_b": "Ben"}
    for s in (1, 2):
        talk[f"session_{s}_date_time"] = f"{s}:56 pm on {s + 7} May, 2023"
        turns = []
        for i, topic in enumerate(TOPICS):
            turns.append({"speaker": "Ana", "dia_id": f"D{s}:{2 * i + 1}", "text": f"Last week I {topic} ({s})."})
            turns.append({"speaker": "Ben", "dia_id": f"D{s}:{2 * i + 2}", "text": "Oh nice, tell me more!"})
        talk[f"session_{s}"] = turns
    qa = [{"question": "Who is Miso, the kitten Ana adopted?", "answer": "a kitten", "evidence": ["D1:1", "D2:1"],
           "category": 1},
          {"question": "When did Ana run the Lisbon half marathon?", "answer": "May", "evidence": ["D1:3; D2:3"],
           "category": 2},
          {"question": "What instrument is Ana learning, the cello?", "answer": "cello", "evidence": ["D2:5"],
           "category": 4},
          {"question": "Did Ben adopt a dragon?", "answer": "no", "evidence": [], "category": 5},
          {"question": "Broken evidence", "answer": "?", "evidence": ["D"], "category": 3}]
    return {"sample_id": name, "conversation": talk, "qa": qa}


@pytest.fixture
def locomo(tmp_path):
    path = tmp_path / "locomo_tiny.json"
    path.write_text(json.dumps([_conversation("conv-a"), _conversation("conv-b")]))
    return path


def test_parses_sessions_questions_and_evidence(locomo):
    first = load_locomo(locomo)[0]
    assert first.name == "conv-a" and first.speakers == ("Ana", "Ben")
    assert [s.date for s in first.sessions] == [datetime(2023, 5, 8, 13, 56, tzinfo=UTC),
                                                datetime(2023, 5, 9, 14, 56, tzinfo=UTC)]
    # category 5 and questions without a readable evidence id are left out; "D1:3; D2:3" is two ids
    assert [(q.category, sorted(q.evidence)) for q in first.questions] == [
        (1, ["D1:1", "D2:1"]), (2, ["D1:3", "D2:3"]), (4, ["D2:5"])]
    [message, reply] = session_messages(first, first.sessions[0])[:2]
    assert (message.role, reply.role) == ("user", "assistant")
    assert message.content == "Ana: Last week I adopted a grey kitten called Miso (1)."
    assert message.metadata == {"dia_id": "D1:1", "speaker": "Ana"} and message.created_at == first.sessions[0].date


def test_recall_is_the_share_of_evidence_in_the_top_k():
    evidence = frozenset({"D1:1", "D1:2"})
    assert recall_at(["D1:1", "D9:9", "D1:2"], evidence, 2) == 0.5
    assert recall_at(["D1:1", "D9:9", "D1:2"], evidence, 3) == 1.0
    assert recall_at([None, "D9:9"], evidence, 5) == 0.0


async def test_runs_end_to_end_and_cleans_up(locomo, resources):
    result = await arun(locomo, resources=resources, filter_users=4, filter_per_user=30)
    assert result["conversations"] == 2 and result["messages"] == 48 and result["questions"] == 6
    for side in ("hybrid", "dense"):
        assert set(result[side]) == {"recall@5", "recall@10", "recall@20"}
        assert 0 <= result[side]["recall@5"] <= result[side]["recall@10"] <= result[side]["recall@20"] <= 1
    # the cello question shares a rare word with its one evidence turn
    assert result["by_category"][4]["recall@5"] == 1.0 and result["hybrid"]["recall@20"] >= 0.8
    assert result["search_ms"]["p50"] > 0 and result["search_ms"]["p95"] >= result["search_ms"]["p50"]
    modes = result["filter"]["modes"]
    assert set(modes) == {"off", "relaxed_order", "strict_order"} and modes["relaxed_order"]["returned"] == 10
    report = format_report(result)
    for text in ("hybrid_search (product)", "dense-only exact cosine (baseline)", "recall@10", "p95",
                 "reference recall@10", "hnsw.iterative_scan=relaxed_order"):
        assert text in report
    async with await psycopg.AsyncConnection.connect(resources.admin_url) as conn:  # across tenants: the owner
        left = await (await conn.execute(
            "SELECT count(*) AS n FROM users WHERE tenant_id LIKE 'bench-locomo-%%'")).fetchone()
    assert left[0] == 0
