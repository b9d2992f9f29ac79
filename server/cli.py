"""The `mnemo` command: serve, chat, demo, keys, migrate, graph, bench, worker."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.config import get_settings
from core.logging import configure_logging

app = typer.Typer(help="Mnemo: a conversational agent runtime with memory.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks: print figures next to a baseline measured in the same run.",
                        no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(bench_app, name="bench")
checkpoints_app = typer.Typer(help="LangGraph checkpoints: retention.", no_args_is_help=True)
app.add_typer(checkpoints_app, name="checkpoints")
train_app = typer.Typer(help="Train the learned parts from the repository's own data.", no_args_is_help=True)
app.add_typer(train_app, name="train")
DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "extraction"  # the corpus of data/extraction/README.md
console = Console()


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def _run(coro):
    """Run a coroutine; configuration errors become one red line, not a trace."""
    from memory.cache import RedisUnavailable
    from memory.db import DatabaseUnavailable
    from memory.embedded import HomeUnusable
    from memory.embeddings import EmbeddingModelMissing
    from models.registry import ModelConfigError

    try:
        return asyncio.run(coro)
    except (DatabaseUnavailable, RedisUnavailable, EmbeddingModelMissing, ModelConfigError, HomeUnusable) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


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
        _fail("--workers must be 1 or more")
    if (reason := port_in_use(host, port)) is not None:  # said now, not after starting the services
        _fail(reason)
    if local:
        os.environ["MNEMO_LOCAL_MODE"] = "true"
        get_settings.cache_clear()
    configure_logging(get_settings().log_format or "json", log_level)
    try:
        run_api(get_settings(), host=host, port=port, workers=workers, log_level=log_level)
    except (DatabaseUnavailable, RedisUnavailable, HomeUnusable) as exc:  # preparing the shared services
        _fail(str(exc))


async def _with_pool(work):
    """Run `work(pool)` on the application's pool (row-level security applies, as in the API)."""
    from graphs.resources import open_resources

    resources = await open_resources()
    try:
        return await work(resources.pool)
    finally:
        await resources.close()


def _expiry(expires_days: int | None, expires_at: str | None) -> datetime | None:
    """--expires-days N or --expires-at DATE (ISO 8601; a date alone is midnight UTC), never both."""
    if expires_days is not None and expires_at is not None:
        _fail("give --expires-days or --expires-at, not both")
    if expires_days is not None:
        if expires_days <= 0:
            _fail("--expires-days must be a positive number of days")
        return datetime.now(UTC) + timedelta(days=expires_days)
    if expires_at is None:
        return None
    try:
        when = datetime.fromisoformat(expires_at)
    except ValueError:
        _fail(f"--expires-at {expires_at!r} is not an ISO 8601 date or time (e.g. 2026-12-31)")
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= datetime.now(UTC):
        _fail(f"--expires-at {expires_at} is in the past")
    return when


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Option(..., help="Tenant the key belongs to."),
    user: str = typer.Option(..., help="User the key acts as."),
    name: str | None = typer.Option(None, help="A label for the key."),
    expires_days: int | None = typer.Option(None, help="Days until the key expires (default: never)."),
    expires_at: str | None = typer.Option(None, help="Expiry as an ISO 8601 date or time, e.g. 2026-12-31 (UTC)."),
) -> None:
    """Create an API key; the key is the last line printed (it is not stored, only its hash)."""
    from memory.db import tenant_connection
    from memory.users import create_api_key

    expires = _expiry(expires_days, expires_at)

    async def create(pool) -> str:
        async with tenant_connection(pool, tenant) as conn:
            return await create_api_key(conn, tenant_id=tenant, user_id=user, name=name, expires_at=expires)

    key = _run(_with_pool(create))
    console.print(f"API key for tenant [bold]{tenant}[/], user [bold]{user}[/] (shown once):", highlight=False)
    print(key)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@keys_app.command("list")
