"""`mnemo bench retrieval`: recall and latency of the product's search on LoCoMo, next to an exact
dense-only baseline computed in the same run over the same embeddings.

Every conversation goes through the product's import path (`import_thread`): one user per
conversation, one thread per session dated with the session's date, each turn a message
"<speaker>: <text>" with its dia_id and speaker in the metadata. Every question of categories 1-4 is
then asked through `hybrid_search` (messages only, the user's own rows) and scored by the share of its
evidence turns found in the top k. The baseline ranks the same stored vectors by exact cosine (numpy).

An optional second figure (`filter_users`) checks that per-user filtering does not lose recall: many
users share one table, the caller owns a small share, and a plain filtered HNSW k-NN with and without
pgvector's iterative scan is compared with the exact answer.

The dataset is read from the path given; nothing of it is stored anywhere but the bench database, and
that database is a temporary MNEMO_HOME unless DATABASE_URL says otherwise (then the bench tenant is
deleted at the end).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from psycopg import AsyncConnection

from core.config import Settings, get_settings
from graphs.resources import Resources, open_resources
from memory.db import copy_rows, execute_as_owner, tenant_connection
from memory.embeddings import aembed
from memory.imports import ImportedMessage, import_thread
from memory.search import SearchQuery, hybrid_search
from memory.threads import create_thread
from memory.users import ensure_user

__all__ = ["arun", "format_report", "load_locomo", "run"]

CATEGORIES = (1, 2, 3, 4)  # 5 is adversarial: no evidence
KS = (5, 10, 20)
WARMUP_QUERIES = 10
REFERENCE = {"dense": 0.507, "bm25": 0.525, "rrf": 0.588}  # STACK.md, recall@10 on the dev split
AIM_RECALL_AT_10 = 0.70
AIM_P95_MS = 15.0
DATE_FORMAT = "%I:%M %p on %d %B, %Y"  # "1:56 pm on 8 May, 2023"
EVIDENCE = re.compile(r"D(\d+):(\d+)")

MESSAGE_ROWS_SQL = """
SELECT id, metadata->>'dia_id' AS dia_id, embedding FROM messages WHERE tenant_id = %s AND user_id = %s"""
DELETE_TENANT_SQL = "DELETE FROM users WHERE tenant_id = %s"
FILTER_KNN_SQL = """
SELECT id FROM messages WHERE tenant_id = %s AND user_id = %s ORDER BY embedding <=> %s LIMIT %s"""
FILTER_EXACT_SQL = """
SELECT id FROM messages WHERE tenant_id = %s AND user_id = %s ORDER BY (embedding <=> %s) + 0 LIMIT %s"""
FILTER_COPY_COLUMNS = ("tenant_id", "user_id", "thread_id", "role", "content", "embedding")  # memory.db.copy_rows
FILTER_COPY_TYPES = ("text", "text", "text", "text", "text", "vector")


@dataclass(frozen=True)
class Turn:
    speaker: str
    dia_id: str
    text: str


@dataclass(frozen=True)
class Session:
    number: int
    date: datetime
    turns: list[Turn]


@dataclass(frozen=True)
class Question:
    text: str
    category: int
    evidence: frozenset[str]


@dataclass(frozen=True)
class Conversation:
    name: str
    speakers: tuple[str, str]
    sessions: list[Session]
    questions: list[Question]


def _evidence(items: list[str]) -> frozenset[str]:
    """dia_ids cited by a question; "D8:6; D9:17" holds two, a malformed one ("D") none."""
    return frozenset(f"D{a}:{b}" for item in items for a, b in EVIDENCE.findall(str(item)))


def load_locomo(path: Path) -> list[Conversation]:
    """The LoCoMo file as conversations with dated sessions and the questions of categories 1-4."""
    conversations = []
    for i, raw in enumerate(json.loads(Path(path).read_text())):
        talk = raw["conversation"]
        sessions = []
        for key, turns in talk.items():
            match = re.fullmatch(r"session_(\d+)", key)
            if match and turns:
                date = datetime.strptime(talk[f"{key}_date_time"], DATE_FORMAT).replace(tzinfo=UTC)
                said = [Turn(t["speaker"], t["dia_id"], t["text"]) for t in turns]
                sessions.append(Session(int(match[1]), date, said))
        questions = [
            Question(q["question"], q["category"], _evidence(q.get("evidence", [])))
            for q in raw.get("qa", []) if q.get("category") in CATEGORIES
        ]
        conversations.append(Conversation(
            raw.get("sample_id", f"conv-{i}"), (talk["speaker_a"], talk["speaker_b"]),
            sorted(sessions, key=lambda s: s.number), [q for q in questions if q.evidence],
        ))
    return conversations


def session_messages(conversation: Conversation, session: Session) -> list[ImportedMessage]:
    """What an outside client would POST to /v1/threads/import for one session."""
    roles = {conversation.speakers[0]: "user", conversation.speakers[1]: "assistant"}
    return [
        ImportedMessage(roles.get(t.speaker, "user"), f"{t.speaker}: {t.text}", session.date,
                        {"dia_id": t.dia_id, "speaker": t.speaker})
        for t in session.turns
    ]


async def import_conversation(res: Resources, tenant_id: str, conversation: Conversation) -> int:
    """One user, one thread per session, through the product's import path. Returns messages imported."""
    count = 0
    for session in conversation.sessions:
        messages = session_messages(conversation, session)
        vectors = await aembed(res.embedder, [m.content for m in messages])
        async with tenant_connection(res.pool, tenant_id) as conn:
            await import_thread(conn, tenant_id=tenant_id, user_id=conversation.name,
                                title=f"{conversation.name} session {session.number}", messages=messages,
                                embeddings=vectors)
        count += len(messages)
    return count


