"""Hybrid search over a user's memories and past messages, in one SQL round trip.

Each side (memories, messages) ranks candidates twice, then fuses the ranks (weighted reciprocal rank
fusion, k=10), scaled so that rank 1 in both lists scores 1.0:
- dense: pgvector cosine distance over the caller's own rows with a similarity floor. When the planner
  takes the HNSW index, `hnsw.iterative_scan` keeps scanning until enough of the caller's rows are
  found (without it a filtered scan returns fewer rows than asked once other users own most of the table);
- full text: every query word that is not a stop word in English or French becomes its own query (the
  OR of its English and French stems); a row scores the sum of the BM25 inverse document frequencies of
  the words it contains, so a word found in half of the user's rows (a name, "like") weighs little and a
  rare one decides. ts_rank_cd has no idf, and one capped OR scan let a common word (the speaker's
  name, in every LoCoMo turn) crowd out the rows holding the rare one.

Full-text cost is bounded: at most MAX_WORDS words, each word reads at most FULLTEXT_SCAN_CAP of the
user's matching rows (a word matching more says little about the query; the dense side still ranks
those rows), and the idf's document count stops at DOCS_CAP. At 100k memories for one user the
per-word scans cost about 2 ms more than the single OR scan they replaced (p50 11.8 vs 9.8 ms).

Measured with bench/retrieval.py on LoCoMo (dev split, recall@10 of message search): 0.54 before,
0.71 with idf ranking, k=10 and neighbours; the module's constants are the values that run chose.

Message hits are then smoothed over their thread: a message also earns NEIGHBOUR_WEIGHT of the fused
score of the turns just before and after it, so the answer to a matching question comes back too.

Only current memories come back: valid_until IS NULL (not superseded) and not past expires_at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from psycopg import AsyncConnection

from memory.memories import CURRENT

RRF_K = 10  # flatter (60) let a row ranked 40th on both sides beat the first of one side
CANDIDATES = 40  # per ranked list, before fusion
FULLTEXT_SCAN_CAP = 300  # rows read per query word, at most
MAX_WORDS = 16
DOCS_CAP = 1000  # rows counted for N, the idf's document count: enough for a rank, cheap at 100k rows
DENSE_WEIGHT = 1.0
TEXT_WEIGHT = 1.0
NEIGHBOUR_WEIGHT = 0.25
ITERATIVE_SCAN_SQL = "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)"

# The query's words that are not a stop word in either language (the French stemmer keeps "what",
# "do", "i"), each as the OR of its English and French stems: the two parses share the default parser's
# word positions, so a word is the pair of lexemes at one position (a stop word has none in its
# language). Two parses instead of four single-word queries per word (1.3 ms of a 10 ms search).
_WORDS_CTE = """
words AS MATERIALIZED (
  SELECT row_number() OVER () AS word, tsq FROM (
    SELECT DISTINCT plainto_tsquery('simple', e.lexeme) || plainto_tsquery('simple', f.lexeme) AS tsq
    FROM unnest(to_tsvector('english', left(%(text)s, 4000))) e
    JOIN unnest(to_tsvector('french', left(%(text)s, 4000))) f ON e.positions && f.positions
    LIMIT %(max_words)s) d
)"""

# {p}: CTE prefix; {table}; {where}: the caller's rows that may come back; {matches}: (word, id) of the
# full-text matches among them; {docs_where}: the rows the idf's document count N reads, the same ones
# but for the filters its index does not hold (N only needs to be about right; reading each row to
# check its expiry or time cost 3 ms at 100k memories).
_SIDE_CTES = """
{p}_vec AS (
  SELECT id, row_number() OVER (ORDER BY dist) AS rank FROM (
    SELECT id, embedding <=> %(vec)s AS dist FROM {table}
    WHERE {where} ORDER BY embedding <=> %(vec)s LIMIT %(n)s) v
  WHERE 1 - dist >= %(floor)s
),
{p}_match AS MATERIALIZED (
  SELECT word, id FROM {matches}
),
{p}_docs AS MATERIALIZED (
  SELECT greatest(count(*), 1) AS docs FROM (SELECT 1 FROM {table} WHERE {docs_where} LIMIT %(docs_cap)s) a
),
{p}_df AS MATERIALIZED (SELECT word, count(*) AS df FROM {p}_match GROUP BY word),
{p}_txt AS (
  SELECT id, row_number() OVER (ORDER BY score DESC) AS rank FROM (
    SELECT m.id, sum(ln(1 + (n.docs - d.df + 0.5) / (d.df + 0.5))) AS score
    FROM {p}_match m
    JOIN {p}_df d USING (word)
    CROSS JOIN {p}_docs n
    GROUP BY m.id ORDER BY score DESC LIMIT %(n)s) t
),
{p}_fused AS (
  SELECT id, sum(weight / (%(k)s + rank)) AS rrf FROM (
    SELECT id, rank, %(dense_weight)s AS weight FROM {p}_vec
    UNION ALL SELECT id, rank, %(text_weight)s FROM {p}_txt) u
  GROUP BY id
)"""

_OWNER = "tenant_id = %(tenant)s AND user_id = %(user)s"
_WHEN = """(%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
      AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)"""
_CATEGORIES = "(%(categories)s::text[] IS NULL OR category = ANY(%(categories)s))"
_MEMORY_WHERE = f"""{_OWNER} AND {CURRENT} AND {_CATEGORIES} AND {_WHEN}"""
_MEMORY_DOCS = f"{_OWNER} AND valid_until IS NULL AND {_CATEGORIES}"
_NOT_FORGOTTEN = """NOT (metadata @> '{"forgotten": true}')"""  # a message whose memory the user had forgotten
_MESSAGE_WHERE = f"""{_OWNER} AND {_NOT_FORGOTTEN}
      AND (%(thread)s::text IS NULL OR thread_id = %(thread)s)
      AND (%(exclude_thread)s::text IS NULL OR thread_id <> %(exclude_thread)s) AND {_WHEN}"""

# Full-text matches per word come from definer functions (migrations/009_search_definer.sql): under
# row-level security the planner will not use the GIN index for `tsv @@ query` (not leakproof), and a
# scan of all the user's rows per word cost 133-157 ms p50 at 100k memories. They apply the same filters
# as the WHERE clauses above, bound to the transaction's tenant; their ids are joined back under RLS.
_WORD_QUERIES = "(SELECT array_agg(tsq ORDER BY word) FROM words)"
_MEMORY_MATCHES = f"""mnemo_memory_text_matches(%(user)s, {_WORD_QUERIES}, %(cap)s, %(categories)s::text[],
      %(since)s::timestamptz, %(until)s::timestamptz)"""
_MESSAGE_MATCHES = f"""mnemo_message_text_matches(%(user)s, {_WORD_QUERIES}, %(cap)s, %(thread)s::text,
      %(exclude_thread)s::text, %(since)s::timestamptz, %(until)s::timestamptz)"""

_MEMORY_SELECT = """
SELECT 'memory'::text AS type, h.id, m.content, h.rrf, m.thread_id, m.category, m.created_at,
       m.metadata || jsonb_build_object('key', m.key, 'value', m.value, 'polarity', m.polarity,
                                        'confidence', m.confidence) AS metadata
