"""The extraction scorer (bench/extraction.py) on tiny hand-made items, so every figure is checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.extraction import format_report, normalise, run_messages, score_messages, select_ids

ITEMS = [
    {"id": "t-1", "lang": "fr", "text": "a", "tags": ["multi"],
     "expected": [{"category": "profile", "match": ["lyon"], "polarity": "positive"},
                  {"category": "profile", "match": ["comptable", "accountant"], "polarity": "positive"}]},
    {"id": "t-2", "lang": "en", "text": "b", "tags": ["simple"],
     "expected": [{"category": "preference", "match": ["jazz"], "polarity": "negative"}]},
    {"id": "t-3", "lang": "en", "text": "c", "tags": ["injection", "no-memory"], "expected": []},
    {"id": "t-4", "lang": "fr", "text": "d", "tags": ["pii", "no-memory"], "expected": []},
]
OUTPUT = {
    "a": [{"category": "profile", "value": "Karim, comptable à Lyon", "polarity": "positive"}],  # covers both
    "b": [{"category": "preference", "value": "Jazz", "polarity": "positive"},  # polarity disagrees
          {"category": "fact", "value": "jazz", "polarity": "positive"}],  # wrong category: false positive
    "c": [{"category": "profile", "value": "admin", "polarity": "positive"}],
    "d": [{"category": "profile", "value": "forget me", "polarity": "positive", "action": "forget"}],
}


def _fake(text: str, context: list[dict]) -> list[dict]:
    return OUTPUT[text]


def test_micro_figures_follow_the_readme() -> None:
    result = score_messages(ITEMS, _fake)
    overall = result["overall"]
    assert (overall["tp"], overall["extracted"], overall["matched"], overall["expected"]) == (2, 4, 3, 3)
    assert overall["precision"] == pytest.approx(0.5) and overall["recall"] == pytest.approx(1.0)
    assert overall["f1"] == pytest.approx(2 / 3)


def test_breakdowns_and_false_memory_rates() -> None:
    result = score_messages(ITEMS, _fake)
    assert result["by_category"]["fact"]["precision"] == 0.0
    assert result["by_category"]["profile"]["recall"] == 1.0 and result["by_category"]["profile"]["extracted"] == 2
    assert result["by_language"]["en"]["precision"] == pytest.approx(1 / 3)
    assert result["by_tag"]["multi"]["recall"] == 1.0
    assert result["false_memory"]["no-memory"] == {"rate": 0.5, "items": 1, "of": 2}
    assert result["false_memory"]["injection"]["rate"] == 1.0
    assert result["false_memory"]["pii"]["rate"] == 0.0  # a retraction is not a stored memory
    assert result["polarity_agreement"] == pytest.approx(2 / 3) and result["polarity_pairs"] == 3
    assert [d["id"] for d in result["items"] if d["spurious"]] == ["t-2", "t-3"]


def test_normalise_drops_accents_but_keeps_oe() -> None:
    assert normalise("Évian-les-Bains") == "evian-les-bains"
    assert normalise("Œuf") == "œuf"


def test_select_ids_and_run_on_a_file(tmp_path: Path) -> None:
    assert select_ids(ITEMS, "t-2..t-3,t-1") == {"t-1", "t-2", "t-3"}
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n\n", encoding="utf-8")
    result = run_messages(path, ids={"t-1"}, extract_fn=_fake)
    assert result["items_scored"] == 1 and result["overall"]["precision"] == 1.0
    report = format_report(result, "subset")
    assert "subset: 1 items" in report and "overall" in report and "no-memory" in report


def test_run_scores_the_real_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    rows = [{"id": "m-1", "lang": "en", "text": "I live in Tallinn and I love chess", "tags": ["multi"],
             "expected": [{"category": "profile", "match": ["tallinn"], "polarity": "positive"},
                          {"category": "preference", "match": ["chess"], "polarity": "positive"}]},
            {"id": "m-2", "lang": "en", "text": "What's the capital of Peru?", "tags": ["no-memory"], "expected": []}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = run_messages(path)
    assert result["overall"]["recall"] == 1.0 and result["overall"]["precision"] == 1.0
    assert result["false_memory"]["no-memory"]["rate"] == 0.0