def keys_list(
    tenant: str = typer.Option(..., help="Tenant whose keys are listed."),
    user: str | None = typer.Option(None, help="Only this user's keys."),
) -> None:
    """The tenant's keys: id, prefix, user, name, created, expires, revoked (never the key itself)."""
    from rich.table import Table

    from memory.db import tenant_connection
    from memory.users import list_keys

    async def fetch(pool) -> list[dict]:
        async with tenant_connection(pool, tenant) as conn:
            return await list_keys(conn, tenant_id=tenant, user_id=user)

    rows = _run(_with_pool(fetch))
    if not rows:
        console.print(f"no keys for tenant {tenant}" + (f", user {user}" if user else ""), highlight=False)
        return
    table = Table("id", "prefix", "user", "name", "created", "expires", "revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["prefix"], r["user_id"], r["name"] or "", _when(r["created_at"]),
                      _when(r["expires_at"]), _when(r["revoked_at"]))
    Console(width=200).print(table, highlight=False)


@keys_app.command("revoke")
def keys_revoke(
    key: str = typer.Argument(..., help="The key's id or its prefix, as `mnemo keys list` shows them."),
    tenant: str | None = typer.Option(None, help="Tenant of the key (needed when a prefix is in several)."),
) -> None:
    """Revoke a key: requests with it get 401 from now on. The row stays, for the audit trail."""
    from memory.db import tenant_connection
    from memory.users import key_tenants, revoke_key

    async def revoke(pool) -> list[dict] | str:
        owner = tenant
        if owner is None:
            async with pool.connection() as conn:  # no tenant yet: a SECURITY DEFINER lookup
                tenants = {t for _, t in await key_tenants(conn, key)}
            if len(tenants) > 1:
                return f"{key} matches keys of several tenants ({', '.join(sorted(tenants))}): add --tenant"
            if not tenants:
                return f"no key with id or prefix {key}"
            owner = tenants.pop()
        async with tenant_connection(pool, owner) as conn:
            revoked = await revoke_key(conn, tenant_id=owner, id_or_prefix=key)
        return revoked or f"no key with id or prefix {key} in tenant {owner}"

    result = _run(_with_pool(revoke))
    if isinstance(result, str):
        _fail(result)
    for r in result:
        console.print(f"revoked {r['id']} ({r['prefix']}, tenant {r['tenant_id']}, user {r['user_id']})",
                      highlight=False)


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

    applied = _run(run())
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


@bench_app.command("growth")
def bench_growth(
    turns: int = typer.Option(1000, min=15, help="Turns on each thread (Mnemo's and the stock graph's)."),
) -> None:
    """Turn time and checkpoint bytes per turn near turn 10 and at the last turn of one long thread, Mnemo
    beside a stock 7-node LangGraph graph on the same checkpointer."""
    from bench.growth import run_growth_bench

    _run(run_growth_bench(console, turns=turns))


@bench_app.command("concurrency")
def bench_concurrency(
    turns: int = typer.Option(10, min=1, help="Turns each thread runs, one after another."),
    levels: str = typer.Option("1,4,16", help="Threads at once, comma-separated."),
) -> None:
    """Turns/s of Mnemo and of a stock 7-node graph at 1, 4 and 16 concurrent threads, and POST /v1/chat's
    p50 beside the in-process turn's."""
    from bench.concurrency import run_concurrency_bench

    try:
        chosen = tuple(int(n) for n in levels.split(","))
    except ValueError:
        _fail("--levels takes whole numbers separated by commas, e.g. 1,4,16")
    if not chosen or min(chosen) < 1:
        _fail("--levels takes whole numbers of 1 or more")
    _run(run_concurrency_bench(console, turns=turns, levels=chosen))


