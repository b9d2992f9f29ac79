"""The sequences benchmark plays turns through the real graph and scores the memories left at the end."""

import json

from bench.sequences import run_sequences, score_sequence


def test_scoring_counts_found_absent_and_duplicates():
    item = {"id": "s", "final_memories": [{"category": "profile", "value": "Oslo", "match": ["oslo"]}],
            "must_not_contain": [{"category": "profile", "match": ["bergen"]}], "tags": ["move"]}
    moved = score_sequence(item, [{"category": "profile", "value": "Oslo"}])
    assert (moved["found"], moved["absent"], moved["exactly_once"]) == (1, 1, 1)
    stale = score_sequence(item, [{"category": "profile", "value": "Bergen"}, {"category": "fact", "value": "Oslo"}])
    assert (stale["found"], stale["absent"]) == (0, 0)


async def test_a_move_played_as_turns_leaves_only_the_new_city(resources, tmp_path):
    path = tmp_path / "seq.jsonl"
    path.write_text(json.dumps({
        "id": "t-1", "lang": "en", "tags": ["move"],
        "turns": ["I live in Bergen.", "what's a good rain jacket?", "I moved to Tromso!"],
        "final_memories": [{"category": "profile", "value": "Tromso", "match": ["tromso"]}],
        "must_not_contain": [{"category": "profile", "match": ["bergen"]}],
    }) + "\n")
    result = await run_sequences(resources, path)
    assert result["sequences"] == 1
    assert result["final_recall"] == 1.0 and result["must_not_score"] == 1.0, result["items"]
