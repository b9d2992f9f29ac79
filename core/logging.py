"""Log lines that a machine can read: one JSON object per line (or plain text for a terminal), each
carrying the id of the HTTP request it belongs to, so every line of one request can be found together.

Only whitelisted record fields are written: a stray `extra=` can never put an API key or a message
text into the logs by accident."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["json", "text"]

# Set by the request middleware for the duration of one request; inherited by the tasks it starts.
REQUEST_ID: ContextVar[str | None] = ContextVar("mnemo_request_id", default=None)

# Fields an access line (or any line, through `extra=`) may add to the JSON object.
EXTRA_FIELDS = ("method", "path", "route", "status", "duration_ms", "client")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, whitelisted extras, and the exception text if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get() if getattr(record, "request_id", "-") == "-" else record.request_id,
        }
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def make_handler(fmt: LogFormat, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(fmt: LogFormat, level: str | int = "INFO") -> None:
    """One handler on the root logger; uvicorn's loggers propagate to it instead of printing their own."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(fmt))
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