@bench_app.command("extraction")
def bench_extraction(
    data: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False,
        help="Single-message corpus (JSON Lines); repeat for several. Default: the locked and the working split "
             "of data/extraction/.")] = None,
    sequences: Annotated[bool, typer.Option(
        "--sequences/--no-sequences", help="Also play <data stem>_sequences.jsonl beside each file.")] = True,
    ids: str | None = typer.Option(None, help="Score a subset, e.g. dev-001..dev-080."),
    show_tags: bool = typer.Option(False, help="Also print figures per tag."),
    failures: bool = typer.Option(False, help="Print the sequences that end wrong."),
) -> None:
    """Precision and recall of extraction on single messages, rules only beside rules + learned stage (+ the
    model pass when MNEMO_EXTRACTION_MODEL is set), then conversations played through the turn graph with and
    without the learned stage: final-state recall, must-not score, no-duplicate share."""
    from rich.progress import Progress

    from bench.extraction import format_comparison, load_items, run_messages, select_ids
    from bench.sequences import format_sequences, run_sequences
    from graphs.resources import open_resources
    from memory.extraction import extract_memories

    files = data or [DATA_DIR / "mnemo_locked.jsonl", DATA_DIR / "mnemo_train.jsonl"]
    for path in files:
        subset = select_ids(load_items(path), ids) if ids else None
        baseline = run_messages(path, subset, lambda text, context: extract_memories(text, context, learned=None))
        result = run_messages(path, subset)
        console.print(format_comparison(baseline, result, f"extraction {path.name}", show_tags=show_tags),
                      markup=False, highlight=False)
    if not sequences:
        return

    async def play(path: Path, learned: bool) -> dict:
        resources = (await open_resources()).with_settings(extraction_learned=learned)
        try:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task(f"playing {path.name}", total=None)
                return await run_sequences(resources, path,
                                           progress=lambda done, total: bar.update(task, completed=done, total=total))
        finally:
            await resources.close()

    for path in files:
        conversations = path.with_name(f"{path.stem}_sequences.jsonl")
        if not conversations.exists():
            console.print(f"(no sequences file at {conversations}: skipped)")
            continue
        for learned in (False, True):
            console.print(f"== conversations {conversations.name}, {'rules + learned' if learned else 'rules only'}")
            console.print(format_sequences(_run(play(conversations, learned)), show_failures=failures),
                          markup=False, highlight=False)


@train_app.command("extractor")
def train_extractor(
    data: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False, help="Labelled messages (JSON Lines); repeat for several. Default: data/"
        "extraction/mnemo_train.jsonl and tests/memory/extraction_practice.jsonl.")
    ] = None,
    out: Annotated[Path | None, typer.Option(dir_okay=False, help="Artifact to write (default: the bundled one).")
    ] = None,
    seed: int = typer.Option(0, help="Random seed: the same data and seed give the same weights."),
) -> None:
    """Train the clause classifier of the learned extraction stage (never on the locked split)."""
    import json

    from memory.embeddings import default_embedder
    from memory.learned.model import ARTIFACT
    from memory.learned.train import train

    if any("locked" in path.name for path in data or ()):
        _fail("refusing to train on a locked split: it is for measuring only (docs/benchmarks.md)")
    with console.status("embedding clauses and fitting (about a minute on 2 cores)"):
        metadata = train(default_embedder(), data, out=out or ARTIFACT, seed=seed)
    console.print_json(json.dumps(metadata))
    console.print(f"wrote {out or ARTIFACT}")


