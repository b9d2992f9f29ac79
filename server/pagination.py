"""Opaque cursors for `{items, next_cursor}` lists."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from server.errors import ApiError


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).decode().rstrip("=")


INVALID = "invalid cursor: pass back a next_cursor this endpoint returned"
MAX_SEQ = 2**63 - 1


def decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ApiError(400, INVALID) from exc


def decode_keyset(cursor: str | None, id_type: Callable[[str], Any] = str) -> tuple[datetime, Any] | None:
    """A `[iso timestamp, id]` cursor as (datetime, id_type(id)); 400 for anything else, whatever its shape."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    try:
        when, ident = value
        return datetime.fromisoformat(when), id_type(ident)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ApiError(400, INVALID) from exc


def decode_seq(cursor: str | None) -> int:
    """A message sequence-number cursor (0: from the start); 400 for anything else."""
    value = decode_cursor(cursor)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise ApiError(400, INVALID)
    return value
