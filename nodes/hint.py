"""hint: proactive reminders of what the user told us before, when relevant to this turn.

Each known preference, constraint or profile fact is scored by cosine similarity between its
sentence and the user's message; those above a floor, not just stated in this very message, are
offered best first, at most three.
"""

from __future__ import annotations

import uuid

import numpy as np
from langchain_core.runnables import RunnableConfig
from memory.extract_rules import detect_language

from core.metrics import HINTS
from graphs.resources import Resources
from graphs.state import TurnState
from memory.embeddings import aembed
from nodes.common import last_user_message, text_of

MAX_HINTS = 3
MIN_SCORE = 0.30

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
    scores = vectors[1:] @ vectors[0]
    language = detect_language(text)
    hints = []
    for i in np.argsort(-scores)[:MAX_HINTS]:
        if scores[i] < MIN_SCORE:
            break
        memory = candidates[i]
        hints.append({
            "id": str(uuid.uuid4()), "type": hint_type(memory), "text": hint_text(memory, language),
            "score": round(float(scores[i]), 4), "memory_id": memory["id"],
        })
        HINTS.labels(hints[-1]["type"]).inc()
    return {"hints": hints}
