"""`mnemo bench turn`: what a turn and a retrieval cost, each next to a baseline from the same run.

1. Full turn: the compiled turn graph through `run_turn`, always on the deterministic fake chat model
   (so Mnemo is measured, not an LLM), against a one-node graph that calls the same model on the
   same checkpointer. The difference is what the six memory nodes add; the aim is that they add less
   than the checkpointer itself costs (the baseline).
2. Retrieval: the product's `hybrid_search` for a user holding `memories` memories, against a plain
   pgvector k-NN query on the same rows. Aim: p95 < 10 ms at 100k memories.

Absolute times depend on the machine and its load; compare ratios between runs, not milliseconds.
"""

from __future__ import annotations

import math
import os
import platform
import random
import time
import uuid
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Any

import numpy as np
from langchain_core.messages import AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from psycopg import AsyncConnection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typing_extensions import TypedDict

from bench.store_baseline import StoreBaseline, create_schema, ensure_items, open_store
from core.metrics import NODE_SECONDS
from graphs.resources import Resources, open_resources
from graphs.runner import DURABILITY, run_turn, turn_config
from graphs.turn import NODE_NAMES, build_turn_graph
from memory.db import copy_rows, execute_as_owner, tenant_connection
from memory.embeddings import Embedder, aembed
from memory.memories import render
from memory.search import SearchQuery, hybrid_search
from memory.users import ensure_user

__all__ = ["run_turn_bench"]

TURNS_PER_THREAD = 10  # so history and retrieval have something to work on
MAX_WARMUP_TURNS = 5
WARMUP_QUERIES = 10
RECALL_SAMPLE = 20  # queries also run as an exact scan, to measure HNSW recall
RETRIEVAL_TENANT = "bench-retrieval"
BASE_SENTENCES = 2000  # embedded for real; every other row is one of them plus noise
ROWS_PER_BASE = 50
NOISE_SIGMA = 0.02  # per dimension: cosine to the base sentence about 0.93
COPY_CHUNK = 5000
EMBED_BATCH = 64
SEED = 20261121
RETRIEVAL_AIM_MS = 10.0
RETRIEVAL_AIM_AT = 100_000

COUNT_SQL = """
SELECT count(*) AS n FROM memories WHERE tenant_id = %s AND user_id = %s AND valid_until IS NULL"""
DELETE_SQL = "DELETE FROM memories WHERE tenant_id = %s AND user_id = %s"
# Loaded through memory.db.copy_rows: row-level security refuses a plain COPY into memories.
COPY_COLUMNS = ("tenant_id", "user_id", "category", "key", "value", "polarity", "confidence", "content", "language",
                "embedding")
COPY_TYPES = ("text", "text", "text", "text", "text", "text", "float4", "text", "text", "vector")
ANALYZE_SQL = "ANALYZE memories"
# The baseline: what pgvector alone costs for the same user and k (HNSW when the planner picks it).
KNN_SQL = """
SELECT id FROM memories WHERE tenant_id = %s AND user_id = %s AND valid_until IS NULL
ORDER BY embedding <=> %s LIMIT %s"""
# `+ 0` hides the operator from the index: an exact scan, the ground truth for recall.
EXACT_KNN_SQL = """
SELECT id FROM memories WHERE tenant_id = %s AND user_id = %s AND valid_until IS NULL
ORDER BY (embedding <=> %s) + 0 LIMIT %s"""
EXPLAIN_KNN_SQL = "EXPLAIN (FORMAT JSON)" + KNN_SQL
SERVER_VERSION_SQL = "SHOW server_version"
PGVECTOR_VERSION_SQL = "SELECT extversion FROM pg_extension WHERE extname = 'vector'"

