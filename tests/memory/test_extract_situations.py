"""Tests for the search rules added to the extractor: business, plans, situation, style, limits, retractions,
identifiers and short answers (memory/extract_rules/*.py). Sentences are original, written for these tests."""

from __future__ import annotations

import time

import pytest

from memory.extract_rules import Candidate, extract

# (message, category, key prefix, a substring the value must contain, polarity)
FOUND = [
    # business
    ("On est un petit studio de jeux vidéo, 9 personnes, tous à Rennes.", "business", "business.company", "studio",
     "positive"),
    ("We're a 40-person logistics firm based near Antwerp", "business", "business.company", "logistics", "positive"),
    ("Notre cabinet compte une trentaine de clients réguliers.", "business", "business.size", "trentaine",
     "positive"),
    ("I run a tiny bike repair shop in Ghent", "business", "business.company", "bike repair shop", "positive"),
    ("Chez nous on bosse tous sur Trello et Figma.", "business", "business.tools", "Trello", "positive"),
    ("Our payroll goes through Gusto", "business", "business.tools", "Gusto", "positive"),
    ("it's just me and one part-time accountant", "business", "business.size", "accountant", "positive"),
    # plans
    ("I'll renew my car insurance next week", "intent", "intent.plan", "insurance", "positive"),
    ("demain je passe à la banque pour le prêt", "intent", "intent.plan", "banque", "positive"),
    ("Je vais appeler le plombier jeudi", "intent", "intent.plan", "plombier", "positive"),
    ("My main goal is to run a 10k without stopping", "goal", "goal.objective", "10k", "positive"),
    ("D'ici 2030 j'aimerais ouvrir un gîte en Ardèche", "goal", "goal.objective", "gîte", "positive"),
    ("Je dois rendre le dossier de subvention avant mardi", "constraint", "constraint.deadline", "subvention",
     "positive"),
    # situation
    ("je n'ai pas de permis, je circule à vélo", "fact", "fact.possession", "permis", "negative"),
    ("I've got two rescue cats", "fact", "fact.possession", "cats", "positive"),
    ("I'm learning Portuguese with an evening class", "fact", "fact.learning", "Portuguese", "positive"),
    ("j'ai trois enfants", "profile", "profile.family", "enfants", "positive"),
    ("no kids for me, just a very spoiled parrot", "profile", "profile.family", "kids", "negative"),
    ("je suis divorcée", "profile", "profile.family", "divorcée", "positive"),
    ("I'm partially colour blind", "constraint", "constraint.health", "colour blind", "positive"),
    ("I can't kneel since the knee operation", "constraint", "constraint.ability", "kneel", "positive"),
    ("je suis en full remote depuis le covid", "fact", "fact.work_mode", "remote", "positive"),
    # style and limits
    ("Please don't use tables with me, they break on my screen", "preference", "preference.style", "tables",
     "negative"),
    ("Use the 24-hour clock with me", "preference", "preference.style", "24-hour clock", "positive"),
    ("keep replies brief, I'm usually on the bus", "preference", "preference.reply_style", "brief", "positive"),
    ("tu peux me tutoyer", "preference", "preference.address", "tutoyer", "positive"),
    ("les visios de plus d'une heure c'est non pour moi", "preference", "preference.dislike", "visios",
     "negative"),
    ("The renovation budget is capped at 8k", "constraint", "constraint.budget", "8k", "positive"),
    ("Pour les livraisons : jamais après 18h", "constraint", "constraint.schedule", "18h", "positive"),
]

NOTHING = [
    "Oh great, another Monday, I just love traffic jams 🙄",
    "My neighbour runs a bakery in Dijon",
    "If we were a bigger company, would we need an HR tool?",
    "I have a quick question about Excel",
    "Est-ce que tu utilises Notion ?",
    "Appelle le plombier à ma place",
]


def _has(cands: list[Candidate], category: str, key: str, value: str, polarity: str) -> bool:
    return any(c.category == category and c.key.startswith(key) and value.lower() in c.value.lower()
               and c.polarity == polarity for c in cands)


@pytest.mark.parametrize(("text", "category", "key", "value", "polarity"), FOUND)
def test_finds(text: str, category: str, key: str, value: str, polarity: str) -> None:
    cands = extract(text)
    assert _has(cands, category, key, value, polarity), cands
    for c in cands:
        assert c.value in text and c.span in text and c.action == "add"


