"""`mnemo bench threads`: llama.cpp prompt and generation speed for each CPU thread count.

For every count from 1 to `max_threads`, the model is loaded with that many threads (for generation and for
prompt batches alike), then each repeat evaluates a fixed prompt of PROMPT_TOKENS tokens from an empty context
(prompt tokens/s) and generates `tokens` tokens greedily after it (generation tokens/s, from the first token to
the last, so the prompt is not in it). Medians over the repeats. The 1-thread row is the baseline the others
are compared with; the report names the best count for each figure and what Mnemo picks by default.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from llama_cpp import Llama
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hardware.cpu import choose_threads

__all__ = ["ThreadFigures", "default_choice", "measure", "report", "run_threads_bench"]

PROMPT_TOKENS = 300
N_CTX = 2048
# Varied prose, so the prompt is not one token repeated; cut to exactly PROMPT_TOKENS tokens.
PROMPT_TEXT = (
    "Mnemo keeps a long-term memory for every user: preferences, constraints, goals and facts found in what they "
    "say, stored in PostgreSQL with vectors for search and a Redis cache for the preferences read on every turn. "
    "Each turn loads what is known, retrieves relevant snippets from earlier conversations, routes to an agent, "
    "generates an answer token by token, extracts new memories, suggests hints and persists everything at once. "
    "Je suis végétarienne, j'adore le jazz manouche et je vis à Lyon depuis trois ans avec mon chat Pixel. "
    "The planner respects allergies, budgets and schedules; the coder answers with short, correct code. "
) * 6


@dataclass(frozen=True)
class ThreadFigures:
    threads: int
    prompt_tps: float
    generation_tps: float


def _prompt(llm: Llama) -> list[int]:
    tokens = llm.tokenize(PROMPT_TEXT.encode())
    if len(tokens) < PROMPT_TOKENS:
        raise ValueError(f"the bench prompt is only {len(tokens)} tokens with this model's tokenizer")
    return tokens[:PROMPT_TOKENS]


def _one_repeat(llm: Llama, prompt: list[int], tokens: int) -> tuple[float, float]:
    """(prompt tokens/s, generation tokens/s) of one full evaluation of `prompt` then `tokens` greedy tokens."""
    llm.reset()
    started = time.perf_counter()
    llm.eval(prompt)
    prompt_tps = len(prompt) / (time.perf_counter() - started)
    times = []
    # The prompt is evaluated already: generate samples at once, then evaluates each token it yields.
    for _ in llm.generate(prompt, temp=0.0, top_k=1, repeat_penalty=1.0):
        times.append(time.perf_counter())
        if len(times) == tokens:
            break
    return prompt_tps, (tokens - 1) / (times[-1] - times[0])


def measure(model_path: Path, threads: int, *, tokens: int, repeats: int,
            done: Callable[[], None] = lambda: None) -> ThreadFigures:
    """Load the model with `threads` threads and return the median figures of `repeats` repeats."""
    llm = Llama(model_path=str(model_path), n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False)
    try:
        prompt = _prompt(llm)
        llm.reset()
        llm.eval(prompt[:32])  # warm-up: first-touch of the weights is not part of any figure
        runs = []
        for _ in range(repeats):
            runs.append(_one_repeat(llm, prompt, tokens))
            done()
    finally:
        llm.close()
    return ThreadFigures(threads, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))


def default_choice() -> tuple[int, str]:
    """What Mnemo would run llama.cpp with, and why."""
    choice = choose_threads()
    return choice.threads, f"hardware.cpu.choose_threads(): {choice.reason}"


def report(figures: list[ThreadFigures], *, model_path: Path, tokens: int, repeats: int) -> tuple[Table, str]:
    """The table, then the best counts and Mnemo's default, as printable lines."""
    base = figures[0]
    table = Table("threads", "prompt tok/s", "× 1st row", "generation tok/s", "× 1st row",
                  title=f"{model_path.name}: {PROMPT_TOKENS}-token prompt, {tokens} generated tokens, "
                        f"median of {repeats}")
    for f in figures:
        table.add_row(str(f.threads), f"{f.prompt_tps:.1f}", f"{f.prompt_tps / base.prompt_tps:.2f}",
                      f"{f.generation_tps:.1f}", f"{f.generation_tps / base.generation_tps:.2f}")
    best_gen = max(figures, key=lambda f: f.generation_tps)
    best_prompt = max(figures, key=lambda f: f.prompt_tps)
    chosen, source = default_choice()
    lines = [
        f"Best for generation: {_threads(best_gen.threads)} ({best_gen.generation_tps:.1f} tok/s)",
        f"Best for prompt: {_threads(best_prompt.threads)} ({best_prompt.prompt_tps:.1f} tok/s)",
        f"Mnemo's default: {_threads(chosen)} ({source}); MNEMO_MODEL_THREADS overrides it",
    ]
    return table, "\n".join(lines)


def _threads(n: int) -> str:
    return f"{n} thread" + ("" if n == 1 else "s")


def run_threads_bench(console: Console, *, model_path: Path, max_threads: int | None, tokens: int,
                      repeats: int) -> list[ThreadFigures]:
    if tokens < 2 or repeats < 1:
        raise ValueError("--tokens must be at least 2 and --repeats at least 1")
    counts = range(1, (max_threads or os.cpu_count() or 1) + 1)
    figures = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("measuring", total=len(counts) * repeats)
        for n in counts:
            bar.update(task, description=f"{_threads(n)}")
            figures.append(measure(model_path, n, tokens=tokens, repeats=repeats, done=lambda: bar.advance(task)))
    table, lines = report(figures, model_path=model_path, tokens=tokens, repeats=repeats)
    console.print(table)
    console.print(lines, highlight=False)
    return figures
