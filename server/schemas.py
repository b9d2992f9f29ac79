"""Request and answer bodies of the public API, validated at the edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from memory.extract_rules import CATEGORIES
from nodes.agents import AGENTS

ThreadId = Field(default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
MEMORY_KEY = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or whitespace")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatRequest(Strict):
    message: str = Field(description="The user's message (length limit: MNEMO_MAX_MESSAGE_CHARS, 413 past it)")
    thread_id: str | None = ThreadId
    agent: str | None = Field(default=None, description=f"One of: {', '.join(AGENTS)}")
    stream: bool = False

    _message = field_validator("message")(_not_blank)

    @field_validator("agent")
    @classmethod
    def _known_agent(cls, value: str | None) -> str | None:
        if value is not None and value not in AGENTS:
            raise ValueError(f"unknown agent; known agents: {', '.join(AGENTS)}")
        return value


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = Field(description="US dollars; null when the model has no price in the pricing table")
    model: str


class ChatResponse(BaseModel):
    thread_id: str
    message_id: str
    reply: str
    agent: str
    hints: list[dict[str, Any]]
    memories: list[dict[str, Any]] = Field(description="memories this turn learned or updated")
    forgotten: list[dict[str, Any]] = Field(
        default_factory=list, description="memories deleted on request this turn: {id, category, key, value}")
    usage: Usage


class ImportMessage(Strict):
    role: Literal["user", "assistant", "system"]
    content: str
    created_at: datetime | None = None
    metadata: dict[str, Any] | None = None

    _content = field_validator("content")(_not_blank)


class ImportRequest(Strict):
    title: str | None = Field(default=None, max_length=200)
    messages: list[ImportMessage] = Field(min_length=1)
    extract: bool = False


class ImportResponse(BaseModel):
    thread_id: str
    imported: int
    remembered: int = Field(default=0, description="memories written when `extract` was true")


class SearchRequest(Strict):
    query: str = Field(max_length=2000)
    k: int = Field(default=8, ge=1, le=50)
    types: list[Literal["memory", "message"]] = Field(default=["memory", "message"], min_length=1)
    thread_id: str | None = ThreadId
    categories: list[Literal[CATEGORIES]] | None = Field(default=None, min_length=1)  # type: ignore[valid-type]
    since: datetime | None = Field(default=None, description="only rows created at or after this time")
    until: datetime | None = Field(default=None, description="only rows created before this time")
    min_score: float = Field(default=0.25, ge=0, le=1, description="cosine floor of the vector side")

    _query = field_validator("query")(_not_blank)

    @field_validator("until")
    @classmethod
    def _after_since(cls, value: datetime | None, info) -> datetime | None:
        since = info.data.get("since")
        comparable = value is not None and since is not None and (since.tzinfo is None) == (value.tzinfo is None)
        if comparable and value <= since:
            raise ValueError("must be later than since")
        return value


class SearchResult(BaseModel):
    type: Literal["memory", "message"]
    id: str
    content: str
    score: float = Field(description="fused rank score in (0, 1]; 1 is first on both the vector and text side")
    thread_id: str | None = None
    category: str | None = None
    created_at: datetime
    metadata: dict[str, Any]


class SearchResponse(BaseModel):
    results: list[SearchResult]
    took_ms: float


class MemoryCreate(Strict):
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    key: str = Field(min_length=1, max_length=100, pattern=MEMORY_KEY)
    value: str = Field(max_length=1000)
    polarity: Literal["positive", "negative"] = "positive"
    confidence: float = Field(default=0.9, ge=0, le=1)

    _value = field_validator("value")(_not_blank)


class MemoryPatch(Strict):
    """A correction: the fields given replace the current memory's; old and new value are recorded."""

    category: Literal[CATEGORIES] | None = None  # type: ignore[valid-type]
    key: str | None = Field(default=None, min_length=1, max_length=100, pattern=MEMORY_KEY)
    value: str | None = Field(default=None, max_length=1000)
    polarity: Literal["positive", "negative"] | None = None
    reason: str | None = Field(default=None, max_length=500)

    @field_validator("value")
    @classmethod
    def _value(cls, value: str | None) -> str | None:
        return None if value is None else _not_blank(value)


class ThreadPatch(Strict):
    """The fields given change; `title: null` clears the title, `starred` and `archived` take true or false."""

    title: str | None = Field(default=None, max_length=200)
    starred: bool = Field(default=None)  # type: ignore[assignment]  # absent: unchanged; null is refused (422)
    archived: bool = Field(default=None,  # type: ignore[assignment]
                           description="true consolidates the thread into memories, once")


class ContextTurn(Strict):
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=20000)


class ExtractRequest(Strict):
    text: str = Field(max_length=20000)
    context: list[ContextTurn] | None = Field(default=None, max_length=50)

    _text = field_validator("text")(_not_blank)


class HintFeedback(Strict):
    action: Literal["applied", "dismissed", "snoozed"]
    snooze_seconds: int | None = Field(
        default=None, ge=60, le=90 * 86400, description="How long a snoozed hint stays away (default one day)"
    )


# --- Threads, memories, the caller and usage (answers documented in OpenAPI) ---------------------

class Row(BaseModel):
    """A stored row as answered; columns added later still come through."""

    model_config = ConfigDict(extra="allow")


class Thread(Row):
    id: str
    title: str | None
    archived: bool
    starred: bool
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    consolidated_at: datetime | None = None


class ThreadPatched(Thread):
    consolidation: dict[str, Any] | None = Field(
        default=None, description="when archived: {already_consolidated, memories_written}")