@bench_app.command("extraction-cv")
def bench_extraction_cv(
    data: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="Training split to fold.")] = None,
    seed: int = typer.Option(0, help="Random seed of the fits."),
) -> None:
    """5-fold cross-validation of rules + learned stage on the training split, at several thresholds, beside
    rules alone: how `memory.learned.train.THRESHOLD` was chosen (the locked split is not read)."""
    from rich.progress import Progress

    from bench.extraction_cv import cross_validate
    from memory.embeddings import default_embedder
    from memory.learned.train import DEFAULT_DATA

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("folds", total=None)
        pooled = cross_validate(default_embedder(), data or DEFAULT_DATA[0], list(DEFAULT_DATA[1:]), seed=seed,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    for name, f in pooled.items():
        label = "rules only" if name == "rules" else f"rules + learned, threshold {name}"
        console.print(f"{label:<34} P {f['precision']:.3f}  R {f['recall']:.3f}  "
                      f"({f['extracted']} extracted, {f['expected']} expected)", highlight=False)


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


def _gguf(model: Path | None) -> Path:
    """--model PATH, or the bundled model; a missing file is one red line."""
    from models.llama import default_model_path

    try:
        path = model.expanduser() if model else default_model_path()
    except FileNotFoundError as exc:
        _fail(str(exc))
    if not path.is_file():
        _fail(f"no model file at {path}: give --model PATH to a .gguf file")
    return path


@bench_app.command("faults")
def bench_faults(
    fault: Annotated[list[str] | None, typer.Option(help="A fault to inject (repeat for several); default: all of "
                                                         "serve-kill, worker-kill, redis-kill, postgres-restart, "
                                                         "redis-down-same-thread, sse-disconnect, several-processes "
                                                         "(no fault: 2 API and 2 worker processes).")] = None,
    clients: int = typer.Option(4, min=1, help="Concurrent clients, each on its own thread "
                                               "(redis-down-same-thread: at least 16 on one thread)."),
    turns: int = typer.Option(10, min=1, help="Turns per client."),
    pace: float = typer.Option(0.01, min=0, help="Seconds per streamed word of the fake model (faults land "
                                                 "mid-turn)."),
    down: float = typer.Option(3.0, min=0, help="Seconds Redis or PostgreSQL stays down."),
    keep: bool = typer.Option(False, "--keep", help="Keep the services' folder (data and logs) afterwards."),
) -> None:
    """Kill and restart the API, the worker, Redis and PostgreSQL under load; print turns lost, duplicated,
    forked, 5xx and recovery time per fault."""
    from bench.faults import FAULTS, format_table, run_faults_bench

    unknown = sorted(set(fault or []) - set(FAULTS))
    if unknown:
        _fail(f"unknown fault {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    verdicts = asyncio.run(run_faults_bench(console, faults=fault, clients=clients, turns=turns, pace_s=pace,
                                            down_s=down, keep=keep))
    Console(width=max(console.width, 110)).print(format_table(verdicts))  # every column whole, even in a log
    console.print(f"Reproduce: mnemo bench faults --clients {clients} --turns {turns} --pace {pace:g} --down {down:g}"
                  + "".join(f" --fault {f}" for f in fault or []))
    if not all(v["holds"] for v in verdicts):
        raise typer.Exit(1)


@bench_app.command("threads")
def bench_threads(
    model: Annotated[Path | None, typer.Option(help="GGUF file (default: the bundled SmolLM2-135M-Instruct).")] = None,
    max_threads: int | None = typer.Option(None, min=1, help="Highest thread count tried (default: logical cores)."),
    tokens: int = typer.Option(64, min=2, help="Tokens generated after the prompt, at temperature 0."),
    repeats: int = typer.Option(3, min=1, help="Repeats per thread count (medians are reported)."),
) -> None:
    """Prompt and generation tokens/s of the local model for each llama.cpp thread count, the best counts,
    and what Mnemo picks by default."""
    from bench.threads import run_threads_bench

    try:
        run_threads_bench(console, model_path=_gguf(model), max_threads=max_threads, tokens=tokens, repeats=repeats)
    except ValueError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@bench_app.command("stream")
def bench_stream(
    model: str = typer.Option("local", help="Chat model: local (bundled) or local:/path/to/model.gguf."),
    turns: int = typer.Option(8, min=1, help="Turns of one conversation, per run."),
    as_json: bool = typer.Option(False, "--json", help="Also print the figures as JSON."),
) -> None:
    """Time to first token and generation tokens/s through `mnemo serve --local` over SSE, next to raw
    llama-cpp-python on the same prompts, with prefix caching on and off."""
    from bench.stream import run_stream_bench
    from hardware.cpu import choose_threads

    kind, _, path = model.partition(":")
    if kind != "local":
        _fail("--model must be local or local:/path/to/model.gguf")
    threads = choose_threads(get_settings().model_threads).threads
    try:
        run_stream_bench(console, chat_model=model, model_path=_gguf(Path(path) if path else None), turns=turns,
                         threads=threads, as_json=as_json)
    except RuntimeError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


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
    configure_logging(get_settings().log_format or "json", log_level)
    _run(run_worker(get_settings(), concurrency=concurrency, once=once, heartbeat_s=heartbeat,
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
    _run(serve_stdio(get_settings(), key))


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

    result = _run(prune())
    console.print(f"pruned {result.checkpoints} checkpoints ({result.writes} pending writes, {result.blobs} blobs) "
                  f"in {result.threads} threads", highlight=False)
