"""Dates on the command line (`--since 2026-11-01`, `--since 7d`) -> ISO bounds comparable with stored time stamps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from nerv.errors import invalid
from nerv.store.clock import now_iso, parse_iso, to_iso

_RELATIVE = re.compile(r"^(\d{1,5})([hdw])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_when(text: str | None, field: str = "--since", *, now: datetime | None = None, store=None) -> str | None:
    """YYYY-MM-DD (midnight UTC), a full ISO time stamp, or Nh / Nd / Nw before `now` (default: the ledger's
    clock when `store` is given, the server's on PostgreSQL, whose time stamps it is compared with; else this
    machine's, nerv.store.clock). None stays None."""
    if text is None:
        return None
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
        if now is None:
            now = parse_iso(store.now() if store is not None else now_iso())
        return to_iso(now - delta)
    try:
        if _DATE.match(value):
            return to_iso(datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc))
        return to_iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise invalid(f"{field} {text[:40]!r} is not a date",
                      "use YYYY-MM-DD, an ISO time stamp, or a span like 12h, 7d, 2w") from None
