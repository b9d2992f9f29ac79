"""The `mnemo` command: serve, chat, demo, keys, migrate, graph, bench, worker."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.config import get_settings

app = typer.Typer(help="Mnemo: a conversational agent runtime with memory.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: print figures next to a baseline measured in the same run.",
                        no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(bench_app, name="bench")
console = Console()


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def _run(coro):
    """Run a coroutine; configuration errors become one red line, not a trace."""
    from memory.cache import RedisUnavailable
    from memory.db import DatabaseUnavailable
    from memory.embeddings import EmbeddingModelMissing
    from models.registry import ModelConfigError

    try:
        return asyncio.run(coro)
    except (DatabaseUnavailable, RedisUnavailable, EmbeddingModelMissing, ModelConfigError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port."),
    local: bool = typer.Option(False, "--local", help="Allow one local user without an API key."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the REST API (JSON and SSE)."""
    import uvicorn

    if local:
        os.environ["MNEMO_LOCAL_MODE"] = "true"
        get_settings.cache_clear()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run("server.app:create_app", factory=True, host=host, port=port, log_level=log_level)


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Option(..., help="Tenant the key belongs to."),
    user: str = typer.Option(..., help="User the key acts as."),
    name: str | None = typer.Option(None, help="A label for the key."),
    expires_days: int | None = typer.Option(None, help="Days until the key expires (default: never)."),
) -> None:
    """Create an API key; the key is the last line printed (it is not stored, only its hash)."""

    async def create() -> str:
        from graphs.resources import open_resources
        from memory.users import create_api_key

        resources = await open_resources()
        try:
            expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
            async with resources.pool.connection() as conn:
                return await create_api_key(conn, tenant_id=tenant, user_id=user, name=name, expires_at=expires)
        finally:
            await resources.close()

    key = _run(create())
    console.print(f"API key for tenant [bold]{tenant}[/], user [bold]{user}[/] (shown once):", highlight=False)
    print(key)


@app.command()
def migrate() -> None:
    """Apply pending database migrations and create the background queue's tables (the API also does
    it at startup; the queue's only in background mode)."""

    async def run() -> list:
        from jobs.app import ensure_schema
        from memory.db import check_database
        from memory.embedded import resolve_service_urls
        from memory.migrate import migrate as apply

        settings = get_settings()
        urls = await asyncio.to_thread(resolve_service_urls, settings.database_url, settings.redis_url,
                                       settings.home_dir)
        await check_database(urls.database_url)
        applied = await apply(urls.database_url)
        await ensure_schema(urls.database_url)  # the background queue's tables
        return applied

    applied = _run(run())
    for m in applied:
        console.print(f"applied {m.version:03d}_{m.name}")
    console.print("database is up to date" if not applied else f"{len(applied)} migration(s) applied")


@app.command()
def graph(fmt: str = typer.Option("mermaid", "--format", help="mermaid or ascii")) -> None:
    """Print the turn graph (offline: mermaid text or ASCII art)."""
    from graphs.turn import build_turn_graph

    drawable = build_turn_graph().compile().get_graph()
    if fmt not in ("mermaid", "ascii"):
        _fail("--format must be mermaid or ascii")
    print(drawable.draw_mermaid() if fmt == "mermaid" else drawable.draw_ascii())


@app.command()
def chat(
    thread: str | None = typer.Option(None, help="Continue this thread id (default: a new thread)."),
    agent: str | None = typer.Option(None, help="Force an agent (assistant, coder, planner)."),
    user: str = typer.Option("local", help="User id the memories belong to."),
    tenant: str = typer.Option("default", help="Tenant id."),
) -> None:
    """Talk to Mnemo in the terminal: tokens stream, then hints and what was remembered."""
    from server.terminal import chat_loop

    _run(chat_loop(console, thread_id=thread or str(uuid.uuid4()), agent=agent, user_id=user,
                   tenant_id=tenant))


@app.command()
def demo(
    model: str | None = typer.Option(None, help="Chat model for the demo (default: MNEMO_CHAT_MODEL, local)."),
) -> None:
    """A scripted conversation across two threads that shows memory at work, offline."""
    from server.demo import run_demo

    if model:
        os.environ["MNEMO_CHAT_MODEL"] = model
        get_settings.cache_clear()
    _run(run_demo(console))