class ThreadPage(BaseModel):
    items: list[Thread]
    next_cursor: str | None


class ThreadCreate(Strict):
    title: str | None = Field(default=None, max_length=200)
    metadata: dict[str, Any] | None = None


class ThreadArchive(Strict):
    thread_ids: list[str] = Field(min_length=1, max_length=100)


class ArchivedThread(BaseModel):
    thread_id: str
    consolidation: dict[str, Any] = Field(description="{already_consolidated, memories_written}")


class ArchiveResponse(BaseModel):
    items: list[ArchivedThread]


class Message(Row):
    id: str
    seq: int
    role: str
    content: str
    tokens: int | None = None
    model: str | None = None
    metadata: dict[str, Any]
    created_at: datetime


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None


class Checkpoint(BaseModel):
    id: str
    step: int | None
    node: str | None = Field(description="the node that ran last before this checkpoint")
    source: str | None
    created_at: datetime
    parent_id: str | None


class CheckpointPage(BaseModel):
    items: list[Checkpoint]
    next_cursor: str | None


class Memory(Row):
    id: str
    category: str
    key: str
    value: str
    polarity: str
    confidence: float
    content: str
    language: str | None = None
    thread_id: str | None = None
    source_message_id: str | None = None
    metadata: dict[str, Any]
    created_at: datetime
    valid_from: datetime
    valid_until: datetime | None = None
    superseded_by: str | None = None
    expires_at: datetime | None = None
    due_at: datetime | None = None


class CorrectedMemory(Memory):
    correction: dict[str, Any] | None = Field(description="old and new value, or null when nothing changed")


class MemoryPage(BaseModel):
    items: list[Memory]
    next_cursor: str | None


class MemoryBulkCreate(Strict):
    items: list[MemoryCreate] = Field(min_length=1, max_length=100)


class MemoryBulkCreated(BaseModel):
    ids: list[str] = Field(description="one per item, in order; a restatement gives the memory already stored")
    created: int = Field(description="memories written (restatements write nothing)")


class CategoryCounts(BaseModel):
    current: int
    superseded: int


class HintCounts(BaseModel):
    shown: int = Field(description="hints offered to the user")
    applied: int
    dismissed: int
    snoozed: int


class CacheCounts(BaseModel):
    hits: int
    misses: int
    errors: int
    hit_rate: float | None = Field(description="hits / (hits + misses); null before any lookup")


class MemoryStats(BaseModel):
    by_category: dict[str, CategoryCounts]
    current: int
    superseded: int = Field(description="no longer current: replaced, corrected or expired")
    corrections: int
    oldest: datetime | None
    newest: datetime | None
    by_source: dict[str, int] = Field(description="memories (all versions) by who wrote them: rules, learned, "
                                                   "model (extraction), other (the API, consolidation)")
    hints: HintCounts
    cache: CacheCounts = Field(description="this API process's preference-cache lookups since it started "
                                           "(all users): Prometheus has the fleet's")


class MemoryVersion(Memory):
    is_current: bool


class MemoryCorrection(BaseModel):
    id: str
    memory_id: str | None = Field(description="the corrected version")
    new_memory_id: str | None = Field(description="the version that replaced it")
    old_category: str
    old_value: str
    old_polarity: str
    new_category: str
    new_value: str
    new_polarity: str
    reason: str | None
    created_at: datetime


class MemoryHistory(BaseModel):
    versions: list[MemoryVersion] = Field(description="every version of the memory, oldest first")
    corrections: list[MemoryCorrection] = Field(description="corrections between versions, oldest first")


class MemoryForget(Strict):
    ids: list[UUID] = Field(min_length=1, max_length=200)


class MemoriesForgotten(BaseModel):
    forgotten: int = Field(description="memories deleted (ids that were not the caller's are not counted)")


class Export(BaseModel):
    exported_at: datetime
    user: dict[str, Any] | None
    api_keys: list[dict[str, Any]]
    threads: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    memories: list[dict[str, Any]] = Field(description="every memory, history included")
    corrections: list[dict[str, Any]]
    hints: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    sessions: list[dict[str, Any]] = Field(default_factory=list, description="activity windows and what each "
                                           "consolidation did")


class UsageDay(BaseModel):
    day: date
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float = Field(description="US dollars of the priced calls")
    unpriced_calls: int = Field(description="calls to a model with no price in the pricing table")


class UsageTotals(BaseModel):
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    unpriced_calls: int


class UsageReport(BaseModel):
    since: date
    until: date
    items: list[UsageDay] = Field(description="per UTC day and model, newest day first")
    totals: UsageTotals


class Session(BaseModel):
    """A window of the user's activity: it ends after MNEMO_SESSION_IDLE_MINUTES without a turn."""

    id: str
    started_at: datetime = Field(description="the first turn's time")
    last_turn_at: datetime
    ended_at: datetime | None = Field(description="the last turn's time once the session has ended, else null")
    ended: bool
    turns: int
    learned: int = Field(description="memories added by the session's turns and its consolidation")
    updated: int = Field(description="memories that replaced or merged others (turns and consolidation)")
    forgotten: int = Field(description="memories deleted at the user's request")
    consolidated_at: datetime | None = Field(description="when the background consolidation ran (once)")
    consolidation: dict[str, Any] | None = Field(
        description="what it did: {messages, extracted, learned, updated, reordered, merged, changes: "
        "[{action, memory_id, key, value, ...}]}")


class SessionPage(BaseModel):
    items: list[Session] = Field(description="newest first")
    next_cursor: str | None
