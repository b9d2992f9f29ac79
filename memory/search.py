"""Hybrid search over a user's memories and past messages, in one SQL round trip.

Each side (memories, messages) ranks candidates twice: pgvector cosine distance (HNSW) with a
similarity floor, and PostgreSQL full-text (English and French stems, terms OR-ed so any shared word
counts). The ranks are fused with reciprocal rank fusion (k=60) and scaled so that rank 1 in both
lists scores 1.0. Superseded memories never come back.

Full-text cost is bounded: query words that are a stop word in English or French are dropped (the
French stemmer keeps "what", "do", "i"), and at most FULLTEXT_SCAN_CAP matching rows are ranked. A
word matching more rows than that says little about the query; the vector side still ranks them.
Measured on one user holding 100k memories (docs/benchmarks.md): p95 536 ms with neither, 14 ms with
a cap of 1000, 5.5 ms with 300.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from psycopg import AsyncConnection

RRF_K = 60
CANDIDATES = 40  # per ranked list, before fusion
FULLTEXT_SCAN_CAP = 300  # matching rows ranked by the full-text side, at most

# Words that are not a stop word in either language, then the OR of their stems in both
# (plainto_tsquery ANDs terms, which misses most paraphrases).
_QUERY_CTE = """
words AS (
  SELECT coalesce(string_agg(w, ' '), '') AS text
  FROM unnest(tsvector_to_array(to_tsvector('simple', %(text)s))) AS w
  WHERE numnode(plainto_tsquery('english', w)) > 0 AND numnode(plainto_tsquery('french', w)) > 0
),
q AS (
  SELECT (replace(plainto_tsquery('english', words.text)::text, '&', '|')::tsquery
       || replace(plainto_tsquery('french', words.text)::text, '&', '|')::tsquery) AS tsq
  FROM words
)"""

_MEMORY_CTES = """
mem_vec AS (
  SELECT id, row_number() OVER (ORDER BY dist) AS rank FROM (
    SELECT id, embedding <=> %(vec)s AS dist FROM memories
    WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND valid_until IS NULL
      AND (%(categories)s::text[] IS NULL OR category = ANY(%(categories)s))
      AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
      AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)
    ORDER BY embedding <=> %(vec)s LIMIT %(n)s) v
  WHERE 1 - dist >= %(floor)s
),
mem_txt AS (
  SELECT id, row_number() OVER (ORDER BY r DESC) AS rank FROM (
    SELECT id, ts_rank_cd(tsv, tsq) AS r FROM (
      SELECT id, tsv, q.tsq FROM memories, q
      WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND valid_until IS NULL AND tsv @@ q.tsq
        AND (%(categories)s::text[] IS NULL OR category = ANY(%(categories)s))
        AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
        AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)
      LIMIT %(cap)s) capped
    ORDER BY r DESC LIMIT %(n)s) t
),
mem_hits AS (
  SELECT 'memory'::text AS type, id, sum(1.0 / (%(k)s + rank)) AS rrf
  FROM (SELECT * FROM mem_vec UNION ALL SELECT * FROM mem_txt) u GROUP BY id
)"""

_MESSAGE_CTES = """
msg_vec AS (
  SELECT id, row_number() OVER (ORDER BY dist) AS rank FROM (
    SELECT id, embedding <=> %(vec)s AS dist FROM messages
    WHERE tenant_id = %(tenant)s AND user_id = %(user)s
      AND (%(thread)s::text IS NULL OR thread_id = %(thread)s)
      AND (%(exclude_thread)s::text IS NULL OR thread_id <> %(exclude_thread)s)
      AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
      AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)
    ORDER BY embedding <=> %(vec)s LIMIT %(n)s) v
  WHERE 1 - dist >= %(floor)s
),
msg_txt AS (
  SELECT id, row_number() OVER (ORDER BY r DESC) AS rank FROM (
    SELECT id, ts_rank_cd(tsv, tsq) AS r FROM (
      SELECT id, tsv, q.tsq FROM messages, q
      WHERE tenant_id = %(tenant)s AND user_id = %(user)s AND tsv @@ q.tsq
        AND (%(thread)s::text IS NULL OR thread_id = %(thread)s)
        AND (%(exclude_thread)s::text IS NULL OR thread_id <> %(exclude_thread)s)
        AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
        AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)
      LIMIT %(cap)s) capped
    ORDER BY r DESC LIMIT %(n)s) t
),
msg_hits AS (
  SELECT 'message'::text AS type, id, sum(1.0 / (%(k)s + rank)) AS rrf
  FROM (SELECT * FROM msg_vec UNION ALL SELECT * FROM msg_txt) u GROUP BY id
)"""

_MEMORY_SELECT = """
SELECT h.type, h.id, m.content, h.rrf, m.thread_id, m.category, m.created_at,
       jsonb_build_object('key', m.key, 'value', m.value, 'polarity', m.polarity,
                          'confidence', m.confidence) || m.metadata AS metadata
FROM mem_hits h JOIN memories m ON m.id = h.id"""
_MESSAGE_SELECT = """
SELECT h.type, h.id, m.content, h.rrf, m.thread_id, NULL::text AS category, m.created_at,
       jsonb_build_object('role', m.role) || m.metadata AS metadata
FROM msg_hits h JOIN messages m ON m.id = h.id"""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    embedding: np.ndarray
    tenant_id: str
    user_id: str
    k: int = 8
    types: tuple[str, ...] = ("memory", "message")
    categories: list[str] | None = None
    thread_id: str | None = None
    exclude_thread_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_score: float = 0.25


def build_search_sql(query: SearchQuery) -> tuple[str, dict]:
    """(sql, params) for one round trip; only the wanted sides are included."""
    ctes, selects = [_QUERY_CTE], []
    if "memory" in query.types:
        ctes.append(_MEMORY_CTES)
        selects.append(_MEMORY_SELECT)
    if "message" in query.types:
        ctes.append(_MESSAGE_CTES)
        selects.append(_MESSAGE_SELECT)
    if not selects:
        raise ValueError("types must include 'memory' or 'message'")
    sql = (
        "WITH " + ",".join(ctes)
        + "\nSELECT * FROM (" + "\nUNION ALL".join(selects) + ") hits ORDER BY rrf DESC, created_at DESC"
        + " LIMIT %(limit)s"
    )
    params = {
        "text": query.text, "vec": query.embedding, "tenant": query.tenant_id, "user": query.user_id,
        "categories": query.categories, "since": query.since, "until": query.until,
        "thread": query.thread_id, "exclude_thread": query.exclude_thread_id,
        "n": max(CANDIDATES, query.k), "floor": query.min_score, "k": RRF_K, "cap": FULLTEXT_SCAN_CAP, "limit": query.k,
    }
    return sql, params


async def hybrid_search(conn: AsyncConnection, query: SearchQuery) -> list[dict]:
    """Fused hits, best first, each with `score` in (0, 1]."""
    sql, params = build_search_sql(query)
    rows = await (await conn.execute(sql, params)).fetchall()
    best = 2.0 / (RRF_K + 1)
    return [{**row, "score": round(float(row.pop("rrf")) / best, 4)} for row in rows]
