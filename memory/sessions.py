"""Sessions: windows of a user's activity, across threads, and their consolidation once they end.

A turn within the idle window (MNEMO_SESSION_IDLE_MINUTES) of the user's open session's last turn
extends it; a later turn closes it (`ended_at` = its last turn) and opens a new one. One open session
per user is an invariant of the database (a partial unique index): of two turns committing at once,
one inserts and the other, finding the conflict, extends the row the first one committed
(`record_turn`, called in the turn's own transaction, so a session counts only committed turns).

A session has ended once the idle window has passed since its last turn, whether a later turn closed
it or not. The workers' sweep queues the consolidation of ended sessions; `consolidate_session` first
closes the session (so no turn extends it meanwhile), re-reads its user messages in order, and:
- runs the extraction pipeline on those still waiting for it (`memory.consolidation.extract_messages`);
- re-runs extraction on each message with more of its thread as context than the turn had, and stores
  what that context adds (and only that: what the turn's own context also finds was the turn's to
  store, so a memory the user has since deleted or replaced does not come back);
- makes the last value the session stated for a single-valued key current again when an older
  message's value became current (background jobs finishing out of order);
- merges duplicate current memories (same category and polarity; values equal once case and accents
  are folded, or one value's words inside the other's for the same key): the oldest stays, the
  others are closed as superseded by it.
No stored memory is ever overwritten (memories are closed and added through `memory.memories`), and
nothing is changed that a later statement, correction or API call decided. The counts go into the
session row and `consolidated_at` marks it, in the transaction that writes the memories: a second
run, or a job delivered twice, writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import numpy as np
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from core.config import Settings
from memory.cache import refresh_context_memories
from memory.consolidation import ExtractionResources, extract_messages
from memory.db import tenant_connection
from memory.embeddings import aembed
from memory.extract_rules.folding import fold
from memory.extraction import aextract_memories, to_memory_ops
from memory.memories import ENDS_TEMPORARY, SINGLE_VALUED_KEYS, NewMemory, render, save_memories
from memory.users import lock_user

DEFAULT_IDLE_MINUTES = 30
RECORD_ATTEMPTS = 5  # each retry follows a concurrent turn's commit: two are the most a turn ever needs
TURN_CONTEXT = 2  # the earlier messages a turn's extraction reads (nodes/extract.py, memory/consolidation.py)
SESSION_CONTEXT = 8  # the earlier messages of its thread a message is read with when its session is consolidated
MAX_CHANGES = 100  # changes listed in the session's `consolidation` summary (the counts count them all)

SESSION_COLUMNS = """id, started_at, last_turn_at, ended_at, turns, learned, updated, forgotten, consolidated_at,
    consolidation"""

# ------------------------------------------------------------------------------------------- turns

OPEN_SESSION_SQL = """
SELECT id, last_turn_at FROM sessions WHERE tenant_id = %s AND user_id = %s AND ended_at IS NULL FOR UPDATE"""
EXTEND_SQL = """
UPDATE sessions SET last_turn_at = greatest(last_turn_at, %(at)s), started_at = least(started_at, %(at)s),
    turns = turns + 1, learned = learned + %(learned)s, updated = updated + %(updated)s,
    forgotten = forgotten + %(forgotten)s
