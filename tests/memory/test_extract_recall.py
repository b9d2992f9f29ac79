"""Tests for the rule families added for recall on unseen wording (issue 3): hedges and adverbs, subject carried
over a list ("I'm 45, divorced"), soft spots and "nothing beats", timed actions, life searches and goals,
living situation, activities, projects, diet switches, moved deadlines, tool switches, one-off tasks and quoted
sentences. Sentences are original, written for these tests (none comes from the evaluation corpus)."""

from __future__ import annotations

from datetime import datetime

import pytest

from memory.extraction import extract_memories
from memory.timeframes import find_timeframe, parse_timeframe

# (message, category, a substring the value must contain, polarity)
FOUND = [
    # hedges and adverbs
    ("I kind of like folk music, the quiet kind", "preference", "folk", "positive"),
    ("j'avoue que j'aime bien les mots croisés", "preference", "mots croisés", "positive"),
    ("I'm kinda into woodworking lately", "preference", "woodworking", "positive"),
    ("I much prefer buses to trams", "preference", "buses", "positive"),
    # soft spots, "nothing beats", "not much of a ..."
    ("J'ai un faible pour les tartes au citron", "preference", "tartes au citron", "positive"),
    ("I have a soft spot for old Westerns", "preference", "Westerns", "positive"),
    ("Rien de mieux qu'une soupe à l'oignon en hiver", "preference", "soupe", "positive"),
    ("Nothing beats a long swim in the lake", "preference", "swim", "positive"),
    ("I'm not much of a dancer", "preference", "dancer", "negative"),
    ("Je ne suis pas du soir", "preference", "soir", "negative"),
    ("La voile, c'est ma grande passion", "preference", "voile", "positive"),
    ("My go-to breakfast is porridge with honey", "preference", "porridge", "positive"),
    # subject carried over a list
    ("I'm 52, widowed, and I have a grown-up daughter.", "profile", "52", "positive"),
    ("I'm 52, widowed, and I have a grown-up daughter.", "profile", "widowed", "positive"),
    ("I live in Porto, work as a dentist and I cycle a lot.", "profile", "dentist", "positive"),
    ("je suis kiné, j'ai deux fils et on habite près de Vannes", "profile", "Vannes", "positive"),
    # plans: timed actions, subjectless plans, searches, training, "to become"
    ("On part en Bretagne en août avec les cousins", "intent", "Bretagne", "positive"),
    ("I'm driving to Cork on the 4th for a gig", "intent", "Cork", "positive"),
    ("Planning to paint the garage next month", "intent", "garage", "positive"),
    ("Gonna renew my passport on Friday", "intent", "passport", "positive"),
    ("Je cherche une coloc à Lyon pour la rentrée", "intent", "coloc", "positive"),
    ("We're looking for a new flat near the river", "intent", "flat", "positive"),
    ("I'm training for a trail race in June", "goal", "trail race", "positive"),
    ("Je suis en formation pour devenir plombière", "goal", "plombière", "positive"),
    # living situation, activities, projects, possessions in a list
    ("I share a house with three friends", "fact", "house", "positive"),
    ("Je vis en colocation avec deux étudiantes", "fact", "colocation", "positive"),
    ("I volunteer at an animal shelter", "fact", "animal shelter", "positive"),
    ("Je chante dans une chorale de quartier", "fact", "chorale", "positive"),
    ("Je nage tous les mardis à la piscine municipale", "fact", "nage", "positive"),
    ("We're restoring an old sailing boat", "fact", "sailing boat", "positive"),
    ("On a trois chats et une maison avec jardin", "fact", "maison", "positive"),
    ("Mon mari et moi on a un petit potager", "profile", "mari", "positive"),
    ("I don't drive, I take the bus everywhere", "fact", "drive", "negative"),
    ("my side project is a chess clock app in Kotlin", "fact", "Kotlin", "positive"),
    # updates: diet switch, moved deadline, budget now, job now, tool switch
    ("I switched to a vegetarian diet last spring", "constraint", "vegetarian", "positive"),
    ("Je suis devenue végane en janvier", "constraint", "végane", "positive"),
    ("They pushed the deadline to May 20th", "constraint", "May 20th", "positive"),
    ("La date limite a été repoussée au 3 juin", "constraint", "3 juin", "positive"),
    ("Le budget passe à 2500 pour le salon", "constraint", "2500", "positive"),
    ("I'm now working as a sous-chef", "profile", "sous-chef", "positive"),
    ("Je bosse maintenant comme géomètre", "profile", "géomètre", "positive"),
    ("We switched from Asana to Linear", "business", "Linear", "positive"),
    # business clients said in the first person
    ("je bosse surtout avec des cabinets d'architectes", "business", "architectes", "positive"),
    ("We sell mostly to garden centres", "business", "garden centres", "positive"),
]

# Messages that must store nothing.
NOTHING = [
    "Fais-moi une synthèse de cet article",
    "Write me a summary of this report",
    "Traduis : « je suis végétarienne et j'habite à Metz »",
    "How do you say 'I live in Oslo' in Norwegian?",
    "Si je partais en Islande en mars, il faudrait quoi comme pneus ?",
    "My sister is flying to Rome next week",
    "I volunteered once, years ago, it wasn't for me?",
    "Je fais du vélo le dimanche avec mon club, tu connais un bon parcours ?",
]


@pytest.mark.parametrize(("text", "category", "contains", "polarity"), FOUND)
def test_finds_the_memory(text: str, category: str, contains: str, polarity: str) -> None:
    found = extract_memories(text)
    hits = [m for m in found if m["category"] == category and contains.lower() in m["value"].lower()]
    assert hits, found
    assert hits[0]["polarity"] == polarity
    assert all(m["value"] in text for m in found)  # values are always written in the message


@pytest.mark.parametrize("text", NOTHING)
def test_stores_nothing(text: str) -> None:
    assert extract_memories(text) == []


def test_habits_are_not_plans() -> None:
    """A weekday in the plural or "le samedi" is a habit, not an intent with a date."""
    for text in ("I volunteer at a food bank on Saturdays", "je fais du judo le samedi matin",
                 "I've been swimming for about ten years"):
        assert not [m for m in extract_memories(text) if m["category"] == "intent"], text


def test_subject_carry_stops_at_a_new_subject() -> None:
    """"on est 150, full remote" is about the company, not the user."""
    found = extract_memories("Je suis designer dans une agence, on est 30, full remote.")
    assert not [m for m in found if m["category"] == "fact" and "remote" in m["value"]]


def test_day_of_month_is_a_timeframe() -> None:
    assert find_timeframe("i'm flying out on the 12th").group(0) == "on the 12th"
    match = find_timeframe("la livraison est prevue le 3 mars")
    assert match is not None and match.group(0) == "le 3 mars"
    assert parse_timeframe(match.group(0), datetime(2025, 1, 10), "fr") == datetime(2025, 3, 4)  # the day