@pytest.mark.parametrize("text", NOTHING)
def test_stores_nothing(text: str) -> None:
    assert extract(text) == []


def test_intent_carries_its_timeframe() -> None:
    (cand,) = extract("I'll send the invoice to the landlord next Tuesday")
    assert cand.category == "intent" and cand.timeframe == "next Tuesday"


def test_goal_versus_intent_by_horizon() -> None:
    assert extract("I want to get my pilot licence by 2029")[0].category == "goal"
    assert extract("I want to repaint the kitchen this weekend")[0].category == "intent"


def test_temporary_location_is_a_fact_with_a_duration() -> None:
    cands = extract("Cette semaine je suis à Porto pour un salon.")
    assert [(c.category, c.key, c.value, c.duration) for c in cands] == [
        ("fact", "fact.temporary_location", "Porto", "Cette semaine")]
    cands = extract("I'm in Nairobi for three weeks")
    assert [(c.key, c.value, c.duration) for c in cands] == [("fact.temporary_location", "Nairobi", "for three weeks")]
    assert not [c for c in cands if c.category == "profile"]


def test_temporary_stay_never_becomes_the_city() -> None:
    cands = extract("I'm living in Lisbon this month")
    assert [(c.key, c.value, c.duration) for c in cands] == [("fact.temporary_location", "Lisbon", "this month")]


def test_lasting_city_stays_profile() -> None:
    assert [(c.key, c.value) for c in extract("I live in Porto")] == [("profile.location", "Porto")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Forget what I told you about my brother's wedding", "my brother's wedding"),
        ("oublie ce que je t'ai dit sur mon ancien boulot", "mon ancien boulot"),
        ("please don't remember the sailing thing", "the sailing thing"),
        ("Efface mon adresse de Nancy stp", "mon adresse de Nancy"),
        ("ne retiens pas que je suis végétarien", "que je suis végétarien"),
    ],
)
def test_retractions_are_forget_actions(text: str, value: str) -> None:
    (cand,) = extract(text)
    assert cand.action == "forget" and value.endswith(cand.value) and cand.value in text


def test_forget_guesses_the_category_of_what_it_names() -> None:
    (cand,) = extract("Forget that I'm allergic to kiwis")
    assert (cand.action, cand.category) == ("forget", "constraint")


def test_dont_forget_is_not_a_retraction() -> None:
    kept = extract("Don't forget that I'm allergic to kiwis")
    assert kept and all(c.action == "add" for c in kept)
    assert all(c.action == "add" for c in extract("j'oublie toujours mes clés"))


def test_identifiers_only_on_explicit_request() -> None:
    assert extract("mon IBAN c'est FR76 3000 6000 0112 3456 7890 189, tu peux vérifier le format ?") == []
    assert extract("Call me on +44 7700 900123 if the build breaks") == []
    (cand,) = extract("Remember my work phone, it's 07700 900 456")
    assert (cand.category, cand.key, cand.value) == ("profile", "profile.phone", "07700 900 456")


def test_short_answer_read_with_the_question() -> None:
    ctx = [{"role": "assistant", "content": "In which city do you live these days?"}]
    assert [(c.key, c.value) for c in extract("Tallinn", ctx)] == [("profile.location", "Tallinn")]
    ctx = [{"role": "assistant", "content": "Quel outil de compta utilisez-vous ?"}]
    assert [(c.key, c.value) for c in extract("Tiime, depuis deux ans", ctx)] == [("business.tools", "Tiime")]
    ctx = [{"role": "assistant", "content": "Tu veux que je continue à mettre des titres en gras ?"}]
    (cand,) = extract("oui toujours", ctx)
    assert cand.category == "preference" and "titres en gras" in cand.value
    ctx = [{"role": "assistant", "content": "Do you want me to remember this number?"}]
    assert extract("no, just for today", ctx) == []


def test_search_rules_stay_fast_on_long_messages() -> None:
    text = ("On est une agence de 12 personnes et on utilise Notion, " * 40)[:3900]
    start = time.perf_counter()
    extract(text)
    extract("we're" + " " * 3000 + "x")
    assert time.perf_counter() - start < 1.0
