"""How `mnemo serve` runs uvicorn: one process, or a supervisor and N worker processes sharing one
PostgreSQL and Redis (embedded or not), and a clean stop on SIGTERM as on Ctrl-C.

uvicorn captures SIGTERM while it runs, then restores the handler it found and raises the signal again
once it has shut down. The handler it found was the default one, which kills the process on the spot:
the atexit hooks that stop the embedded PostgreSQL and Redis never ran, so `kill <pid>` (systemd,
Docker, scripts) left both running. SIGTERM is therefore made a normal exit before uvicorn starts.

With several workers the supervisor starts the embedded services, migrates and lets the application
role log in once, and hands the children the URLs (the pool's login is the application role, the
admin URL the owner's), so the children attach to the same services and none starts its own. The
services stop when the supervisor exits, after uvicorn has stopped the children.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import sys

import uvicorn

from core.config import Settings

log = logging.getLogger(__name__)
WORKER_APP = "server.serving:worker_app"
LOG_LEVEL_ENV = "MNEMO_WORKER_LOG_LEVEL"  # the supervisor's --log-level, for its worker processes


def worker_app():
    """The app in a worker process of `--workers N`: a fresh interpreter, so it sets up logging as the
    supervisor did (same format and level) before building the app."""
    from core.config import get_settings
    from core.logging import configure_logging
    from server.app import create_app

    configure_logging(get_settings().log_format or "json", os.environ.get(LOG_LEVEL_ENV, "info"))
    return create_app()


def exit_on_sigterm() -> None:
    """SIGTERM becomes SystemExit(0), so atexit hooks (the embedded services' stop) run."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


async def _prepare_shared_services(settings: Settings) -> dict[str, str]:
    """Start what is embedded, migrate (the checkpointer's and the queue's tables too), and return the
    environment the workers need to attach: they then find every table there and create none."""
    from jobs.app import ensure_schema
    from memory.checkpointer import setup_checkpointer
    from memory.db import APP_ROLE, allow_app_login, check_database, login_as
    from memory.embedded import resolve_service_urls
    from memory.migrate import migrate

    urls = await asyncio.to_thread(resolve_service_urls, settings.database_url, settings.redis_url,
                                   settings.home_dir)
    admin_url = settings.admin_database_url or urls.database_url
    await check_database(urls.database_url)
    await migrate(admin_url)
    await setup_checkpointer(admin_url)
    if settings.extraction == "background":
        await ensure_schema(admin_url)
    env = {"REDIS_URL": urls.redis_url, "DATABASE_URL": urls.database_url}
    if "postgres" in urls.embedded:  # as a single process does: the pool logs in as the application role
        await allow_app_login(admin_url)
        env |= {"DATABASE_URL": login_as(urls.database_url, APP_ROLE), "MNEMO_ADMIN_DATABASE_URL": admin_url}
    return env


def port_in_use(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (taken, or not an address of this machine), or None.
    Checked before the services start, so the answer comes in a second, not after the whole startup."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use (another `mnemo serve`?): stop that process "
                        "or choose another port with --port")
            return f"cannot listen on {host}:{port} ({exc.strerror or exc}): check --host and --port"
    return None


def run_api(settings: Settings, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve until SIGTERM or SIGINT; the embedded services stop on the way out."""
    exit_on_sigterm()
    options = {"host": host, "port": port, "log_level": log_level, "log_config": None,
               "access_log": False}  # our own access log carries the request id (server/middleware.py)
    shown = f"[{host}]" if ":" in host else host
    log.info("web app at http://%s:%d/ (%s); API reference at /docs", shown, port,
             "local mode: no key needed" if settings.local_mode else "sign in with a key from `mnemo keys create`")
    if workers == 1:
        from server.app import create_app

        uvicorn.run(create_app(settings), **options)
    else:
        # Worker processes are fresh interpreters that read their settings from the environment: the
        # supervisor hands them the shared services' URLs, its log level and local mode that way.
        os.environ.update(asyncio.run(_prepare_shared_services(settings)), **{LOG_LEVEL_ENV: log_level})
        if settings.local_mode:
            os.environ["MNEMO_LOCAL_MODE"] = "true"
        uvicorn.run(WORKER_APP, factory=True, workers=workers, **options)
    log.info("stopped")
