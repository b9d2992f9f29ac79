"""Database rows made JSON-safe for graph state, the Redis cache and API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """UUIDs and datetimes as strings; everything else as is."""
    out = {}
    for key, value in row.items():
        if isinstance(value, UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, list) and value and isinstance(value[0], UUID):
            value = [str(v) for v in value]
        out[key] = value
    return out
