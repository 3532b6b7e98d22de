"""Time stamps and ids, in one format everywhere. Stdlib only.

`now_iso` is this machine's clock; what a ledger compares leases and expiries with is the ledger's clock,
`nerv.store.dialect.now(conn)` (the server's on PostgreSQL, since machines' clocks differ).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

# ISO-8601 UTC with microseconds: sorts lexicographically in SQL and round-trips through JSON.
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now_iso() -> str:
    """This machine's clock in TS_FORMAT (through `time`, which the hook has imported anyway)."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1_000_000)


def to_iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime(TS_FORMAT)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id() -> str:
    """A globally unique id (32 hex digits); humans use per-project numbers or a prefix."""
    import uuid  # ~18 ms, and only writers that make rows need it

    return uuid.uuid4().hex
