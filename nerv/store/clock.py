"""Time stamps and ids, in one format everywhere. Stdlib only."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

# ISO-8601 UTC with microseconds: sorts lexicographically in SQL and round-trips through JSON.
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime(TS_FORMAT)


def to_iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime(TS_FORMAT)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id() -> str:
    """A globally unique id (32 hex digits); humans use per-project numbers or a prefix."""
    return uuid.uuid4().hex