@bench_app.command("turn")
def bench_turn(
    turns: int = typer.Option(200, help="Turns measured for each graph."),
    memories: int = typer.Option(100_000, help="Memories in the database for the retrieval figure."),
    queries: int = typer.Option(300, help="Retrieval queries measured."),
) -> None:
    """p50/p95 of a full turn (fake model) next to a one-node graph on the same checkpointer, and
    retrieval p50/p95 with many memories in the database."""
    from bench.turn import run_turn_bench

    _run(run_turn_bench(console, turns=turns, memories=memories, queries=queries))


@bench_app.command("extraction")
def bench_extraction(
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Single-message corpus (JSON Lines).")],
    sequences: Annotated[Path | None, typer.Option(
        dir_okay=False, help="Conversations file; default: <data stem>_sequences.jsonl beside it.")] = None,
    ids: str | None = typer.Option(None, help="Score a subset, e.g. dev-001..dev-080."),
    show_tags: bool = typer.Option(False, help="Also print figures per tag."),
    failures: bool = typer.Option(False, help="Print the sequences that end wrong."),
) -> None:
    """Precision and recall of extraction on single messages (rules only unless MNEMO_EXTRACTION_MODEL
    is set), then conversations played through the turn graph: final-state recall and must-not score."""
    from rich.progress import Progress

    from bench.extraction import format_report, load_items, run_messages, select_ids
    from bench.sequences import format_sequences, run_sequences
    from graphs.resources import open_resources

    subset = select_ids(load_items(data), ids) if ids else None
    console.print(format_report(run_messages(data, subset), title=f"extraction {data.name}", show_tags=show_tags),
                  markup=False, highlight=False)
    sequences = sequences or data.with_name(f"{data.stem}_sequences.jsonl")
    if not sequences.exists():
        console.print(f"(no sequences file at {sequences}: skipped)")
        return

    async def play() -> dict:
        resources = await open_resources()
        try:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("playing conversations", total=None)
                return await run_sequences(resources, sequences,
                                           progress=lambda done, total: bar.update(task, completed=done, total=total))
        finally:
            await resources.close()

    console.print(format_sequences(_run(play()), show_failures=failures), markup=False, highlight=False)


@bench_app.command("retrieval")
def bench_retrieval(
    locomo: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="LoCoMo JSON file (locomo_dev.json).")],
    conversations: int | None = typer.Option(None, help="Only the first N conversations."),
    filter_users: int = typer.Option(50, help="Also measure filtered HNSW recall with this many users (0: skip)."),
    filter_per_user: int = typer.Option(200, help="Rows per user for the filter measure."),
) -> None:
    """Recall@5/10/20 and search p50/p95 of hybrid search on LoCoMo (imported and searched through the
    product's own paths), next to an exact dense-only baseline computed in the same run."""
    from bench.retrieval import arun, format_report

    result = _run(arun(locomo, conversations=conversations, filter_users=filter_users,
                       filter_per_user=filter_per_user))
    console.print(format_report(result), markup=False, highlight=False)


@bench_app.command("preferences")
def bench_preferences(
    users: int = typer.Option(40, help="Simulated users."),
    seed: int = typer.Option(20261121, help="Random seed of the simulated day."),
) -> None:
    """Preference cache hit rate over a simulated day of sessions (real Redis and PostgreSQL, time sped
    up with the TTL scaled alike), and stale reads checked against PostgreSQL after every read."""
    from bench.preferences import format_report, run

    console.print(format_report(_run(run(users=users, seed=seed))), markup=False, highlight=False)


@app.command()
def worker(
    concurrency: int = typer.Option(2, help="Jobs this process runs at once."),
    once: bool = typer.Option(False, "--once", help="Run the jobs waiting now, then exit."),
    heartbeat: float = typer.Option(10.0, help="Seconds between this worker's heartbeats."),
    stalled_after: float = typer.Option(30.0, help="Seconds of silence after which a worker's jobs run again "
                                                   "(the same for every worker)."),
    sweep_every: float = typer.Option(60.0, help="Seconds between stalled-job and pending-message sweeps."),
    log_level: str = typer.Option("info", help="Log level."),
) -> None:
    """Run background jobs (model-based extraction) until SIGTERM; start as many as the load needs."""
    from server.worker import run_worker

    if stalled_after < 2 * heartbeat:
        _fail("--stalled-after must be at least twice --heartbeat, or live workers look dead")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _run(run_worker(get_settings(), concurrency=concurrency, once=once, heartbeat_s=heartbeat,
                    stalled_after_s=stalled_after, sweep_every_s=sweep_every))
