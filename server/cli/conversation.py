"""Talking to Mnemo from the terminal: chat, demo, and the turn graph drawn."""

from __future__ import annotations

import uuid

import typer

from core.config import get_settings
from server.cli.common import app, console, fail, run_async


@app.command()
def graph(fmt: str = typer.Option("mermaid", "--format", help="mermaid or ascii")) -> None:
    """Print the turn graph (offline: mermaid text or ASCII art)."""
    from graphs.turn import build_turn_graph

    drawable = build_turn_graph().compile().get_graph()
    if fmt not in ("mermaid", "ascii"):
        fail("--format must be mermaid or ascii")
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

    run_async(chat_loop(console, thread_id=thread or str(uuid.uuid4()), agent=agent, user_id=user,
                   tenant_id=tenant))


@app.command()
def demo(
    model: str | None = typer.Option(None, help="Chat model for the demo (default: MNEMO_CHAT_MODEL, local)."),
) -> None:
    """A scripted conversation across two threads that shows memory at work, offline."""
    from server.demo import run_demo

    settings = get_settings().model_copy(update={"chat_model": model}) if model else get_settings()
    run_async(run_demo(console, settings))
