"""Waiting for an approval request to leave `pending`: LISTEN on PostgreSQL, polling on SQLite. Stdlib only.

On PostgreSQL migration 0016's trigger announces every status change of a request on CHANNEL when it commits,
payload JSON {"id": <request id>, "status": <new status>}. The waiter LISTENs on a connection of its own
(postgres.open_listener) *before* it first reads the state, so a decision committed between that read and the
wait is still heard. It re-reads the state on a notification for its request, and every LISTEN_RECHECK_S anyway.
Polling every POLL_INTERVAL_S stays the way when there is no LISTEN: SQLite, a listener that cannot be opened,
and the rest of a wait once the listener's connection broke (what was announced while it was down is lost).
"""

from __future__ import annotations

import json
import time
from typing import Callable, TypeVar

from nerv.store import dialect

CHANNEL = "nerv_approval_status"
POLL_INTERVAL_S = 0.25
# A notification cannot be lost while the listener's connection lives; the re-read bounds what a bug could cost.
LISTEN_RECHECK_S = 5.0

T = TypeVar("T")


def wait_until(conn, request_id: int, timeout_s: float, check: Callable[[], T | None]) -> T | None:
    """Call `check` (it reads the request's state on `conn`) until it answers, woken by the request's status
    changes; None once `timeout_s` seconds passed without an answer."""
    deadline = time.monotonic() + timeout_s
    listener = _listener(conn) if timeout_s > 0 else None  # a wait of 0 s is one read: no connection for it
    try:
        while True:
            answer = check()
            if answer is not None:
                return answer
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if listener is None:
                time.sleep(min(POLL_INTERVAL_S, remaining))
            elif not _listen(listener, request_id, min(LISTEN_RECHECK_S, remaining)):
                listener.close()
                listener = None
    finally:
        if listener is not None:
            listener.close()


def _listener(conn):
    if dialect.name(conn) != dialect.POSTGRESQL:
        return None
    from nerv.store import postgres

    return postgres.open_listener(conn.url, CHANNEL)


def _listen(listener, request_id: int, seconds: float) -> bool:
    """Return at the first status change of `request_id` or after `seconds`; False when the listener's
    connection broke (then nothing more will be heard on it)."""
    deadline = time.monotonic() + seconds
    while True:
        payloads = listener.notifications(deadline - time.monotonic())
        if payloads is None:
            return False
        if any(_request_of(payload) == request_id for payload in payloads) or time.monotonic() >= deadline:
            return True


def _request_of(payload: str):
    try:
        return json.loads(payload).get("id")
    except (ValueError, AttributeError):
        return None