WHERE id = %(id)s"""
CLOSE_SESSION_SQL = "UPDATE sessions SET ended_at = last_turn_at WHERE id = %s AND ended_at IS NULL"
OPEN_SQL = """
INSERT INTO sessions (tenant_id, user_id, started_at, last_turn_at, turns, learned, updated, forgotten)
VALUES (%(tenant)s, %(user)s, %(at)s, %(at)s, 1, %(learned)s, %(updated)s, %(forgotten)s)
ON CONFLICT (tenant_id, user_id) WHERE ended_at IS NULL DO NOTHING
RETURNING id"""


async def record_turn(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, at: datetime, learned: int = 0, updated: int = 0,
    forgotten: int = 0, idle_minutes: int = DEFAULT_IDLE_MINUTES,
) -> UUID:
    """Count one turn of the user at `at` (its user message's time) in their session; returns the session id.

    Extends the open session when its last turn is at most `idle_minutes` before `at`; otherwise closes
    it and opens a new one. Call inside the turn's transaction: the open session's row stays locked until
    it commits, so concurrent turns of one user are counted one after the other, in one session."""
    idle = timedelta(minutes=idle_minutes)
    counts = {"at": at, "learned": learned, "updated": updated, "forgotten": forgotten}
    for _ in range(RECORD_ATTEMPTS):
        current = await (await conn.execute(OPEN_SESSION_SQL, (tenant_id, user_id))).fetchone()
        if current is not None and at - current["last_turn_at"] <= idle:
            await conn.execute(EXTEND_SQL, {**counts, "id": current["id"]})
            return current["id"]
        if current is not None:
            await conn.execute(CLOSE_SESSION_SQL, (current["id"],))
        opened = await (await conn.execute(OPEN_SQL, {**counts, "tenant": tenant_id, "user": user_id})).fetchone()
        if opened is not None:
            return opened["id"]
        # A concurrent turn opened the user's session and committed since our read: extend that one.
    raise RuntimeError(f"no session recorded for {tenant_id}/{user_id} after {RECORD_ATTEMPTS} attempts")


# ------------------------------------------------------------------------------------------- reads

# An open session whose idle window has passed has ended too: its end is its last turn.
_SHOWN_COLUMNS = SESSION_COLUMNS.replace("ended_at", """coalesce(ended_at,
    CASE WHEN last_turn_at < now() - make_interval(mins => %(idle)s) THEN last_turn_at END) AS ended_at""")
LIST_SQL = f"""
SELECT {_SHOWN_COLUMNS} FROM sessions
WHERE tenant_id = %(tenant)s AND user_id = %(user)s
  AND (%(ts)s::timestamptz IS NULL OR (started_at, id) < (%(ts)s::timestamptz, %(id)s::uuid))
ORDER BY started_at DESC, id DESC LIMIT %(limit)s"""
ENDED_SQL = """
SELECT id, tenant_id, last_turn_at FROM mnemo_ended_sessions(%s) ORDER BY last_turn_at LIMIT %s"""


def _shown(row: dict) -> dict:
    """A session as answered: `ended` says whether the idle window has passed (or a later turn closed it)."""
    return {**row, "ended": row["ended_at"] is not None}


async def list_sessions(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, before: tuple[datetime, UUID] | None = None,
    limit: int = 50, idle_minutes: int = DEFAULT_IDLE_MINUTES,
) -> list[dict]:
    """The user's sessions, newest first, keyset-paginated on (started_at, id). `ended_at` is the last
    turn's time once the session has ended (idle for `idle_minutes`, or closed by a later turn), else None."""
    ts, ident = before if before else (None, None)
    params = {"tenant": tenant_id, "user": user_id, "ts": ts, "id": ident, "limit": limit, "idle": idle_minutes}
    return [_shown(r) for r in await (await conn.execute(LIST_SQL, params)).fetchall()]


async def ended_sessions_to_consolidate(conn: AsyncConnection, *, idle_minutes: int, limit: int = 1000) -> list[dict]:
    """Sessions of every tenant idle for `idle_minutes` and not consolidated, oldest first: {id, tenant_id,
    last_turn_at}, read through a SECURITY DEFINER function (migrations/007_sessions.sql), the only way
    the application role reads across tenants. Any pooled connection will do."""
    return await (await conn.execute(ENDED_SQL, (idle_minutes * 60.0, limit))).fetchall()


# ----------------------------------------------------------------------------------- consolidation

LOCK_SESSION_SQL = """
SELECT id, tenant_id, user_id, started_at, last_turn_at, ended_at, consolidated_at FROM sessions
WHERE id = %s FOR UPDATE"""
CLOSE_IF_IDLE_SQL = """
UPDATE sessions SET ended_at = last_turn_at
WHERE id = %s AND ended_at IS NULL AND last_turn_at < now() - make_interval(mins => %s)"""
# The session's user messages in order, each with the earlier messages of its thread. Imported threads
# are not activity: their messages keep the timestamps of another time.
SESSION_MESSAGES_SQL = """
SELECT m.id, m.thread_id, m.seq, m.content, m.created_at, m.extracted_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('role', c.role, 'content', c.content) ORDER BY c.seq)
                 FROM (SELECT e.role, e.content, e.seq FROM messages e
                       WHERE e.thread_id = m.thread_id AND e.seq < m.seq ORDER BY e.seq DESC LIMIT %(turns)s) c),
                '[]'::jsonb) AS context
FROM messages m JOIN threads t ON t.id = m.thread_id
WHERE m.tenant_id = %(tenant)s AND m.user_id = %(user)s AND m.role = 'user'
  AND m.created_at BETWEEN %(start)s AND %(end)s AND coalesce(t.metadata->>'imported', 'false') <> 'true'
ORDER BY m.created_at, m.seq"""
# A memory with the time it was said: its message's, or its own for one written by hand (the API, a
# correction) or whose message is gone.
_SAID = """mem.id, mem.category, mem.key, mem.value, mem.polarity, mem.confidence, mem.language, mem.metadata,
       mem.thread_id, mem.source_message_id, mem.created_at, mem.expires_at, mem.due_at, mem.embedding,
       coalesce(mem.expires_at <= now(), false) AS expired,
       CASE WHEN msg.id IS NULL OR mem.metadata ? 'corrected_from' THEN mem.created_at
            ELSE msg.created_at END AS said_at"""
SESSION_MEMORIES_SQL = f"""
SELECT {_SAID} FROM memories mem LEFT JOIN messages msg ON msg.id = mem.source_message_id
WHERE mem.tenant_id = %s AND mem.user_id = %s AND mem.source_message_id = ANY(%s)
ORDER BY said_at, mem.created_at, mem.id"""
CURRENT_SQL = f"""
SELECT {_SAID} FROM memories mem LEFT JOIN messages msg ON msg.id = mem.source_message_id
WHERE mem.tenant_id = %s AND mem.user_id = %s AND mem.valid_until IS NULL
  AND (mem.expires_at IS NULL OR mem.expires_at > now())"""
# Those of some keys, locked until the transaction ends (save_memories locks the same rows, in the same way).
CURRENT_OF_KEYS_SQL = f"{CURRENT_SQL} AND mem.key = ANY(%s) ORDER BY mem.created_at, mem.id FOR UPDATE OF mem"
LOCK_STILL_CURRENT_SQL = "SELECT id FROM memories WHERE id = ANY(%s) AND valid_until IS NULL ORDER BY id FOR UPDATE"
MERGE_SQL = """
UPDATE memories SET valid_until = now(), superseded_by = %s WHERE id = ANY(%s) AND valid_until IS NULL RETURNING id"""
MARK_CONSOLIDATED_SQL = """
UPDATE sessions SET learned = learned + %s, updated = updated + %s, consolidated_at = now(), consolidation = %s
WHERE id = %s"""
_WORDS = re.compile(r"\w+")


class SessionResources(ExtractionResources, Protocol):
    """What the consolidation job needs: the extraction resources and the settings (the idle window)."""

    settings: Settings


@dataclass(frozen=True)
class SessionMessage:
    id: UUID
    thread_id: str
    content: str
    created_at: datetime
    context: list[dict]


@dataclass
class Outcome:
    """What one consolidation did, for the session row and its summary."""

    messages: int = 0
    extracted: int = 0  # memories written by the pipeline for messages still waiting for it
    learned: int = 0
    updated: int = 0
    reordered: int = 0
    merged: int = 0
    changes: list[dict] = field(default_factory=list)

    def note(self, action: str, row: dict, **extra: Any) -> None:
        if len(self.changes) < MAX_CHANGES:
            self.changes.append({"action": action, "memory_id": str(row["id"]), "key": row["key"],
                                 "value": row["value"], **extra})

    def summary(self) -> dict:
        return {"messages": self.messages, "extracted": self.extracted, "learned": self.learned,
                "updated": self.updated, "reordered": self.reordered, "merged": self.merged,
                "changes": self.changes}

    @property
    def wrote(self) -> bool:
        return bool(self.extracted or self.learned or self.updated or self.reordered or self.merged)


def _sig(category: str, key: str, value: str, polarity: str) -> tuple[str, str, str, str]:
    return category, key, fold(value).strip(), polarity


def _words(value: str) -> list[str]:
    return _WORDS.findall(fold(value))


def _within(short: list[str], long: list[str]) -> bool:
    """`short`'s words appear, in order and together, inside the longer `long`."""
    n = len(short)
    return 0 < n < len(long) and any(long[i:i + n] == short for i in range(len(long) - n + 1))


def duplicates(a: dict, b: dict) -> bool:
    """Two current memories saying the same thing: same category and polarity, and values equal once case
    and accents are folded (for two different keys, only when neither holds a single value: a name and a
    city may be spelt the same) or, for the same key, one value's words inside the other's."""
    if a["category"] != b["category"] or a["polarity"] != b["polarity"]:
        return False
    wa, wb = _words(a["value"]), _words(b["value"])
    if a["key"] == b["key"]:
        return wa == wb or _within(wa, wb) or _within(wb, wa)
    return bool(wa) and wa == wb and a["key"] not in SINGLE_VALUED_KEYS and b["key"] not in SINGLE_VALUED_KEYS


def duplicate_groups(current: list[dict], involved: set[UUID]) -> list[list[dict]]:
    """Groups of duplicates (transitively) among `current`, oldest first, that hold a memory whose source
    message is in `involved`; each group's first memory is the one kept."""
    ordered = sorted(current, key=lambda r: (r["created_at"], str(r["id"])))
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            if duplicates(a, ordered[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[dict]] = {}
    for i, row in enumerate(ordered):
        groups.setdefault(root(i), []).append(row)
    return [g for g in groups.values() if len(g) > 1 and any(r["source_message_id"] in involved for r in g)]


def overridden(memory: NewMemory, said_at: datetime, current: list[dict]) -> bool:
    """A current memory stated after `said_at` would be closed by saving `memory`: the other value of a
    single-valued key, the other polarity of the same value, or the temporary state a move would end."""
    ended = ENDS_TEMPORARY.get(memory.key)
    value = fold(memory.value).strip()
    for row in current:
        if row["said_at"] <= said_at:
            continue
        if row["key"] == ended or (row["key"] == memory.key and (
                memory.key in SINGLE_VALUED_KEYS or fold(row["value"]).strip() == value)):
            return True
    return False


async def _current(conn: AsyncConnection, owner: tuple[str, str], key: str) -> list[dict]:
    """The user's current memories of `key` and of the temporary state it ends, locked until the
    transaction ends."""
    keys = [key, *([ENDS_TEMPORARY[key]] if key in ENDS_TEMPORARY else [])]
    return await (await conn.execute(CURRENT_OF_KEYS_SQL, (*owner, keys))).fetchall()


async def _read_session(res: ExtractionResources, session_id: UUID, tenant_id: str, idle_minutes: int
                        ) -> tuple[dict, list[SessionMessage]] | None:
    """Close the session if it has been idle long enough (a turn then opens a new one rather than extend
    it), and read it with its messages; None when it is unknown, still active or already consolidated."""
    async with tenant_connection(res.pool, tenant_id) as conn:
        await conn.execute(CLOSE_IF_IDLE_SQL, (session_id, idle_minutes))
        session = await (await conn.execute(LOCK_SESSION_SQL, (session_id,))).fetchone()
        if session is None or session["ended_at"] is None or session["consolidated_at"] is not None:
            return None
        rows = await (await conn.execute(SESSION_MESSAGES_SQL, {
            "turns": SESSION_CONTEXT, "tenant": session["tenant_id"], "user": session["user_id"],
            "start": session["started_at"], "end": session["last_turn_at"]})).fetchall()
    return session, rows


async def _context_finds(res: ExtractionResources, messages: list[SessionMessage]
                         ) -> list[tuple[SessionMessage, NewMemory]]:
    """For each message read with more earlier turns than its turn had: what extraction finds with the
    whole context and not with the turn's own (never a retraction: its turn decided what to forget)."""
    model, learned = res.extraction_model(), res.clause_model()
    found = []
    for message in messages:
        if len(message.context) <= TURN_CONTEXT:
            continue  # read exactly as its turn read it: nothing new to find
        turn = await aextract_memories(message.content, message.context[-TURN_CONTEXT:], model, learned)
        whole = await aextract_memories(message.content, message.context, model, learned)
        seen = {_sig(c["category"], c["key"], c["value"], c["polarity"]) for c in turn if c.get("action") != "forget"}
        for memory in to_memory_ops(whole, message.created_at).add:
            if _sig(memory.category, memory.key, memory.value, memory.polarity) not in seen:
                found.append((message, memory))
    return found


async def _learn(conn: AsyncConnection, owner: tuple[str, str], session_id: UUID,
                 finds: list[tuple[SessionMessage, NewMemory]], vectors: np.ndarray, out: Outcome) -> None:
    """Store, in message order, what the whole context found and nothing stores yet: not a restatement of a
    current memory, not already taken from that message, not overridden by a later statement."""
    ids = list({message.id for message, _ in finds})
    stored = await (await conn.execute(SESSION_MEMORIES_SQL, (*owner, ids))).fetchall() if ids else []
    taken = {(r["source_message_id"], *_sig(r["category"], r["key"], r["value"], r["polarity"])) for r in stored}
    for (message, memory), vector in zip(finds, vectors, strict=True):
        sig = _sig(memory.category, memory.key, memory.value, memory.polarity)
        if (message.id, *sig) in taken:
            continue
        current = await _current(conn, owner, memory.key)
        if any(_sig(r["category"], r["key"], r["value"], r["polarity"]) == sig for r in current):
            continue
        if overridden(memory, message.created_at, current):
            continue
        tagged = replace(memory, metadata={**(memory.metadata or {}), "session_id": str(session_id)})
        for row in await save_memories(conn, tenant_id=owner[0], user_id=owner[1], memories=[tagged],
                                       embeddings=vector[None, :], thread_id=message.thread_id,
                                       source_message_id=message.id):
            taken.add((message.id, *sig))
            if row["action"] == "added":
                out.learned += 1
                out.note("learned", row)
            else:
                out.updated += 1
                out.note("updated", row, supersedes=[str(i) for i in row["supersedes"]])


async def _reorder(res: ExtractionResources, conn: AsyncConnection, owner: tuple[str, str], session_id: UUID,
                   message_ids: list[UUID], out: Outcome) -> None:
    """For each single-valued key, the last value the session's messages stated is made current again where
    an older statement's value is current (jobs finishing out of order), unless something said after it
    (a later turn, a correction, the API) decided otherwise, or it has expired."""
    stated = await (await conn.execute(SESSION_MEMORIES_SQL, (*owner, message_ids))).fetchall()
    last: dict[str, dict] = {}
    for row in stated:  # in the order they were said
        if row["key"] in SINGLE_VALUED_KEYS:
            last[row["key"]] = row
    for key, row in last.items():
        if row["expired"]:
            continue
        current = await _current(conn, owner, key)
        mine = [r for r in current if r["key"] == key]
        if not mine or any((r["value"].lower(), r["polarity"]) == (row["value"].lower(), row["polarity"])
                           for r in mine):
            continue  # nothing current (retracted, deleted, expired) or already this value
        memory = NewMemory(category=row["category"], key=key, value=row["value"], polarity=row["polarity"],
                           confidence=row["confidence"], language=row["language"],
                           metadata={**row["metadata"], "session_id": str(session_id), "restated_from": str(row["id"])},
                           expires_at=row["expires_at"], due_at=row["due_at"])
        if overridden(memory, row["said_at"], current) or any(r["said_at"] >= row["said_at"] for r in mine):
            continue
        vector = row["embedding"]
        if vector is None:
            [vector] = await aembed(res.embedder, [render(memory.category, key, memory.value, memory.polarity)])
        for written in await save_memories(conn, tenant_id=owner[0], user_id=owner[1], memories=[memory],
                                           embeddings=np.asarray([vector]), thread_id=row["thread_id"],
                                           source_message_id=row["source_message_id"]):
            out.reordered += 1
            out.note("reordered", written, supersedes=[str(i) for i in written["supersedes"]])


async def _merge(conn: AsyncConnection, owner: tuple[str, str], message_ids: list[UUID], out: Outcome) -> None:
    """Close the duplicates among the user's current memories that involve the session, as superseded by
    the oldest of each group."""
    involved = set(message_ids)
    current = await (await conn.execute(CURRENT_SQL, owner)).fetchall()
    for group in duplicate_groups(current, involved):
        keep, others = group[0], [r["id"] for r in group[1:]]
        locked = await (await conn.execute(LOCK_STILL_CURRENT_SQL, ([keep["id"], *others],))).fetchall()
        live = {r["id"] for r in locked}
        if keep["id"] not in live:
            continue  # the memory to keep was closed meanwhile: this group stays as it is
        closed = await (await conn.execute(MERGE_SQL, (keep["id"], [i for i in others if i in live]))).fetchall()
        closed_ids = {r["id"] for r in closed}
        for row in group[1:]:
            if row["id"] in closed_ids:
                out.merged += 1
                out.note("merged", row, into=str(keep["id"]))


async def consolidate_session(
    res: ExtractionResources, *, session_id: UUID, tenant_id: str, idle_minutes: int = DEFAULT_IDLE_MINUTES,
) -> dict | None:
    """Consolidate one ended session (see the module docstring) and mark it; returns the summary written
    into the session row, or None when the session is unknown, not ended, or already consolidated (then
    nothing is written). Idempotent: the models run outside the transaction, then the session's row lock
    and a second look at `consolidated_at` let exactly one run write."""
    read = await _read_session(res, session_id, tenant_id, idle_minutes)
    if read is None:
        return None
    session, rows = read
    owner = (session["tenant_id"], session["user_id"])
    out = Outcome(messages=len(rows))
    pending = [r["id"] for r in rows if r["extracted_at"] is None]
    out.extracted = await extract_messages(res, pending, tenant_id) if pending else 0
    messages = [SessionMessage(r["id"], r["thread_id"], r["content"], r["created_at"], r["context"]) for r in rows]
    finds = await _context_finds(res, messages)
    texts = [render(m.category, m.key, m.value, m.polarity) for _, m in finds]
    vectors = await aembed(res.embedder, texts) if texts else np.empty((0, 0))
    message_ids = [m.id for m in messages]
    async with tenant_connection(res.pool, tenant_id) as conn:
        await lock_user(conn, tenant_id=owner[0], user_id=owner[1])  # before any row lock, as a turn does
        locked = await (await conn.execute(LOCK_SESSION_SQL, (session_id,))).fetchone()
        if locked is None or locked["consolidated_at"] is not None:
            return None
        if finds:
            await _learn(conn, owner, session_id, finds, vectors, out)
        if message_ids:
            await _reorder(res, conn, owner, session_id, message_ids, out)
            await _merge(conn, owner, message_ids, out)
        summary = out.summary()
        learned, updated = out.extracted + out.learned, out.updated + out.reordered + out.merged
        await conn.execute(MARK_CONSOLIDATED_SQL, (learned, updated, Jsonb(summary), session_id))
    if out.wrote:
        await refresh_context_memories(res, *owner)
    return summary
