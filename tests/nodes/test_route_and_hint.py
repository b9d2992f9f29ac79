import pytest

from nodes.hint import APPLIED_BOOST, MAX_APPLIED, MAX_HINTS, choose_hints, conflicts, hint_text, relevance, score
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


def test_profile_hints_name_the_topic_in_the_users_language():
    city = {"category": "profile", "key": "profile.location", "value": "Paris", "polarity": "positive"}
    assert hint_text(city, "fr") == "Votre ville : Paris."
    assert hint_text(city, "en") == "Your city: Paris."
    pet = {"category": "profile", "key": "profile.pet_name", "value": "Rex", "polarity": "positive"}
    assert hint_text(pet, "fr") == "Vous m'avez dit : Rex."


@pytest.mark.parametrize(("memory", "text", "expected"), [
    (ALLERGY, "Peanut butter cookies, please", True),
    (ALLERGY, "A dinner recipe with rice", False),
    ({**ALLERGY, "key": "constraint.allergie", "value": "aux arachides"}, "un gâteau aux arachides ?", True),
    ({**ALLERGY, "key": "constraint.diet", "value": "vegetarian"}, "Give me a steak recipe", True),
    ({**ALLERGY, "key": "constraint.diet", "value": "végétarien"}, "une recette de poulet", True),
    ({**ALLERGY, "key": "constraint.diet", "value": "vegetarian"}, "A salad recipe", False),
    ({**ALLERGY, "key": "constraint.budget", "value": "under 50 euros"}, "under the sea", False),
    ({**ALLERGY, "key": "preference.food", "category": "preference"}, "peanuts!", False),
])
def test_a_request_conflicts_with_a_constraint(memory, text, expected):
    assert conflicts(memory, text) is expected


def test_applied_feedback_raises_the_score_up_to_a_cap():
    jazz = {"category": "preference", "key": "preference.music", "value": "jazz", "polarity": "positive",
            "similarity": 0.2}
    scores = [score({**jazz, "applied": n}, "hello") for n in range(MAX_APPLIED + 2)]
    assert scores[1] == pytest.approx(scores[0] + APPLIED_BOOST)
    assert scores[MAX_APPLIED] == scores[MAX_APPLIED + 1] > scores[0]


def test_intent_follow_up_text_in_both_languages():
    intent = {"category": "intent", "key": "intent.travel", "value": "book the flight", "polarity": "positive"}
    assert hint_text(intent, "en") == "You said you would book the flight: did you?"
    assert hint_text({**intent, "value": "réserver le vol"}, "fr") == (
        "Vous aviez dit que vous alliez réserver le vol : c'est fait ?")
    assert hint_text(ALLERGY, "en", conflict=True) == "Careful, this may go against your constraint: peanuts."


def test_choose_hints_caps_and_skips_what_the_message_states():
    memories = [{"id": str(i), "category": "preference", "key": "preference.music", "value": f"band {i}",
                 "polarity": "positive", "similarity": 0.5 + i / 100, "applied": 0} for i in range(6)]
    hints = choose_hints(memories, "music tonight?", {("preference.music", "band 5")})
    assert [h["memory_id"] for h in hints] == ["4", "3", "2"] and len(hints) == MAX_HINTS
    assert choose_hints([{**memories[0], "similarity": -0.5}], "hello", set()) == []
