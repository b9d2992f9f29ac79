"""`mnemo demo`: a user introduces themselves in one thread (French and English) and takes one thing
back; days later, in a new thread, Mnemo's context, answers and hints use what it learned and not what
it was told to forget."""

from __future__ import annotations

import time
import uuid

from rich.console import Console
from rich.table import Table

from core.config import Settings
from graphs.runner import TurnResult
from server.terminal import local_runtime, show_turn

FIRST_THREAD = [
    "Hi! My name is Marie and I live in Lyon.",
    "Je suis végétarienne et j'adore le jazz.",
    "I prefer short answers, and I'm allergic to peanuts.",
    "Oh, and I love reggaeton.",
    "Actually, forget what I said about reggaeton.",
]
LATER_THREAD = [
    "Can you suggest a dinner recipe for tonight?",
    "Quelle musique me conseilles-tu pour ce soir ?",
    "Remind me, where do I live?",
]


def facts_used(results: list[TurnResult], facts: list[str]) -> dict[str, list[str]]:
    """For each fact learned earlier, where a later turn used it: context, reply, hints."""
    used: dict[str, list[str]] = {}
    for fact in facts:
        needle = fact.lower()
        places = set()
        for r in results:
            if any(needle in m["value"].lower() for m in r.context_memories):
                places.add("context")
            if needle in r.reply.lower():
                places.add("reply")
            if any(needle in h["text"].lower() for h in r.hints):
                places.add("hint")
        if places:
            used[fact] = sorted(places)
    return used


async def run_demo(console: Console, settings: Settings | None = None) -> None:
    user_id = f"demo-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    async with local_runtime(console, settings) as runtime:
        console.rule(f"Thread 1: getting to know each other (user {user_id})")
        first_thread = str(uuid.uuid4())
        learned, forgotten = [], []
        for message in FIRST_THREAD:
            console.print(f"[bold cyan]you>[/] {message}")
            result = await show_turn(console, runtime, message=message, thread_id=first_thread,
                                     user_id=user_id, tenant_id="demo")
            learned += result.memories
            forgotten += result.forgotten
        console.rule("Thread 2: a few days later, a new conversation")
        later_thread = str(uuid.uuid4())
        later: list[TurnResult] = []
        for message in LATER_THREAD:
            console.print(f"[bold cyan]you>[/] {message}")
            later.append(await show_turn(console, runtime, message=message, thread_id=later_thread,
                                         user_id=user_id, tenant_id="demo"))

    console.rule("Summary")
    gone = {m["id"] for m in forgotten}
    learned = [m for m in learned if m["id"] not in gone]
    table = Table("category", "key", "value", "used in thread 2 by")
    used = facts_used(later, [m["value"] for m in learned])
    for m in learned:
        table.add_row(m["category"], m["key"], m["value"], ", ".join(used.get(m["value"], [])) or "-")
    console.print(table)
    for m in forgotten:
        leaked = facts_used(later, [m["value"]])
        console.print(f"forgotten on request: {m['key']} = {m['value']} "
                      + (f"[red](still used in thread 2: {', '.join(leaked[m['value']])})[/]" if leaked
                         else "(not used in thread 2)"), highlight=False)
    hints = sum(len(r.hints) for r in later)
    console.print(f"{len(learned)} memories kept and {len(forgotten)} forgotten in thread 1; {len(used)} of the kept "
                  f"used in thread 2 ({hints} hints). Took {time.perf_counter() - started:.1f} s.")
    if not used:
        console.print("[red]No fact from thread 1 reached thread 2: memory is not working.[/]")
