"""Running and looking after Mnemo: serve, worker, mcp, migrate, doctor, checkpoints prune."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import typer
from rich.console import Console

from core.config import get_settings
from core.logging import configure_logging
from server.cli.common import app, checkpoints_app, console, fail, run_async


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port."),
    local: bool = typer.Option(False, "--local", help="Allow one local user without an API key."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
    workers: int = typer.Option(1, help="API processes on this port, sharing one PostgreSQL and Redis."),
) -> None:
    """Serve the REST API (JSON and SSE) until SIGTERM or Ctrl-C."""
    from memory.cache import RedisUnavailable
    from memory.db import DatabaseUnavailable
    from memory.embedded import HomeUnusable
    from server.serving import port_in_use, run_api

    if workers < 1:
        fail("--workers must be 1 or more")
    if (reason := port_in_use(host, port)) is not None:  # said now, not after starting the services
        fail(reason)
    settings = get_settings().model_copy(update={"local_mode": True}) if local else get_settings()
    configure_logging(settings.log_format or "json", log_level)
    try:
        run_api(settings, host=host, port=port, workers=workers, log_level=log_level)
    except (DatabaseUnavailable, RedisUnavailable, HomeUnusable) as exc:  # preparing the shared services
        fail(str(exc))


@app.command()
def migrate() -> None:
    """Apply pending database migrations and create the checkpointer's and the background queue's tables
    (the API also does it at startup; the queue's only in background mode)."""

    async def run() -> list:
        from jobs.app import ensure_schema
        from memory.checkpointer import setup_checkpointer
        from memory.db import check_database
        from memory.embedded import resolve_service_urls
        from memory.migrate import migrate as apply

        settings = get_settings()
        urls = await asyncio.to_thread(resolve_service_urls, settings.database_url, settings.redis_url,
                                       settings.home_dir)
        admin_url = settings.admin_database_url or urls.database_url  # the owner creates, the app uses
        await check_database(admin_url)
        applied = await apply(admin_url)
        await setup_checkpointer(admin_url)  # LangGraph's checkpoint tables
        await ensure_schema(admin_url)  # the background queue's tables
        return applied

    applied = run_async(run())
    for m in applied:
        console.print(f"applied {m.version:03d}_{m.name}")
    console.print("database is up to date" if not applied else f"{len(applied)} migration(s) applied")


@app.command()
def doctor(as_json: bool = typer.Option(False, "--json", help="Print the rows as a JSON list, for scripts.")) -> None:
    """Check CPU, RAM, GPU, the local model's profile, the chat and embedding models, PostgreSQL, Redis and
    this process's memory: OK, WARN or FAIL with what to fix. Exits 1 when a check fails."""
    import contextlib
    import json
    import sys

    from rich.table import Table

    from server.doctor import as_json as rows_json
    from server.doctor import run_checks

    with contextlib.redirect_stdout(sys.stderr):  # stray prints of libraries never mix into the report
        rows = run_checks(get_settings())
    if as_json:
        print(json.dumps(rows_json(rows), indent=2))
    else:
        colour = {"OK": "green", "WARN": "yellow", "FAIL": "bold red"}
        table = Table(show_lines=True)
        for column in ("check", "status", "detail", "fix"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(r.check, f"[{colour[r.status]}]{r.status}[/]", r.detail, r.fix)
        (console if console.is_terminal else Console(width=120)).print(table, highlight=False)
    if any(r.status == "FAIL" for r in rows):
        raise typer.Exit(1)


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
        fail("--stalled-after must be at least twice --heartbeat, or live workers look dead")
    configure_logging(get_settings().log_format or "json", log_level)
    run_async(run_worker(get_settings(), concurrency=concurrency, once=once, heartbeat_s=heartbeat,
                    stalled_after_s=stalled_after, sweep_every_s=sweep_every))


@app.command()
def mcp(
    key: str | None = typer.Option(None, envvar="MNEMO_API_KEY", help="The Mnemo API key whose user the tools act "
                                                                      "for (not needed in local mode)."),
) -> None:
    """Serve Mnemo's memory as MCP tools over stdin/stdout, for desktop and IDE agents (their MCP config
    runs this command); the same tools are served over HTTP at /mcp by `mnemo serve`."""
    from server.memory_mcp import serve_stdio

    configure_logging(get_settings().log_format or "json", "warning")
    run_async(serve_stdio(get_settings(), key))


@checkpoints_app.command("prune")
def checkpoints_prune(
    keep: int = typer.Option(20, min=1, help="Newest checkpoints kept in every thread (the newest is its state)."),
    older_than_days: float = typer.Option(30.0, min=0, help="Only checkpoints older than this many days go."),
    thread: str | None = typer.Option(None, help="Prune one thread only."),
) -> None:
    """Delete old checkpoints (and their writes and orphaned blobs), then vacuum their tables; messages and
    memories are not touched."""

    from graphs.resources import open_resources
    from memory.checkpoint_retention import prune_checkpoints, vacuum_checkpoints

    async def prune():
        resources = await open_resources()
        try:
            async with resources.pool.connection() as conn:  # checkpoints are not tenant rows
                pruned = await prune_checkpoints(conn, keep=keep, older_than=timedelta(days=older_than_days),
                                                 thread_id=thread)
            if pruned.checkpoints:
                await vacuum_checkpoints(resources.admin_url)
            return pruned
        finally:
            await resources.close()

    result = run_async(prune())
    console.print(f"pruned {result.checkpoints} checkpoints ({result.writes} pending writes, {result.blobs} blobs) "
                  f"in {result.threads} threads", highlight=False)