# --- scoring -----------------------------------------------------------------------------------------


def recall_at(ranked: list[str | None], evidence: frozenset[str], k: int) -> float:
    """Share of the evidence turns found among the first k results."""
    return len(evidence & set(ranked[:k])) / len(evidence)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class Scores:
    """Recall sums per k, divided by the question count at the end."""

    sums: dict[int, float]
    n: int = 0

    @classmethod
    def empty(cls) -> Scores:
        return cls({k: 0.0 for k in KS})

    def add(self, ranked: list[str | None], evidence: frozenset[str]) -> None:
        self.n += 1
        for k in KS:
            self.sums[k] += recall_at(ranked, evidence, k)

    def means(self) -> dict[str, float]:
        return {f"recall@{k}": round(s / self.n, 4) if self.n else float("nan") for k, s in self.sums.items()}


async def _user_rows(conn: AsyncConnection, tenant_id: str, user_id: str) -> tuple[dict, list[str], np.ndarray]:
    rows = await (await conn.execute(MESSAGE_ROWS_SQL, (tenant_id, user_id))).fetchall()
    dia = {r["id"]: r["dia_id"] for r in rows}
    return dia, [r["dia_id"] for r in rows], np.stack([r["embedding"].to_numpy() for r in rows])


async def evaluate(res: Resources, tenant_id: str, conversations: list[Conversation], *, k: int = max(KS),
                   min_score: float | None = None) -> dict[str, Any]:
    """Ask every question through `hybrid_search` and the dense baseline; recall and search latency."""
    floor = res.settings.retrieve_min_score if min_score is None else min_score
    hybrid, dense = Scores.empty(), Scores.empty()
    by_category: dict[int, Scores] = {c: Scores.empty() for c in CATEGORIES}
    latencies: list[float] = []
    embed_ms: list[float] = []
    warm = 0
    async with tenant_connection(res.pool, tenant_id) as conn:
        for conversation in conversations:
            dia, dia_list, matrix = await _user_rows(conn, tenant_id, conversation.name)
            for question in conversation.questions:
                started = time.perf_counter()
                [vector] = await aembed(res.embedder, [question.text])
                embed_ms.append((time.perf_counter() - started) * 1000)
                query = SearchQuery(text=question.text, embedding=vector, tenant_id=tenant_id,
                                    user_id=conversation.name, k=k, types=("message",), min_score=floor)
                if warm < WARMUP_QUERIES:
                    await hybrid_search(conn, query)
                    warm += 1
                started = time.perf_counter()
                hits = await hybrid_search(conn, query)
                latencies.append((time.perf_counter() - started) * 1000)
                ranked = [dia.get(h["id"]) for h in hits]
                hybrid.add(ranked, question.evidence)
                by_category[question.category].add(ranked, question.evidence)
                order = np.argsort(-(matrix @ vector))[:k]
                dense.add([dia_list[i] for i in order], question.evidence)
    return {
        "questions": hybrid.n,
        "hybrid": hybrid.means(),
        "dense": dense.means(),
        "by_category": {c: s.means() for c, s in by_category.items() if s.n},
        "category_counts": {c: s.n for c, s in by_category.items() if s.n},
        "search_ms": {"p50": round(_percentile(latencies, 50), 2), "p95": round(_percentile(latencies, 95), 2)},
        "embed_ms": {"p50": round(_percentile(embed_ms, 50), 2), "p95": round(_percentile(embed_ms, 95), 2)},
        "min_score": floor,
    }


