"""The learned extraction stage: clauses, the value grammar, features, training and the artifact."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from memory.extract_rules import Candidate
from memory.extraction import extract_memories
from memory.learned.clauses import clauses
from memory.learned.extract import review
from memory.learned.features import ngram_features
from memory.learned.grammar import clause_value
from memory.learned.model import ARTIFACT, ClauseModel, load_model
from memory.learned.train import examples, fit


class HashEmbedder:
    """Deterministic stand-in for MiniLM: a unit vector seeded by the text (enough to test the plumbing)."""

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=384) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows], dtype=np.float32)


@pytest.mark.parametrize(("text", "expected"), [
    ("I live in Oslo, and I love hiking.", ["I live in Oslo", "I love hiking."]),
    ("jazz, rock and blues are my thing", ["jazz, rock and blues are my thing"]),
    ("J'habite à Lyon; je bosse à Villeurbanne. Tu connais ?", ["J'habite à Lyon", "je bosse à Villeurbanne.",
                                                                "Tu connais ?"]),
])
def test_clauses_cut_at_a_new_subject_not_inside_a_list(text, expected):
    assert [text[c.start:c.end] for c in clauses(text)] == expected
    assert [c.question for c in clauses(text)][-1] == text.endswith("?")


@pytest.mark.parametrize(("clause", "category", "expected"), [
    ("I live in Oslo", "profile", ("Oslo", "positive")),
    ("jai pas de voiture", "fact", ("voiture", "negative")),
    ("je ne supporte plus le café", "preference", ("café", "negative")),
    ("I'm vegan", "constraint", ("vegan", "positive")),
    ("I can't have gluten", "constraint", ("gluten", "positive")),  # a constraint is the rule itself
    ("btw I've got two cats because I love them", "fact", ("two cats", "positive")),
    ("my name is <b>Bob</b>", "profile", None),
    ("my name is Bob", "profile", ("Bob", "positive")),
    ("My sister is flying to Rome next week", "intent", None),  # someone else's plan
    ("il habite à Oslo", "profile", None),
])
def test_clause_value_keeps_what_the_clause_says_about_the_user(clause, category, expected):
    assert clause_value(clause, 0, len(clause), category) == expected


def test_ngram_features_survive_missing_accents_and_are_stable():
    a, b, c = ngram_features(["je préfère le thé", "je prefere le the", "I drive a truck"])
    assert a @ b == pytest.approx(1.0) and a @ c < 0.2
    assert np.array_equal(ngram_features(["je préfère le thé"])[0], a)


ITEMS = [
    {"text": f"I have a {pet}", "expected": [{"category": "fact", "key": "pet", "match": [pet]}]}
    for pet in ("dog", "cat", "parrot", "rabbit", "hamster", "turtle", "horse", "goat", "snake", "lizard")
] + [
    {"text": f"what is a {thing}?", "expected": []}
    for thing in ("dog", "cat", "parrot", "rabbit", "hamster", "turtle", "horse", "goat", "snake", "lizard")
]


def _fitted(seed: int = 0) -> ClauseModel:
    found = examples(ITEMS)
    from memory.learned.features import clause_features

    return fit(clause_features(HashEmbedder(), [e.text for e in found]), found, seed=seed, epochs=300, threshold=0.5)


def test_training_is_reproducible_and_round_trips(tmp_path):
    first, again = _fitted(), _fitted()
    assert np.array_equal(first.category_weights, again.category_weights)
    assert first.keys == ("fact.pet",)
    first.save(tmp_path / "m.npz")
    loaded = ClauseModel.load(tmp_path / "m.npz")
    assert loaded.keys == first.keys
    assert np.allclose(loaded.category_weights, first.category_weights, atol=1e-3)  # stored as float16


def test_review_adds_what_the_rules_missed_and_never_a_question():
    model = _fitted()
    found = review("I have a ferret. What is a llama?", [], model, HashEmbedder())
    assert [(c.category, c.key, c.value) for c in found] == [("fact", "fact.pet", "ferret")]
    rule = Candidate("profile", "profile.name", "Ana", "positive", 0.9, "en", "I have a ferret")
    assert review("I have a ferret.", [rule], model, HashEmbedder()) == [rule]  # the rules explained that clause


def test_the_bundled_artifact_loads_and_extraction_can_run_without_it():
    model = load_model()
    assert model is not None and ARTIFACT.exists()
    assert model.category_weights.shape[1] == 7 and model.metadata["messages"] > 1000
    assert "locked" not in " ".join(model.metadata["trained_on"])
    text = "Je suis allergique aux arachides."
    assert {m["value"] for m in extract_memories(text, learned=None)} <= {m["value"] for m in extract_memories(text)}