FROM mem_fused h JOIN memories m ON m.id = h.id"""
# The turns just before and after each message candidate, in its thread and time window: a candidate
# passes NEIGHBOUR_WEIGHT of its fused score to them (they may be new rows: the reply to a hit).
_NEIGHBOUR_CTES = f"""
msg_adjacent AS (
  SELECT n.id, %(neighbour_weight)s * f.rrf AS rrf
  FROM msg_fused f JOIN messages c ON c.id = f.id
  CROSS JOIN LATERAL (
    (SELECT id FROM messages b WHERE b.thread_id = c.thread_id AND b.seq < c.seq AND {_WHEN} AND {_NOT_FORGOTTEN}
     ORDER BY b.seq DESC LIMIT 1)
    UNION ALL
    (SELECT id FROM messages a WHERE a.thread_id = c.thread_id AND a.seq > c.seq AND {_WHEN} AND {_NOT_FORGOTTEN}
     ORDER BY a.seq LIMIT 1)) n
),
msg_hits AS (
  SELECT id, sum(rrf) AS rrf FROM (SELECT id, rrf FROM msg_fused UNION ALL SELECT id, rrf FROM msg_adjacent) u
  GROUP BY id
)"""
_MESSAGE_SELECT = """
SELECT 'message'::text AS type, h.id, m.content, h.rrf, m.thread_id, NULL::text AS category, m.created_at,
       m.metadata || jsonb_build_object('role', m.role) AS metadata  -- the row's role wins over a metadata "role"
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
    ctes, selects = [_WORDS_CTE], []
    if "memory" in query.types:
        ctes.append(_SIDE_CTES.format(p="mem", table="memories", where=_MEMORY_WHERE, matches=_MEMORY_MATCHES,
                                       docs_where=_MEMORY_DOCS))
        selects.append(_MEMORY_SELECT)
    if "message" in query.types:
        ctes += [_SIDE_CTES.format(p="msg", table="messages", where=_MESSAGE_WHERE, matches=_MESSAGE_MATCHES,
                                   docs_where=_OWNER),
                 _NEIGHBOUR_CTES]
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
        "n": max(CANDIDATES, query.k), "floor": query.min_score, "k": RRF_K, "cap": FULLTEXT_SCAN_CAP,
        "docs_cap": DOCS_CAP, "max_words": MAX_WORDS, "dense_weight": DENSE_WEIGHT, "text_weight": TEXT_WEIGHT,
        "neighbour_weight": NEIGHBOUR_WEIGHT, "limit": query.k,
    }
    return sql, params


async def hybrid_search(conn: AsyncConnection, query: SearchQuery) -> list[dict]:
    """Fused hits, best first, each with `score` in (0, 1]."""
    sql, params = build_search_sql(query)
    # Never prepared: a prepared statement switches to a generic plan after five runs, and the generic
    # plan of this query (user and vector unknown) took 80 ms instead of 9 on LoCoMo.
    # Both statements go in one pipeline (one round trip). The setting is transaction-local: it ends
    # with the caller's tenant transaction (row-level security needs one), never staying on the pooled
    # connection.
    async with conn.pipeline():
        await conn.execute(ITERATIVE_SCAN_SQL, prepare=False)
        cursor = await conn.execute(sql, params, prepare=False)
    rows = await cursor.fetchall()
    best = (DENSE_WEIGHT + TEXT_WEIGHT) / (RRF_K + 1)
    for row in rows:
        row["score"] = round(min(1.0, float(row.pop("rrf")) / best), 4)
    return rows
