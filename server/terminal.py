"""Terminal front end shared by `mnemo chat` and `mnemo demo`: run turns in-process and show them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.console import Console

from core.config import Settings, get_settings
from graphs.runner import TurnResult, stream_turn
from nodes.common import is_evidence
from server.runtime import AppRuntime
from server.turn_lock import ThreadBusy


@asynccontextmanager
async def local_runtime(console: Console, settings: Settings | None = None) -> AsyncIterator[AppRuntime]:
    """Services started or reached, migrations applied, model loaded, with a spinner meanwhile."""
    settings = settings or get_settings()
    where = "embedded services in " + str(settings.home_dir) if not settings.database_url else "configured services"
    with console.status(f"Starting Mnemo ({where}), loading {settings.chat_model} model and embeddings..."):
        runtime = await AppRuntime.open(settings, warm_model=True)
    try:
        yield runtime
    finally:
        with console.status("Stopping..."):
            await runtime.close()


async def show_turn(
    console: Console, runtime: AppRuntime, *, message: str, thread_id: str, user_id: str, tenant_id: str,
    agent: str | None = None, verbose: bool = True,
) -> TurnResult:
    """Stream one turn's tokens to the console, then what was retrieved, remembered, forgotten and hinted."""
    result: TurnResult | None = None
    started = False
    # The same per-thread lock as the API: a terminal and an API client on one thread take turns.
    async for event in stream_turn(runtime.graph, message=message, thread_id=thread_id, tenant_id=tenant_id,
                                   user_id=user_id, agent=agent, lock=runtime.locks.hold(thread_id)):
        if event.kind == "token":
            if not started:
                console.print("[bold green]mnemo>[/] ", end="")
                started = True
            console.print(event.token, end="", highlight=False, markup=False)
        else:
            result = event.result
    console.print()
    assert result is not None
    if verbose:
        console.print(f"  [dim]agent:[/] {result.agent} ({result.route_reason})  [dim]tokens:[/] "
                      f"{result.usage['input_tokens']} in / {result.usage['output_tokens']} out, "
                      f"{result.usage['latency_ms']} ms")
        for hit in [h for h in result.retrieved if is_evidence(h)][:3]:
            console.print(f"  [dim]retrieved[/] {hit['type']} ({hit['score']:.2f}): {hit['content'][:90]}",
                          highlight=False)
    for memory in result.memories:
        console.print(f"  [magenta]remembered[/] {memory['category']} {memory['key']} = {memory['value']}"
                      f" ({memory['action']})", highlight=False)
    for memory in result.forgotten:
        console.print(f"  [red]forgot[/] {memory['category']} {memory['key']} = {memory['value']}", highlight=False)
    for h in result.hints:
        console.print(f"  [yellow]hint[/] {h['text']} [dim]({h['type']}, {h['score']:.2f})[/]", highlight=False)
    return result


async def chat_loop(console: Console, *, thread_id: str, agent: str | None, user_id: str, tenant_id: str) -> None:
    async with local_runtime(console) as runtime:
        console.print(f"Thread [bold]{thread_id}[/] as user [bold]{user_id}[/]. "
                      "Type /new for a new thread, /quit to leave.")
        while True:
            try:
                message = console.input("[bold cyan]you>[/] ").strip()
            except EOFError:
                break
            if message in ("/quit", "/exit"):
                break
            if message == "/new":
                thread_id = str(uuid.uuid4())
                console.print(f"New thread [bold]{thread_id}[/]")
                continue
            if not message:
                continue
            limit = runtime.resources.settings.max_message_chars
            if len(message) > limit:
                console.print(f"[red]message over {limit} characters[/]")
                continue
            try:
                await show_turn(console, runtime, message=message, thread_id=thread_id, user_id=user_id,
                                tenant_id=tenant_id, agent=agent)
            except ThreadBusy:
                console.print("[red]another turn is running on this thread; try again in a moment[/]")
