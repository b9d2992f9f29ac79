"""hint: proactive hints about what the user told us before, when relevant to this turn; sent after
the answer (the API streams them after the tokens).

Three kinds: a preference reminder (a preference or profile fact), an intent follow-up (an intent
whose `due_at` has passed: "You said you would book the flight: did you?") and a constraint warning
(a constraint, worded as a warning when the request conflicts with it: a steak recipe for a
vegetarian, peanut cookies for a peanut allergy). Candidates and the user's past feedback come from
one query (`memory.hints.hint_candidates`).

Scoring, per candidate: cosine similarity between the memory's stored embedding and the message,
+ TOPIC_BOOST when the message touches the memory's topic (MiniLM scores "dinner recipe" against
"allergy: peanuts" at 0.09, yet that is the reminder that matters), + CONFLICT_BOOST when the request
conflicts with a constraint, + DUE_BOOST for a due intent (its time, not its topic, makes it relevant).
Those above MIN_SCORE, not just stated in this very message, are offered best first, at most three.

Feedback changes future scoring (POST /v1/hints/{id}/feedback):
- applied: + APPLIED_BOOST for each applied hint about the memory (up to MAX_APPLIED of them), so a
  reminder the user acted on comes first next time;
- dismissed: the memory is no longer hinted at all (until it is restated or corrected: a new row);
- snoozed: the memory is not hinted until `snooze_seconds` have passed, then scores as before;
- and a memory hinted in this thread less than REPEAT_AFTER_SECONDS ago is not hinted again there.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from langchain_core.runnables import RunnableConfig

from core.metrics import HINTS
from graphs.context import TurnContext
from graphs.resources import Resources
from graphs.state import TurnState
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.extract_rules import detect_language
from memory.hints import hint_candidates
from nodes.common import last_user_message, text_of

MAX_HINTS = 3
MIN_SCORE = 0.30
TOPIC_BOOST = 0.4
CONFLICT_BOOST = 0.5
DUE_BOOST = 0.35
APPLIED_BOOST = 0.1
MAX_APPLIED = 3
REPEAT_AFTER_SECONDS = 1800

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


_MEAT = (r"meat|steak|beef|pork|ham\b|bacon|chicken|lamb|veal|sausage|burger|fish|salmon|tuna|shrimp|"
         r"viande|b[oœ]uf|porc|jambon|poulet|agneau|veau|saucisse|poisson|saumon|thon|crevette")
# Constraint values (diets) and the words of a request that go against them, EN and FR.
DIET_CONFLICTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(diet, re.IGNORECASE), re.compile(rf"\b({foods})", re.IGNORECASE))
    for diet, foods in (
        (r"vegetarian|v[ée]g[ée]tarien", _MEAT),
        (r"vegan|v[ée]g[ée]talien", _MEAT + r"|egg|milk|cheese|butter|honey|[oœ]euf|lait|fromage|beurre|miel"),
        (r"gluten", r"bread|pasta|pizza|wheat|flour|beer|pain|p[âa]tes|bl[ée]|farine|bi[èe]re"),
        (r"lactose|dairy|laitier", r"milk|cheese|cream|butter|yogh?urt|lait|fromage|cr[èe]me|beurre|yaourt"),
        (r"halal|kosher|casher", r"pork|ham\b|bacon|porc|jambon|lardon"),
    )
)
# Constraint topics whose value is something to avoid even when stated positively ("allergy: peanuts").
AVOID_TOPICS = frozenset({"allergy", "intolerance", "allergie", "intolérance"})
MIN_STEM = 4


def relevance(similarity: float, memory: dict, text: str) -> float:
    """Cosine similarity, boosted when the message is about the memory's topic."""
    trigger = TOPIC_TRIGGERS.get(memory["key"].split(".", 1)[-1])
    return similarity + (TOPIC_BOOST if trigger and trigger.search(text) else 0.0)


def conflicts(memory: dict, text: str) -> bool:
    """Whether the message asks for something a constraint rules out: food against a diet, or the
    avoided thing itself (an allergen, a "no X" constraint), matched on word stems."""
    if memory["category"] != "constraint":
        return False
    value = memory["value"]
    if any(diet.search(value) and foods.search(text) for diet, foods in DIET_CONFLICTS):
        return True
    if memory["polarity"] != "negative" and memory["key"].split(".", 1)[-1] not in AVOID_TOPICS:
        return False
    stems = [w[:max(MIN_STEM, len(w) - 2)] for w in re.findall(r"\w+", value.lower()) if len(w) >= MIN_STEM]
    return any(re.search(rf"\b{re.escape(stem)}", text, re.IGNORECASE) for stem in stems)


def score(memory: dict, text: str) -> float:
    """How worth showing a candidate from `memory.hints.hint_candidates` is for this message."""
    total = relevance(memory["similarity"], memory, text)
    if conflicts(memory, text):
        total += CONFLICT_BOOST
    if memory["category"] == "intent":
        total += DUE_BOOST
    return total + APPLIED_BOOST * min(memory["applied"], MAX_APPLIED)


