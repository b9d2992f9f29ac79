"""What every command module shares: the `mnemo` Typer app and its groups, the console, and the one-line
failure every configuration error becomes."""

from __future__ import annotations

import asyncio

import typer
import typer.core
from rich.console import Console

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
console = Console()


def _flag_type(self: typer.core.TyperOption, ctx) -> str | None:
    """typer 0.29 prints a flag's type in help as `<bool>`, as if it took a value; a flag shows none."""
    return None if self.is_flag else _option_type(self, ctx)


_option_type = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = _flag_type


def fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def run_async(coro):
    """Run a coroutine; configuration errors become one red line, not a trace."""
    from memory.cache import RedisUnavailable
    from memory.db import DatabaseUnavailable
    from memory.embedded import HomeUnusable
    from memory.embeddings import EmbeddingModelMissing
    from models.registry import ModelConfigError

    try:
        return asyncio.run(coro)
    except (DatabaseUnavailable, RedisUnavailable, EmbeddingModelMissing, ModelConfigError, HomeUnusable) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None