# --- filtered HNSW recall ---------------------------------------------------------------------------


def _filter_rows(tenant_id: str, users: int, per_user: int, dim: int, rng: np.random.Generator) -> Iterator[tuple]:
    """`users` users holding `per_user` random unit vectors each, interleaved as real traffic would be."""
    vectors = rng.normal(size=(users * per_user, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for i, vector in enumerate(vectors):
        user = f"u{i % users}"
        yield tenant_id, user, f"{tenant_id}-{user}", "user", f"row {i}", vector


async def _filtered_recall(conn: AsyncConnection, tenant_id: str, queries: np.ndarray, k: int,
                           iterative: str) -> tuple[float, float]:
    """(recall@k of the filtered index scan against the exact answer, mean rows returned)."""
    found = wanted = returned = 0
    async with conn.transaction():
        await conn.execute("SELECT set_config('hnsw.iterative_scan', %s, true)", (iterative,))
        await conn.execute("SET LOCAL enable_seqscan = off")  # force the HNSW scan: no exact sort fallback
        await conn.execute("SET LOCAL enable_bitmapscan = off")
        await conn.execute("SET LOCAL enable_sort = off")
        for vector in queries:
            params = (tenant_id, "u0", vector, k)
            approx = [r["id"] for r in await (await conn.execute(FILTER_KNN_SQL, params)).fetchall()]
            exact = {r["id"] for r in await (await conn.execute(FILTER_EXACT_SQL, params)).fetchall()}
            found += len(exact & set(approx))
            wanted += len(exact)
            returned += len(approx)
    return found / max(1, wanted), returned / max(1, len(queries))


async def filter_recall(res: Resources, tenant_id: str, *, users: int, per_user: int, queries: int = 50,
                        k: int = 10, seed: int = 7) -> dict[str, Any]:
    """Many users in one table, the caller (u0) owning 1/users of it: HNSW recall with and without
    iterative scan against an exact scan of the caller's rows."""
    rng = np.random.default_rng(seed)
    dim = res.embedder.dim
    async with tenant_connection(res.pool, tenant_id) as conn:
        for u in range(users):
            await ensure_user(conn, tenant_id=tenant_id, user_id=f"u{u}")
            await create_thread(conn, tenant_id=tenant_id, user_id=f"u{u}", thread_id=f"{tenant_id}-u{u}")
        async with copy_rows(conn, "messages", list(FILTER_COPY_COLUMNS)) as copy:
            copy.set_types(list(FILTER_COPY_TYPES))
            for row in _filter_rows(tenant_id, users, per_user, dim, rng):
                await copy.write_row(row)
    await execute_as_owner(res.admin_url, "ANALYZE messages")  # after the commit; only the owner may
    async with tenant_connection(res.pool, tenant_id) as conn:
        probes = rng.normal(size=(queries, dim)).astype(np.float32)
        probes /= np.linalg.norm(probes, axis=1, keepdims=True)
        figures = {}
        for mode in ("off", "relaxed_order", "strict_order"):
            recall, returned = await _filtered_recall(conn, tenant_id, probes, k, mode)
            figures[mode] = {"recall": round(recall, 4), "returned": round(returned, 2)}
    return {"users": users, "per_user": per_user, "rows": users * per_user, "k": k, "queries": queries,
            "modes": figures}


# --- run ---------------------------------------------------------------------------------------------


@asynccontextmanager
async def _bench_resources(home: Path | None):
    """DATABASE_URL when set; otherwise embedded services in a temporary MNEMO_HOME, removed after."""
    configured = get_settings()
    if configured.database_url:
        res = await open_resources(configured)
        try:
            yield res
        finally:
            await res.close()
        return
    folder = Path(home) if home else Path(tempfile.mkdtemp(prefix="mnemo-bench-retrieval-"))
    if home is None:
        # Registered before the embedded servers' own exit hooks, so it runs after they stopped them.
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    res = await open_resources(Settings(_env_file=None, home=folder, chat_model="fake"))
    try:
        yield res
    finally:
        await res.close()


async def arun(locomo_path: Path, *, resources: Resources | None = None, home: Path | None = None,
               conversations: int | None = None, min_score: float | None = None,
               filter_users: int = 0, filter_per_user: int = 200) -> dict[str, Any]:
    """Import, ask, score; the bench tenant is deleted at the end. `resources` (tests) or a fresh set."""
    if resources is None:
        async with _bench_resources(home) as res:
            return await arun(locomo_path, resources=res, conversations=conversations, min_score=min_score,
                              filter_users=filter_users, filter_per_user=filter_per_user)
    tenant_id = f"bench-locomo-{uuid.uuid4().hex[:8]}"
    data = load_locomo(locomo_path)[:conversations]
    try:
        started = time.perf_counter()
        messages = 0
        for conversation in data:
            messages += await import_conversation(resources, tenant_id, conversation)
        import_s = time.perf_counter() - started
        await execute_as_owner(resources.admin_url, "ANALYZE messages")
        result = await evaluate(resources, tenant_id, data, min_score=min_score)
        result.update(conversations=len(data), messages=messages, import_s=round(import_s, 2),
                      locomo=str(locomo_path))
        if filter_users:
            result["filter"] = await filter_recall(resources, f"{tenant_id}-filter", users=filter_users,
                                                   per_user=filter_per_user)
    finally:
        for tenant in (tenant_id, f"{tenant_id}-filter"):
            async with tenant_connection(resources.pool, tenant) as conn:
                await conn.execute(DELETE_TENANT_SQL, (tenant,))
    return result


def run(locomo_path: Path, **options: Any) -> dict[str, Any]:
    """Synchronous entry point for the CLI: see `arun` for the options."""
    return asyncio.run(arun(locomo_path, **options))


def format_report(result: dict[str, Any]) -> str:
    """A plain-text table: hybrid next to the dense baseline, latency, the aims and the reference."""
    lines = [
        f"mnemo bench retrieval: {result['conversations']} conversations, {result['messages']} messages "
        f"(imported in {result['import_s']:.1f} s), {result['questions']} questions of categories 1-4",
        "",
        f"{'':<34}" + "".join(f"{f'recall@{k}':>11}" for k in KS),
    ]
    for label, key in (("hybrid_search (product)", "hybrid"), ("dense-only exact cosine (baseline)", "dense")):
        lines.append(f"{label:<34}" + "".join(f"{result[key][f'recall@{k}']:>11.3f}" for k in KS))
    for category, means in result["by_category"].items():
        label = f"  hybrid, category {category} ({result['category_counts'][category]} q)"
        lines.append(f"{label:<34}" + "".join(f"{means[f'recall@{k}']:>11.3f}" for k in KS))
    search, embed = result["search_ms"], result["embed_ms"]
    lines += [
        "",
        f"search latency (one round trip): p50 {search['p50']:.2f} ms, p95 {search['p95']:.2f} ms; "
        f"query embedding p50 {embed['p50']:.2f} ms",
        f"reference recall@10 on the dev split (STACK.md): dense {REFERENCE['dense']}, BM25 {REFERENCE['bm25']}, "
        f"RRF {REFERENCE['rrf']}",
    ]
    recall10, p95 = result["hybrid"]["recall@10"], search["p95"]
    holds = recall10 >= AIM_RECALL_AT_10 and p95 < AIM_P95_MS
    lines.append(f"aim: recall@10 >= {AIM_RECALL_AT_10} with p95 < {AIM_P95_MS:g} ms: recall@10 {recall10:.3f}, "
                 f"p95 {p95:.2f} ms: {'holds' if holds else 'does not hold'}")
    if "filter" in result:
        f = result["filter"]
        lines += ["", f"filtered HNSW k-NN, caller owns 1/{f['users']} of {f['rows']:,} rows, k={f['k']}, "
                      f"{f['queries']} random queries, recall vs exact:"]
        for mode, figures in f["modes"].items():
            lines.append(f"  hnsw.iterative_scan={mode:<14} recall {figures['recall']:.3f}, "
                         f"rows returned {figures['returned']:.1f}")
    return "\n".join(lines)