TEMPLATES = {
    "en": {
        ("preference", "positive"): "You told me you like {value}.",
        ("preference", "negative"): "You told me you don't like {value}.",
        ("constraint", "positive"): "Remember your constraint: {value}.",
        ("constraint", "negative"): "Remember your constraint: no {value}.",
        ("conflict", "positive"): "Careful, this may go against your constraint: {value}.",
        ("conflict", "negative"): "Careful, this may go against your constraint: no {value}.",
        ("intent", "positive"): "You said you would {value}: did you?",
        ("intent", "negative"): "You said you would not {value}: is that still the plan?",
        ("profile", "positive"): "Your {topic}: {value}.",
        ("profile", "negative"): "Your {topic} is not {value}.",
    },
    "fr": {
        ("preference", "positive"): "Vous m'avez dit aimer {value}.",
        ("preference", "negative"): "Vous m'avez dit ne pas aimer {value}.",
        ("constraint", "positive"): "Rappel de votre contrainte : {value}.",
        ("constraint", "negative"): "Rappel de votre contrainte : pas de {value}.",
        ("conflict", "positive"): "Attention, cela va peut-être contre votre contrainte : {value}.",
        ("conflict", "negative"): "Attention, cela va peut-être contre votre contrainte : pas de {value}.",
        ("intent", "positive"): "Vous aviez dit que vous alliez {value} : c'est fait ?",
        ("intent", "negative"): "Vous aviez dit que vous n'alliez pas {value} : toujours d'actualité ?",
        ("profile", "positive"): "Votre {topic} : {value}.",
        ("profile", "negative"): "Votre {topic} n'est pas {value}.",
    },
}


# How a profile topic (the key after the dot) reads in a hint; a topic without a name in the hint's
# language gets the topic-free wording, so a French hint never says "location".
TOPIC_NAMES = {
    "en": {"location": "city", "origin": "origin", "name": "name", "age": "age", "occupation": "job",
           "employer": "employer", "nationality": "nationality", "languages": "languages", "family": "family",
           "education": "education", "pronouns": "pronouns"},
    "fr": {"location": "ville", "origin": "origine", "name": "prénom", "age": "âge", "occupation": "métier",
           "employer": "employeur", "nationality": "nationalité", "languages": "langues", "family": "famille",
           "education": "formation", "pronouns": "pronoms"},
}
TOPIC_FREE = {"en": "You told me: {value}.", "fr": "Vous m'avez dit : {value}."}


def hint_text(memory: dict, language: str, conflict: bool = False) -> str:
    """The hint in the user's language (the language of this turn's message)."""
    kind = "conflict" if conflict else memory["category"]
    template = TEMPLATES[language].get((kind, memory["polarity"]), "{value}")
    topic = TOPIC_NAMES[language].get(memory["key"].split(".", 1)[-1])
    if "{topic}" in template and topic is None:
        template = TOPIC_FREE[language]
    return template.format(value=memory["value"], topic=topic)


def hint_type(memory: dict) -> str:
    return {"constraint": "constraint_warning", "intent": "intent_followup"}.get(
        memory["category"], "preference_reminder")


def choose_hints(candidates: list[dict[str, Any]], text: str, just_said: set[tuple[str, str]]) -> list[dict]:
    """At most MAX_HINTS hints above MIN_SCORE, best first; none about what the message itself states."""
    language = detect_language(text)
    scored = sorted(
        ((score(m, text), m) for m in candidates if (m["key"], m["value"].lower()) not in just_said),
        key=lambda pair: pair[0], reverse=True,
    )
    hints = []
    for value, memory in scored[:MAX_HINTS]:
        if value < MIN_SCORE:
            break
        hints.append({
            "id": str(uuid.uuid4()), "type": hint_type(memory),
            "text": hint_text(memory, language, conflicts(memory, text)),
            "score": round(value, 4), "memory_id": str(memory["id"]),
        })
    return hints


async def hint(state: TurnState, config: RunnableConfig, res: Resources) -> dict:
    ctx = TurnContext.from_config(config)
    text = text_of(last_user_message(state["messages"]))
    just_said = {(c["key"], c["value"].lower()) for c in state.get("extracted", [])}
    [vector] = await aembed(res.embedder, [text])
    async with tenant_connection(res.pool, ctx.tenant_id) as conn:
        candidates = await hint_candidates(
            conn, tenant_id=ctx.tenant_id, user_id=ctx.user_id, thread_id=ctx.thread_id, embedding=vector,
            repeat_after=REPEAT_AFTER_SECONDS,
        )
    hints = choose_hints(candidates, text, just_said)
    for h in hints:
        HINTS.labels(h["type"]).inc()
    return {"hints": hints}
