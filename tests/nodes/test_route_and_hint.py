import pytest

from nodes.hint import hint_text, relevance
from nodes.route import choose_agent


@pytest.mark.parametrize(("text", "agent"), [
    ("hello, how are you?", "assistant"),
    ("Why does my Python function raise a KeyError?", "coder"),
    ("j'ai une erreur de compilation", "coder"),
    ("Plan a weekend trip to Rome", "planner"),
    ("Une recette pour ce soir ?", "planner"),
])
def test_rules_pick_an_agent(text, agent):
    assert choose_agent(text, None)[0] == agent


def test_explicit_request_wins_and_unknown_is_refused():
    assert choose_agent("plan a trip", "coder") == ("coder", "explicit")
    with pytest.raises(ValueError, match="unknown agent"):
        choose_agent("hi", "nobody")


ALLERGY = {"category": "constraint", "key": "constraint.allergy", "value": "peanuts", "polarity": "positive"}


def test_topic_words_make_a_memory_relevant_in_both_languages():
    assert relevance(0.1, ALLERGY, "Suggest a dinner recipe") == pytest.approx(0.5)
    assert relevance(0.1, ALLERGY, "Une idée de recette ?") == pytest.approx(0.5)
    assert relevance(0.1, ALLERGY, "What's the capital of Peru?") == pytest.approx(0.1)


def test_hint_text_follows_the_users_language_and_polarity():
    assert hint_text(ALLERGY, "en") == "Remember your constraint: peanuts."
    jazz = {"category": "preference", "key": "preference.music", "value": "jazz", "polarity": "negative"}
    assert hint_text(jazz, "fr") == "Vous m'avez dit ne pas aimer jazz."
