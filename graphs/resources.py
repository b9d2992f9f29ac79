"""Everything a turn needs that outlives it: pool, Redis, embedder, checkpointer, chat models.

The FastAPI lifespan opens one `Resources` and closes it; the LangGraph server (langgraph.json) uses
`shared_resources()`, opened lazily once per process from the same settings.

A contract module of the graph (see graphs/__init__.py): nodes import it, so it imports nothing above
jobs/.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

import psycopg
import redis.asyncio as aioredis
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from core.config import Settings, get_settings
from core.tasks import TaskSet
from jobs.app import ensure_schema as ensure_queue_schema
from memory.cache import PreferenceCache, connect_redis
from memory.checkpointer import open_checkpointer
from memory.db import APP_ROLE, DatabaseUnavailable, allow_app_login, check_database, login_as, open_pool
from memory.embedded import ServiceUrls, resolve_service_urls
from memory.embeddings import Embedder, default_embedder
from memory.learned.model import ClauseModel, load_model
from memory.message_vectors import sweep_on_start
from memory.migrate import migrate
from models.registry import ModelOptions, get_chat_model, warm_up

log = logging.getLogger(__name__)

EMBEDDING_META_SQL = """
INSERT INTO mnemo_meta (key, value) VALUES ('embedding_model', %s), ('embedding_dim', %s)
ON CONFLICT (key) DO NOTHING"""
READ_META_SQL = "SELECT key, value FROM mnemo_meta WHERE key IN ('embedding_model', 'embedding_dim')"


@dataclass
class Resources:
    settings: Settings
    urls: ServiceUrls
    pool: AsyncConnectionPool
    redis: aioredis.Redis
    cache: PreferenceCache
    embedder: Embedder
    checkpointer: AsyncPostgresSaver
    admin_url: str  # the owner's: migrations, the checkpointer's and the queue's tables (not for requests)
    background: TaskSet = field(default_factory=TaskSet)  # work after a turn's answer (the reply's vector)

    def chat_model(
        self, spec: str | None = None, *, temperature: float | None = None, max_tokens: int | None = None
    ) -> BaseChatModel:
        """The model (or fallback chain) for `spec`, or the configured default; the registry builds each
        distinct one once per process."""
        return get_chat_model(spec or self.settings.chat_model, model_options(self.settings, temperature, max_tokens))

    def extraction_model(self) -> BaseChatModel | None:
        """The model of the extraction pass (MNEMO_EXTRACTION_MODEL), or None: rules only."""
        return self.chat_model(self.settings.extraction_model) if self.settings.extraction_model else None

    def clause_model(self) -> ClauseModel | None:
        """The learned extraction stage (the bundled clause classifier), or None when MNEMO_EXTRACTION_LEARNED
        is off."""
        return load_model() if self.settings.extraction_learned else None

    def with_settings(self, **changes: object) -> Resources:
        """The same pool, Redis, embedder and checkpointer under other settings (another chat model)."""
        return replace(self, settings=self.settings.model_copy(update=changes))

    async def close(self) -> None:
        await self.background.drain(self.settings.shutdown_grace_seconds)
        await self.redis.aclose()
        await self.pool.close()


def model_options(settings: Settings, temperature: float | None = None, max_tokens: int | None = None) -> ModelOptions:
    """How to call models under these settings; temperature/max_tokens: an agent's own, else defaults."""
    return ModelOptions(
        temperature=temperature, max_tokens=max_tokens or settings.max_output_tokens,
        timeout_s=settings.model_timeout_seconds, max_retries=settings.model_max_retries,
        local=(("n_threads", settings.model_threads), ("n_ctx", settings.model_ctx),
               ("n_gpu_layers", settings.model_gpu_layers), ("n_batch", settings.model_batch),
               ("hardware_profile", settings.model_profile), ("prefix_cache", settings.model_prefix_cache)),
    )


async def _record_embedding_model(admin_url: str, embedder: Embedder) -> None:
    """Refuse to mix vectors of two embedding models in one database (mnemo_meta is the owner's to write)."""
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True, row_factory=dict_row) as conn:
        await conn.execute(EMBEDDING_META_SQL, (embedder.name, str(embedder.dim)))
        meta = {r["key"]: r["value"] for r in await (await conn.execute(READ_META_SQL)).fetchall()}
    if meta != {"embedding_model": embedder.name, "embedding_dim": str(embedder.dim)}:
        raise DatabaseUnavailable(
            f"This database holds {meta['embedding_model']} vectors ({meta['embedding_dim']}-d) but Mnemo is "
            f"configured with {embedder.name} ({embedder.dim}-d): use the same embedding model or a new database."
        )


async def open_resources(settings: Settings | None = None, *, warm_model: bool = False) -> Resources:
    """Start or reach the services, migrate, and open pools. Raises with a message naming what to set."""
    settings = settings or get_settings()
    urls = await asyncio.to_thread(
        resolve_service_urls, settings.database_url, settings.redis_url, settings.home_dir
    )
    admin_url = settings.admin_database_url or urls.database_url
    await check_database(urls.database_url)
    applied = await migrate(admin_url)
    if applied:
        log.info("applied migrations: %s", ", ".join(f"{m.version:03d}_{m.name}" for m in applied))
    if settings.extraction == "background":  # turns enqueue jobs in their own transaction
        await ensure_queue_schema(admin_url)
    app_url = urls.database_url
    if "postgres" in urls.embedded:  # our own server: the pool logs in as the application role itself
        await allow_app_login(admin_url)
        app_url = login_as(urls.database_url, APP_ROLE)
    embedder = await asyncio.to_thread(default_embedder)
    await _record_embedding_model(admin_url, embedder)
    redis = await connect_redis(urls.redis_url)
    pool = await open_pool(app_url, max_size=settings.pool_max_size, timeout=settings.pool_timeout_seconds)
    try:
        checkpointer = await open_checkpointer(pool, admin_url)
    except BaseException:
        await pool.close()
        await redis.aclose()
        raise
    resources = Resources(
        settings=settings, urls=urls, pool=pool, redis=redis,
        cache=PreferenceCache(redis, settings.prefs_ttl_seconds), embedder=embedder, checkpointer=checkpointer,
        admin_url=admin_url,
    )
    # replies a process stored but did not live to embed (memory.message_vectors)
    resources.background.start(sweep_on_start(pool, embedder), name="sweep-unembedded")
    if warm_model:
        await asyncio.to_thread(lambda: warm_up(resources.chat_model()))
    return resources


_shared: Resources | None = None
_shared_lock = asyncio.Lock()


async def shared_resources() -> Resources:
    """The process-wide resources for graphs served by `langgraph dev` / the LangGraph server."""
    global _shared
    async with _shared_lock:
        if _shared is None:
            _shared = await open_resources()
        return _shared
