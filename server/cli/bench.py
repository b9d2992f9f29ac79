"""`mnemo bench ...` and `mnemo train ...`: each benchmark prints its figures beside a baseline measured in the
same run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.config import get_settings
from server.cli.common import bench_app, console, fail, run_async, train_app

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "extraction"  # the corpus of data/extraction/README.md


@bench_app.command("turn")
def bench_turn(
    turns: int = typer.Option(200, help="Turns measured for each graph."),
    memories: int = typer.Option(100_000, help="Memories in the database for the retrieval figure."),
    queries: int = typer.Option(300, help="Retrieval queries measured."),
) -> None:
    """p50/p95 of a full turn (fake model) next to a one-node graph on the same checkpointer, and
    retrieval p50/p95 with many memories in the database."""
    from bench.turn import run_turn_bench

    run_async(run_turn_bench(console, turns=turns, memories=memories, queries=queries))


@bench_app.command("growth")
def bench_growth(
    turns: int = typer.Option(1000, min=15, help="Turns on each thread (Mnemo's and the stock graph's)."),
) -> None:
    """Turn time and checkpoint bytes per turn near turn 10 and at the last turn of one long thread, Mnemo
    beside a stock 7-node LangGraph graph on the same checkpointer."""
    from bench.growth import run_growth_bench

    run_async(run_growth_bench(console, turns=turns))


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
        fail("--levels takes whole numbers separated by commas, e.g. 1,4,16")
    if not chosen or min(chosen) < 1:
        fail("--levels takes whole numbers of 1 or more")
    run_async(run_concurrency_bench(console, turns=turns, levels=chosen))


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
            console.print(format_sequences(run_async(play(conversations, learned)), show_failures=failures),
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
        fail("refusing to train on a locked split: it is for measuring only (docs/benchmarks.md)")
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

    result = run_async(arun(locomo, conversations=conversations, filter_users=filter_users,
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

    console.print(format_report(run_async(run(users=users, seed=seed))), markup=False, highlight=False)


def _gguf(model: Path | None) -> Path:
    """--model PATH, or the bundled model; a missing file is one red line."""
    from models.llama import default_model_path

    try:
        path = model.expanduser() if model else default_model_path()
    except FileNotFoundError as exc:
        fail(str(exc))
    if not path.is_file():
        fail(f"no model file at {path}: give --model PATH to a .gguf file")
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
        fail(f"unknown fault {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
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
        fail(str(exc))
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
        fail("--model must be local or local:/path/to/model.gguf")
    threads = choose_threads(get_settings().model_threads).threads
    try:
        run_stream_bench(console, chat_model=model, model_path=_gguf(Path(path) if path else None), turns=turns,
                         threads=threads, as_json=as_json)
    except RuntimeError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
