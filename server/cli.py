"""The `mnemo` command: serve, chat, demo, keys, migrate, graph, bench."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta

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
    """Apply pending database migrations (the API also does it at startup)."""

    async def run() -> list:
        from memory.db import check_database
        from memory.embedded import resolve_service_urls
        from memory.migrate import migrate as apply

        settings = get_settings()
        urls = await asyncio.to_thread(resolve_service_urls, settings.database_url, settings.redis_url,
                                       settings.home_dir)
        await check_database(urls.database_url)
        return await apply(urls.database_url)

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
