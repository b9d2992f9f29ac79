"""Opaque cursors for `{items, next_cursor}` lists."""

from __future__ import annotations

import base64
import json
from typing import Any

from server.errors import ApiError


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise ApiError(400, "invalid cursor") from exc
