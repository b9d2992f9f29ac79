"""The `mnemo` command, one module per group of commands: operations (serve, worker, mcp, migrate, doctor,
checkpoints), conversation (chat, demo, graph), keys, bench (and train). `app` is the entry point."""

# isort: off
# Imported in this order so `mnemo --help` lists serve first: each module registers its commands.
from server.cli import operations, conversation, keys, bench  # noqa: F401
from server.cli.common import app

# isort: on

__all__ = ["app"]
