"""Waiting for an approval request to leave `pending`: LISTEN on PostgreSQL, polling on SQLite. Stdlib only.

On PostgreSQL migration 0016's trigger announces every status change of a request on CHANNEL when it commits,
payload JSON {"id": <request id>, "status": <new status>}. The waiter LISTENs on a connection of its own
(postgres.open_listener) *before* it reads the state, so a decision committed between that read and the
wait is still heard. It re-reads the state on a notification for its request, and every LISTEN_RECHECK_S anyway.
Polling every POLL_INTERVAL_S is the way when there is no LISTEN: SQLite, and PostgreSQL while the listener
cannot be opened or after its connection broke (a server restart, pg_terminate_backend: what was announced
while it was down is lost). A PostgreSQL waiter tries to LISTEN again every RELISTEN_S; a new listener is
followed by a read before any wait, so a decision made while nobody listened is found by that read. When
the server drops the reading connection too, the waiter reconnects it (PgConnection.reopen) and polls meanwhile.
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
# How often a waiter without a listener tries to open one (each try is a connection attempt).
RELISTEN_S = 1.0

T = TypeVar("T")


def wait_until(conn, request_id: int, timeout_s: float, check: Callable[[], T | None]) -> T | None:
    """Call `check` (it reads the request's state on `conn`) until it answers, woken by the request's status
    changes; None once `timeout_s` seconds passed without an answer."""
    deadline = time.monotonic() + timeout_s
    listens = timeout_s > 0 and dialect.name(conn) == dialect.POSTGRESQL  # a wait of 0 s is one read
    listener = _listener(conn) if listens else None
    next_listen = time.monotonic() + RELISTEN_S
    try:
        while True:
            answer = _read(conn, check)
            if answer is not None:
                return answer
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if listener is not None:
                if not _listen(listener, request_id, min(LISTEN_RECHECK_S, remaining)):
                    listener.close()
                    listener, next_listen = None, time.monotonic() + RELISTEN_S
                continue
            time.sleep(min(POLL_INTERVAL_S, remaining))
            if listens and time.monotonic() >= next_listen:
                listener, next_listen = _listener(conn), time.monotonic() + RELISTEN_S
    finally:
        if listener is not None:
            listener.close()


def _listener(conn):
    from nerv.store import postgres

    return postgres.open_listener(conn.url, CHANNEL)


def _read(conn, check: Callable[[], T | None]) -> T | None:
    """`check()`, or None while the server is away (its connection is reopened once it is back)."""
    try:
        return check()
    except Exception:
        if not getattr(conn, "broken", False):
            raise
        conn.reopen()
        return None


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
