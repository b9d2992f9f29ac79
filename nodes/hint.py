"""hint: proactive reminders of what the user told us before, when relevant to this turn.

Each known preference, constraint or profile fact is scored by cosine similarity between its
sentence and the user's message, plus a boost when the message touches the fact's topic (MiniLM
scores "dinner recipe" against "allergy: peanuts" at 0.09, yet that is the reminder that matters).
Those above a floor, not just stated in this very message, are offered best first, at most three.
"""

from __future__ import annotations

import re
import uuid

import numpy as np
from langchain_core.runnables import RunnableConfig

from core.metrics import HINTS
from graphs.resources import Resources
from graphs.state import TurnState
from memory.embeddings import aembed
from memory.extract_rules import detect_language
from nodes.common import last_user_message, text_of

MAX_HINTS = 3
MIN_SCORE = 0.30
TOPIC_BOOST = 0.4

_FOOD = (r"eat|food|meal|dinner|lunch|breakfast|brunch|recipe|cook|restaurant|menu|snack|dish|"
         r"mang|repas|d[iî]ner|d[ée]jeuner|recette|cuisin|plat|resto")
# Which words in a message make a memory's topic (the key after the dot) relevant, EN and FR.
TOPIC_TRIGGERS: dict[str, re.Pattern[str]] = {
    topic: re.compile(rf"\b({words})", re.IGNORECASE)
    for topic, words in {
        "diet": _FOOD, "allergy": _FOOD, "intolerance": _FOOD, "food": _FOOD, "cooking": _FOOD,
        "drink": r"drink|coffee|tea|wine|beer|bar|boire|boisson|caf[ée]|th[ée]|vin|bi[èe]re",
        "music": r"music|song|playlist|concert|album|listen|musique|chanson|[ée]cout|artist",
        "movies": r"movie|film|cinema|watch|cin[ée]ma|regarder|s[ée]rie",
        "books": r"book|read|novel|livre|lire|roman",
        "sport": r"sport|run|gym|workout|exercise|courir|match|entra[iî]n",
        "travel": r"travel|trip|holiday|vacation|flight|voyage|vacances|vol\b",
        "location": r"where|near|nearby|local|weather|live|o[uù]\b|pr[eè]s|m[ée]t[ée]o|habite",
        "schedule": r"meeting|schedule|calendar|appointment|morning|r[ée]union|rendez|agenda|matin",
        "budget": r"budget|price|cost|expensive|cheap|afford|prix|co[uû]t|cher",
        "reply_language": r"translat|language|langue|tradu",
    }.items()
}


def relevance(similarity: float, memory: dict, text: str) -> float:
    """Cosine similarity, boosted when the message is about the memory's topic."""
    trigger = TOPIC_TRIGGERS.get(memory["key"].split(".", 1)[-1])
    return similarity + (TOPIC_BOOST if trigger and trigger.search(text) else 0.0)

TEMPLATES = {
    "en": {
        ("preference", "positive"): "You told me you like {value}.",
        ("preference", "negative"): "You told me you don't like {value}.",
        ("constraint", "positive"): "Remember your constraint: {value}.",
        ("constraint", "negative"): "Remember your constraint: no {value}.",
        ("profile", "positive"): "Your {topic}: {value}.",
        ("profile", "negative"): "Your {topic} is not {value}.",
    },
    "fr": {
        ("preference", "positive"): "Vous m'avez dit aimer {value}.",
        ("preference", "negative"): "Vous m'avez dit ne pas aimer {value}.",
        ("constraint", "positive"): "Rappel de votre contrainte : {value}.",
        ("constraint", "negative"): "Rappel de votre contrainte : pas de {value}.",
        ("profile", "positive"): "Votre {topic} : {value}.",
        ("profile", "negative"): "Votre {topic} n'est pas {value}.",
    },
}


def hint_text(memory: dict, language: str) -> str:
    template = TEMPLATES[language].get((memory["category"], memory["polarity"]), "{value}")
    return template.format(value=memory["value"], topic=memory["key"].split(".", 1)[-1].replace("_", " "))


def hint_type(memory: dict) -> str:
    return "constraint_warning" if memory["category"] == "constraint" else "preference_reminder"


async def hint(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    text = text_of(last_user_message(state["messages"]))
    just_said = {(c["key"], c["value"].lower()) for c in state.get("extracted", [])}
    candidates = [
        m for m in state.get("context_memories", []) if (m["key"], m["value"].lower()) not in just_said
    ]
    if not candidates:
        return {"hints": []}
    vectors = await aembed(res.embedder, [text] + [m["content"] for m in candidates])
    scores = [relevance(float(sim), m, text) for sim, m in zip(vectors[1:] @ vectors[0], candidates, strict=True)]
    language = detect_language(text)
    hints = []
    for i in np.argsort(scores)[::-1][:MAX_HINTS]:
        if scores[i] < MIN_SCORE:
            break
        memory = candidates[i]
        hints.append({
            "id": str(uuid.uuid4()), "type": hint_type(memory), "text": hint_text(memory, language),
            "score": round(float(scores[i]), 4), "memory_id": memory["id"],
        })
        HINTS.labels(hints[-1]["type"]).inc()
    return {"hints": hints}