# What users say in the full-turn bench: facts and preferences (EN and FR) that extract and persist
# store, and questions that load_memory, retrieve and hint answer from them.
MESSAGES = (
    "Hi! My name is Marie and I live in Lyon.",
    "Je suis végétarienne et j'adore le jazz.",
    "What should I cook for dinner tonight?",
    "I'm allergic to peanuts, please keep that in mind.",
    "Quelle musique me conseilles-tu pour ce soir ?",
    "I work as a software engineer at Airbus.",
    "Can you help me plan a weekend trip to Rome?",
    "je prefere le thé au café",
    "Remind me, where do I live?",
    "I really enjoy hiking and I don't like horror movies.",
    "j'ai 34 ans et je parle couramment l'anglais",
    "Any book recommendation for the holidays?",
    "my python script raises a KeyError when the file is empty",
    "I speak French and a bit of Spanish.",
    "Qu'est-ce que je pourrais faire ce week-end ?",
    "I prefer short answers.",
    "je déteste le football mais j'aime bien cuisiner",
    "What do you know about me so far?",
    "I'm based in Berlin now.",
    "Peux-tu me proposer un menu sans arachides ?",
)

# Retrieval corpus: (category, topic, language, values); each memory is `render()`ed as in the product.
TOPICS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("preference", "music", "en", ("jazz", "blues", "classical music", "hip hop", "electronic music", "folk songs",
                                   "opera", "k-pop", "reggae", "heavy metal")),
    ("preference", "food", "en", ("Italian food", "Thai curries", "sushi", "Lebanese mezze", "Mexican tacos",
                                  "dark chocolate", "spicy ramen", "vegan burgers", "French cheese",
                                  "Indian street food")),
    ("preference", "drink", "en", ("green tea", "black coffee", "red wine", "craft beer", "fresh orange juice",
                                   "sparkling water", "matcha lattes", "herbal tea")),
    ("preference", "sport", "en", ("trail running", "swimming", "yoga", "rock climbing", "cycling", "tennis",
                                   "hiking", "skiing")),
    ("preference", "movies", "en", ("science fiction films", "documentaries", "romantic comedies", "horror movies",
                                    "animated films", "film noir")),
    ("preference", "books", "en", ("crime novels", "fantasy sagas", "poetry", "history books", "comic books",
                                   "biographies")),
    ("preference", "travel", "en", ("beach holidays", "city breaks", "mountain cabins", "road trips",
                                    "train journeys")),
    ("preference", "reply_style", "en", ("short answers", "detailed explanations", "bullet points",
                                         "a formal tone", "a casual tone")),
    ("preference", "musique", "fr", ("le jazz manouche", "la chanson française", "la musique classique",
                                     "le rap français", "l'électro")),
    ("preference", "cuisine", "fr", ("la cuisine japonaise", "les crêpes bretonnes", "le fromage de chèvre",
                                     "la ratatouille", "les plats épicés")),
    ("preference", "boisson", "fr", ("le thé vert", "le café serré", "le vin rouge", "le cidre")),
    ("preference", "sport", "fr", ("la course à pied", "la natation", "le vélo", "l'escalade", "le yoga")),
    ("preference", "lecture", "fr", ("les romans policiers", "la bande dessinée", "la poésie")),
    ("constraint", "diet", "en", ("vegetarian", "vegan", "gluten-free", "halal", "kosher", "low sodium")),
    ("constraint", "allergy", "en", ("peanuts", "shellfish", "lactose", "pollen", "cats")),
    ("constraint", "budget", "en", ("under 50 euros a meal", "under 1000 dollars a month", "no paid apps")),
    ("constraint", "schedule", "en", ("no meetings before 10am", "free on Wednesday afternoons",
                                      "busy every Monday")),
    ("constraint", "régime", "fr", ("végétarien", "sans gluten", "sans lactose")),
    ("constraint", "allergie", "fr", ("aux arachides", "aux fruits de mer")),
    ("constraint", "horaires", "fr", ("pas de réunion le lundi", "libre le mercredi après-midi")),
    ("profile", "language", "en", ("French", "Spanish", "German", "Portuguese", "Japanese")),
    ("profile", "hobby", "en", ("photography", "gardening", "chess", "woodworking", "baking", "painting")),
    ("profile", "pet", "en", ("a cat named Pixel", "a golden retriever", "two rabbits", "a parrot")),
    ("profile", "family", "en", ("two kids", "a sister in Montreal", "a brother in Madrid", "grandparents nearby")),
    ("profile", "langue", "fr", ("français", "anglais", "italien")),
    ("profile", "loisir", "fr", ("la photographie", "le jardinage", "les échecs", "la couture")),
    ("goal", "fitness", "en", ("run a marathon", "swim 2 km without stopping", "do 20 push-ups")),
    ("goal", "learning", "en", ("learn Spanish", "learn to play the piano", "get a data science certificate")),
    ("goal", "money", "en", ("save for a house", "pay off the car loan", "build an emergency fund")),
    ("goal", "objectif", "fr", ("apprendre le piano", "perdre cinq kilos", "lire trente livres")),
    ("intent", "purchase", "en", ("buy a new laptop", "get an electric bike", "replace the old sofa")),
    ("intent", "travel", "en", ("visit Japan in spring", "spend a week in Lisbon", "go hiking in the Alps")),
    ("intent", "career", "en", ("change jobs", "ask for a raise", "start a side business")),
    ("intent", "projet", "fr", ("adopter un chien", "déménager à Bordeaux", "partir en Islande")),
    ("business", "company", "en", ("sells organic cosmetics", "runs three bakeries", "builds mobile games")),
    ("business", "stack", "en", ("uses PostgreSQL", "deploys on Kubernetes", "writes Python services")),
    ("business", "clients", "en", ("mostly small hotels", "schools in the region", "online shops")),
    ("business", "entreprise", "fr", ("vend du vin en ligne", "compte douze salariés", "travaille avec des mairies")),
    ("fact", "car", "en", ("a 2015 Golf", "an electric Zoe", "no car")),
    ("fact", "home", "en", ("a flat on the third floor", "a house with a garden", "a studio downtown")),
    ("fact", "birthday", "en", ("in March", "on the 4th of July", "in late December")),
    ("fact", "maison", "fr", ("un appartement à Nantes", "une maison près de la mer", "un studio à Paris")),
)
QUALIFIERS = {
    "en": ("", "this year", "on weekends", "in the evening", "at work", "when travelling", "for now", "at home",
           "in winter", "in summer", "with family", "most days"),
    "fr": ("", "cette année", "le week-end", "le soir", "au travail", "en voyage", "pour l'instant",
           "à la maison", "en hiver", "en été", "en famille", "presque tous les jours"),
}
# Extra detail that makes each copy of a base sentence a distinct memory.
WHEN = {
    "en": ("since 2019", "since last year", "lately", "every summer", "on Sundays", "after work", "as a child",
           "during the holidays", "twice a week", "since moving"),
    "fr": ("depuis 2019", "depuis l'an dernier", "ces temps-ci", "chaque été", "le dimanche", "après le travail",
           "enfant", "pendant les vacances", "deux fois par semaine", "depuis le déménagement"),
}
WHO = {
    "en": ("with my partner", "with colleagues", "alone", "with the kids", "with friends"),
    "fr": ("avec mon conjoint", "avec des collègues", "seul", "avec les enfants", "entre amis"),
}
# What users ask; the retrieval queries cycle through these.
QUESTIONS = (
    "What kind of music do I like?",
    "Do I have any food allergies?",
    "What should I drink this evening?",
    "Which sports do I enjoy?",
    "Recommend a film for tonight",
    "What books would I like?",
    "Where should I go on holiday?",
    "How do I prefer your answers?",
    "Quelle musique j'aime écouter ?",
    "Qu'est-ce que je mange d'habitude ?",
    "Quel sport je pratique ?",
    "Is there anything I can't eat?",
    "What's my budget for dinner?",
    "When am I free for a meeting?",
    "Quels sont mes horaires ?",
    "Which languages do I speak?",
    "What are my hobbies?",
    "Tell me about my pets",
    "Who is in my family?",
    "What are my fitness goals?",
    "What did I want to learn?",
    "Am I saving money for something?",
    "Quels sont mes objectifs ?",
    "What was I planning to buy?",
    "Where did I want to travel next?",
    "Was I thinking about changing jobs?",
    "Quels sont mes projets ?",
    "What does my company do?",
    "Which database does our team use?",
    "Who are our clients?",
    "Que fait mon entreprise ?",
    "What car do I drive?",
    "Where do I live?",
    "When is my birthday?",
    "Je vis dans quel genre de logement ?",
    "Suggest a weekend activity for me",
    "Plan a dinner with friends that suits me",
    "Anything I told you about coffee?",
    "J'ai dit quoi à propos du vin ?",
    "What do you remember about my weekends?",
)


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    """Median and 95th percentile of a list of milliseconds."""

    p50: float
    p95: float
    n: int

    @classmethod
    def of(cls, ms: list[float]) -> Stat:
        if not ms:
            return cls(math.nan, math.nan, 0)
        p50, p95 = np.percentile(np.asarray(ms, dtype=np.float64), [50, 95])
        return cls(float(p50), float(p95), len(ms))


@dataclass
class TurnFigures:
    full: list[float]
    baseline: list[float]
    nodes: dict[str, list[float]]  # per node, from the product's own NODE_SECONDS histogram
    outside: list[float]  # full turn minus its nodes: LangGraph, checkpoint writes, streaming
    threads: int
    tenant: str


@dataclass
class RetrievalFigures:
    memory: list[float]  # hybrid_search, memories only
    mixed: list[float]  # hybrid_search, memories and messages (the default)
    knn: list[float]  # plain pgvector k-NN
    store: list[float]  # LangGraph's AsyncPostgresStore.asearch on the same rows (bench/store_baseline.py)
    rows: int  # current memories of the bench user
    load_s: float | None  # seconds spent embedding and loading them in this run; None when reused
    user_id: str
    k: int
    knn_returned: float  # mean rows the k-NN query returned, out of k
    recall: float  # k-NN vs exact scan, over RECALL_SAMPLE queries
    knn_plan: str


@dataclass(frozen=True)
class Environment:
    postgres: str
    pgvector: str
    redis: str
    embedded: tuple[str, ...]


async def _elapsed_ms(awaitable: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await awaitable
    return (time.perf_counter() - started) * 1000


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


# --- full turn vs one-node baseline --------------------------------------------------------------


class BaselineState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def build_baseline_graph(res: Resources) -> StateGraph:
    """One node calling the same fake model: what a turn costs with LangGraph and the checkpointer only."""

    async def reply(state: BaselineState, config: RunnableConfig) -> dict:
        return {"messages": [await res.chat_model().ainvoke(state["messages"], config)]}

    builder = StateGraph(BaselineState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    builder.add_edge("reply", END)
    return builder


async def baseline_turn(graph: CompiledStateGraph, *, message: str, thread_id: str, tenant_id: str,
                         user_id: str) -> None:
    """Streamed with the same modes as `stream_turn`, so both graphs pay for the same streaming."""
    config = turn_config(thread_id=thread_id, tenant_id=tenant_id, user_id=user_id, agent=None)
    async for _ in graph.astream({"messages": [{"role": "user", "content": message}]}, config,
                                 stream_mode=["messages", "values"], durability=DURABILITY):
        pass


def node_seconds() -> dict[str, float]:
    """Cumulative seconds per node; turns run one at a time, so a difference is one turn's nodes."""
    sums: dict[str, float] = {}
    for metric in NODE_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_sum"):
                sums[sample.labels["node"]] = sample.value
    return sums


def turn_plan(turns: int) -> list[tuple[int, str]]:
    """(thread index, message) for each measured turn, TURNS_PER_THREAD per thread, messages varied."""
    return [(i // TURNS_PER_THREAD, MESSAGES[(i * 7 + i // TURNS_PER_THREAD) % len(MESSAGES)])
            for i in range(turns)]


async def _measured_full_turn(graph: CompiledStateGraph, figures: TurnFigures, **turn: str) -> None:
    before = node_seconds()
    total = await _elapsed_ms(run_turn(graph, **turn))
    after = node_seconds()
    nodes_ms = 0.0
    for name in NODE_NAMES:
        spent = (after.get(name, 0.0) - before.get(name, 0.0)) * 1000
        figures.nodes[name].append(spent)
        nodes_ms += spent
    figures.full.append(total)
    figures.outside.append(total - nodes_ms)


async def bench_turns(console: Console, res: Resources, turns: int) -> TurnFigures:
    """Full and baseline turns interleaved (alternating which goes first), so both see the same machine."""
    full = build_turn_graph(res).compile(checkpointer=res.checkpointer, name="mnemo-turn")
    baseline = build_baseline_graph(res).compile(checkpointer=res.checkpointer, name="bench-baseline")
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    owner = {"tenant_id": tenant, "user_id": "u0"}
    plan = turn_plan(turns)
    figures = TurnFigures([], [], {name: [] for name in NODE_NAMES}, [], threads=len({t for t, _ in plan}),
                          tenant=tenant)
    for message in MESSAGES[:min(MAX_WARMUP_TURNS, max(1, turns // 10))]:
        await run_turn(full, message=message, thread_id=f"{tenant}-warmup-full", **owner)
        await baseline_turn(baseline, message=message, thread_id=f"{tenant}-warmup-base", **owner)
    with progress_bar(console) as progress:
        task = progress.add_task("Turns (full + baseline)", total=len(plan))
        for i, (thread, message) in enumerate(plan):
            base_turn = baseline_turn(baseline, message=message, thread_id=f"{tenant}-base-{thread}", **owner)
            full_turn = _measured_full_turn(full, figures, message=message, thread_id=f"{tenant}-full-{thread}",
                                            **owner)
            if i % 2:
                figures.baseline.append(await _elapsed_ms(base_turn))
                await full_turn
            else:
                await full_turn
                figures.baseline.append(await _elapsed_ms(base_turn))
            progress.advance(task)
    return figures


# --- retrieval at scale ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """One base memory: embedded for real, then copied with extra detail and a noisy vector."""

    category: str
    key: str
    value: str
    polarity: str
    language: str

    def content(self, value: str | None = None) -> str:
        return render(self.category, self.key, value or self.value, self.polarity)


def base_seeds(count: int) -> list[Seed]:
    """`count` distinct base memories, a deterministic mix of categories, topics and languages."""
    seeds = []
    for category, topic, language, values in TOPICS:
        for value in values:
            for i, qualifier in enumerate(QUALIFIERS[language]):
                # Polarity is not part of the unique index: one polarity per value, some preferences negative.
                polarity = "negative" if category == "preference" and i % 3 == 2 else "positive"
                seeds.append(Seed(category, f"{category}.{topic}", f"{value} {qualifier}".strip(), polarity, language))
    random.Random(SEED).shuffle(seeds)
    return seeds[:count]


def copy_value(seed: Seed, copy: int) -> str:
    """The value of the `copy`-th row made from `seed`; distinct per copy (the unique index needs it)."""
    if copy == 0:
        return seed.value
    when, who = WHEN[seed.language], WHO[seed.language]
    combo = copy - 1
    detail = f"{when[combo % len(when)]} {who[(combo // len(when)) % len(who)]}"
    rounds = combo // (len(when) * len(who))
    return f"{seed.value}, {detail}" + (f" ({rounds + 1})" if rounds else "")


def bases_for(rows: int) -> int:
    return max(1, min(BASE_SENTENCES, math.ceil(rows / ROWS_PER_BASE)))


def memory_rows(tenant_id: str, user_id: str, seeds: list[Seed], vectors: np.ndarray, start: int, stop: int,
                rng: np.random.Generator) -> Iterator[tuple]:
    """COPY rows `start`..`stop`: row i is copy i // len(seeds) of seed i % len(seeds), its vector the
    seed's plus gaussian noise, re-normalised (copy 0 keeps the exact vector of its own sentence)."""
    index = np.arange(start, stop)
    base, copies = index % len(seeds), index // len(seeds)
    noisy = vectors[base] + rng.normal(0.0, NOISE_SIGMA, (len(index), vectors.shape[1])).astype(np.float32)
    noisy[copies == 0] = vectors[base[copies == 0]]
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    for b, c, vector in zip(base, copies, noisy, strict=True):
        seed = seeds[b]
        value = copy_value(seed, int(c))
        yield (tenant_id, user_id, seed.category, seed.key, value, seed.polarity, 0.8, seed.content(value),
               seed.language, vector)


async def embed_seeds(console: Console, embedder: Embedder, seeds: list[Seed]) -> np.ndarray:
    texts = [s.content() for s in seeds]
    parts = []
    with progress_bar(console) as progress:
        task = progress.add_task("Embedding base sentences", total=len(texts))
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(await aembed(embedder, texts[start:start + EMBED_BATCH]))
            progress.advance(task, len(parts[-1]))
    return np.concatenate(parts)


async def _current_rows(conn: AsyncConnection, user_id: str) -> int:
    return (await (await conn.execute(COUNT_SQL, (RETRIEVAL_TENANT, user_id))).fetchone())["n"]


async def ensure_memories(console: Console, res: Resources, user_id: str, count: int) -> tuple[int, float | None]:
    """The bench user holds `count` memories: kept from an earlier run, or (re)loaded with one COPY in
    one transaction. Returns (rows, seconds spent loading, None when reused)."""
    started = time.perf_counter()
    async with tenant_connection(res.pool, RETRIEVAL_TENANT) as conn:
        await ensure_user(conn, tenant_id=RETRIEVAL_TENANT, user_id=user_id)
        have = await _current_rows(conn, user_id)
    if have >= count:
        return have, None
    seeds = base_seeds(bases_for(count))
    vectors = await embed_seeds(console, res.embedder, seeds)
    rng = np.random.default_rng(SEED)
    async with tenant_connection(res.pool, RETRIEVAL_TENANT) as conn:
        with progress_bar(console) as progress:
            task = progress.add_task(f"Loading {count:,} memories", total=count)
            await conn.execute(DELETE_SQL, (RETRIEVAL_TENANT, user_id))
            async with copy_rows(conn, "memories", list(COPY_COLUMNS)) as copy:
                copy.set_types(list(COPY_TYPES))
                for start in range(0, count, COPY_CHUNK):
                    stop = min(count, start + COPY_CHUNK)
                    for row in memory_rows(RETRIEVAL_TENANT, user_id, seeds, vectors, start, stop, rng):
                        await copy.write_row(row)
                    progress.advance(task, stop - start)
    with console.status("ANALYZE memories"):  # after the commit; only the owner may
        await execute_as_owner(res.admin_url, ANALYZE_SQL)
    async with tenant_connection(res.pool, RETRIEVAL_TENANT) as conn:
        return await _current_rows(conn, user_id), time.perf_counter() - started


def _plan_nodes(plan: dict) -> Iterator[str]:
    name = plan.get("Node Type", "")
    if plan.get("Index Name"):
        name += f" using {plan['Index Name']}"
    yield name
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


async def _knn_plan(conn: AsyncConnection, user_id: str, vector: np.ndarray, k: int) -> str:
    """How the planner runs the k-NN baseline (HNSW index scan or an exact scan)."""
    row = await (await conn.execute(EXPLAIN_KNN_SQL, (RETRIEVAL_TENANT, user_id, vector, k))).fetchone()
    [plan] = next(iter(row.values()))
    return " > ".join(_plan_nodes(plan["Plan"]))


async def _knn_ids(conn: AsyncConnection, sql: str, user_id: str, vector: np.ndarray, k: int) -> list:
    return [r["id"] for r in await (await conn.execute(sql, (RETRIEVAL_TENANT, user_id, vector, k))).fetchall()]


async def _recall(conn: AsyncConnection, user_id: str, vectors: list[np.ndarray], k: int) -> float:
    """Share of the exact top k that the k-NN baseline returns."""
    found = wanted = 0
    for vector in vectors:
        exact = set(await _knn_ids(conn, EXACT_KNN_SQL, user_id, vector, k))
        found += len(exact & set(await _knn_ids(conn, KNN_SQL, user_id, vector, k)))
        wanted += len(exact)
    return found / wanted if wanted else math.nan


async def _timed_queries(conn: AsyncConnection, query: SearchQuery, turn: int,
                         store: StoreBaseline) -> tuple[dict[str, float], int]:
    """One question four ways, in an order rotated by `turn` so none always runs on a warmer cache.
    Returns the milliseconds of each and how many rows the k-NN query returned."""
    knn_rows: list = []

    async def knn() -> None:
        knn_rows.extend(await _knn_ids(conn, KNN_SQL, query.user_id, query.embedding, query.k))

    calls = {
        "memory": lambda: hybrid_search(conn, query),
        "mixed": lambda: hybrid_search(conn, replace(query, types=("memory", "message"))),
        "knn": knn,
        "store": lambda: store.search(query.text, query.k),
    }
    names = list(calls)
    names = names[turn % len(names):] + names[:turn % len(names)]
    return {name: await _elapsed_ms(calls[name]()) for name in names}, len(knn_rows)


async def bench_retrieval(console: Console, res: Resources, memories: int, queries: int) -> RetrievalFigures:
    """The three queries interleaved on one connection; only the round trip is timed."""
    user_id = f"n{memories}"  # one user per size, so reruns with another size reuse their own rows
    rows, load_s = await ensure_memories(console, res, user_id, memories)
    texts = [QUESTIONS[i % len(QUESTIONS)] for i in range(queries + WARMUP_QUERIES)]
    unique = sorted(set(texts))
    by_text = dict(zip(unique, await aembed(res.embedder, unique), strict=True))
    k = res.settings.retrieve_k
    figures = RetrievalFigures([], [], [], [], rows, load_s, user_id, k, 0.0, math.nan, "")
    returned = 0
    await create_schema(res.admin_url)
    dims = len(next(iter(by_text.values())))
    async with open_store(res.admin_url, dims, by_text) as lg_store:
        # before our transaction opens: the store's setup builds its index CONCURRENTLY, which waits for it
        with console.status("LangGraph AsyncPostgresStore: tables, and the same memories copied in"):
            await lg_store.setup()
            await ensure_items(res.admin_url, f"bench.{user_id}", RETRIEVAL_TENANT, user_id, rows)
        store = StoreBaseline(lg_store, ("bench", user_id), by_text)
        async with tenant_connection(res.pool, RETRIEVAL_TENANT) as conn:
            figures.knn_plan = await _knn_plan(conn, user_id, by_text[texts[0]], k)
            with progress_bar(console) as progress:
                task = progress.add_task("Retrieval queries", total=len(texts))
                for i, text in enumerate(texts):
                    query = SearchQuery(text=text, embedding=by_text[text], tenant_id=RETRIEVAL_TENANT, user_id=user_id,
                                        k=k, types=("memory",), min_score=res.settings.retrieve_min_score)
                    times, knn_rows = await _timed_queries(conn, query, i, store)
                    if i >= WARMUP_QUERIES:
                        figures.memory.append(times["memory"])
                        figures.mixed.append(times["mixed"])
                        figures.knn.append(times["knn"])
                        figures.store.append(times["store"])
                        returned += knn_rows
                    progress.advance(task)
            figures.knn_returned = returned / max(1, queries)
            sample = [by_text[t] for t in texts[WARMUP_QUERIES:WARMUP_QUERIES + RECALL_SAMPLE]]
            with console.status("HNSW recall against an exact scan"):
                figures.recall = await _recall(conn, user_id, sample, k)
    return figures


# --- report ------------------------------------------------------------------------------------------


async def read_environment(res: Resources) -> Environment:
    async with res.pool.connection() as conn:
        postgres = (await (await conn.execute(SERVER_VERSION_SQL)).fetchone())["server_version"]
        pgvector = (await (await conn.execute(PGVECTOR_VERSION_SQL)).fetchone())["extversion"]
    redis = (await res.redis.info("server")).get("redis_version", "?")
    return Environment(postgres, pgvector, str(redis), tuple(res.urls.embedded))


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def _verdict(holds: bool) -> str:
    return "[green]holds[/]" if holds else "[red]does not hold[/]"


def _turn_rows(table: Table, t: TurnFigures) -> tuple[Stat, Stat]:
    full, base = Stat.of(t.full), Stat.of(t.baseline)
    table.add_row("Full turn (7 nodes, fake model)", _ms(full.p50), _ms(full.p95),
                  f"{full.n} turns on {t.threads} thread(s), run_turn")
    table.add_row("Baseline: 1-node graph, same checkpointer", _ms(base.p50), _ms(base.p95),
                  f"{base.n} turns on {t.threads} thread(s), same fake model")
    table.add_row("Ratio full / baseline", f"{full.p50 / base.p50:.2f}x", f"{full.p95 / base.p95:.2f}x", "")
    table.add_row("Memory nodes overhead (full - baseline)", _ms(full.p50 - base.p50), _ms(full.p95 - base.p95),
                  "what the six memory nodes add")
    for name in NODE_NAMES:
        node = Stat.of(t.nodes[name])
        table.add_row(f"  node {name}", _ms(node.p50), _ms(node.p95), "inside the full turn")
    outside = Stat.of(t.outside)
    table.add_row("  outside the nodes", _ms(outside.p50), _ms(outside.p95), "LangGraph, checkpoint, streaming")
    return full, base


def _retrieval_rows(table: Table, r: RetrievalFigures) -> tuple[Stat, Stat]:
    memory, mixed, knn = Stat.of(r.memory), Stat.of(r.mixed), Stat.of(r.knn)
    scale = f"{r.rows:,} memories, k={r.k}, {memory.n} queries"
    table.add_row("Retrieval: hybrid_search (memories)", _ms(memory.p50), _ms(memory.p95), scale)
    table.add_row("Retrieval: hybrid_search (memories + messages)", _ms(mixed.p50), _ms(mixed.p95),
                  "the default mix")
    table.add_row("Baseline: plain pgvector k-NN", _ms(knn.p50), _ms(knn.p95),
                  f"returned {r.knn_returned:.1f} of {r.k} rows, recall@{r.k} {r.recall:.2f} vs exact")
    store = Stat.of(r.store)
    table.add_row("Baseline: LangGraph AsyncPostgresStore.asearch", _ms(store.p50), _ms(store.p95),
                  "same rows and vectors, HNSW, owner (no RLS)")
    table.add_row("Ratio hybrid (memories) / store", f"{memory.p50 / store.p50:.2f}x", f"{memory.p95 / store.p95:.2f}x",
                  "")
    table.add_row("Fusion + full-text cost (hybrid - k-NN)", _ms(memory.p50 - knn.p50), _ms(memory.p95 - knn.p95),
                  f"ratio {memory.p50 / knn.p50:.1f}x at p50")
    return memory, store


def report(console: Console, turns: TurnFigures, retrieval: RetrievalFigures, env: Environment,
           command: str) -> None:
    table = Table(title="mnemo bench turn", title_justify="left")
    for column, justify in (("Figure", "left"), ("p50 ms", "right"), ("p95 ms", "right"), ("Note", "left")):
        table.add_column(column, justify=justify)
    full, base = _turn_rows(table, turns)
    table.add_section()
    memory, store = _retrieval_rows(table, retrieval)
    console.print(table)
    overhead = full.p50 - base.p50
    console.print(f"Aim: the six memory nodes add less than the checkpointer itself does: overhead "
                  f"{_ms(overhead)} ms vs baseline {_ms(base.p50)} ms at p50: {_verdict(overhead < base.p50)}")
    at = "" if retrieval.rows >= RETRIEVAL_AIM_AT else f" (measured at {retrieval.rows:,} memories only)"
    console.print(f"Aim: retrieval p95 <= {RETRIEVAL_AIM_MS:g} ms at {RETRIEVAL_AIM_AT:,} memories: "
                  f"p95 {_ms(memory.p95)} ms: {_verdict(memory.p95 <= RETRIEVAL_AIM_MS)}{at}")
    console.print(f"Aim: retrieval p95 <= 2x AsyncPostgresStore.asearch's: {memory.p95 / store.p95:.2f}x: "
                  f"{_verdict(memory.p95 <= 2 * store.p95)}")
    console.print(f"k-NN plan: {retrieval.knn_plan}")
    loaded = "reused from an earlier run" if retrieval.load_s is None else f"loaded in {retrieval.load_s:.0f} s"
    console.print(f"Bench data: turns as tenant {turns.tenant}; memories as {RETRIEVAL_TENANT}/{retrieval.user_id} "
                  f"({loaded})")
    embedded = f" (embedded: {', '.join(env.embedded)})" if env.embedded else ""
    console.print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
                  f"Python {platform.python_version()}; PostgreSQL {env.postgres} + pgvector {env.pgvector}, "
                  f"Redis {env.redis}{embedded}")
    console.print(f"Reproduce: {command}")


async def run_turn_bench(console: Console, *, turns: int = 200, memories: int = 100_000, queries: int = 300,
                         resources: Resources | None = None) -> None:
    """Measure and print. Uses `resources` when given (tests), else opens the configured services."""
    owned = resources is None
    if resources is None:
        with console.status("Starting PostgreSQL and Redis"):
            resources = await open_resources()
    try:
        res = resources.with_settings(chat_model="fake")  # Mnemo is measured, not an LLM
        env = await read_environment(res)
        turn_figures = await bench_turns(console, res, turns)
        retrieval = await bench_retrieval(console, res, memories, queries)
        command = f"mnemo bench turn --turns {turns} --memories {memories} --queries {queries}"
        report(console, turn_figures, retrieval, env, command)
    finally:
        if owned:
            await resources.close()
