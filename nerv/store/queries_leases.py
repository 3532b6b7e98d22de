"""The live path leases, read by the PreToolUse guard and by `nerv lease add`. Stdlib only (the hook uses it)."""

from __future__ import annotations

import sqlite3

from nerv.store import dialect

_LIVE_SQL = ("SELECT l.id, l.agent, l.pattern, l.anchor, l.expires_at, t.number, t.title"
             " FROM path_leases l LEFT JOIN tasks t ON t.id = l.task_id"
             " WHERE l.released_at IS NULL AND l.expires_at > {now} ORDER BY l.id")


def live_leases(conn: sqlite3.Connection, now: str | None = None) -> list[dict]:
    """Every unreleased, unexpired lease with its task's number and title (None without a task).

    Without `now`, the ledger's clock (nerv.store.dialect.now): on PostgreSQL the server's, asked in the same
    statement, since the hook runs this before every tool call."""
    if now is None and dialect.name(conn) == dialect.POSTGRESQL:
        rows = conn.execute(_LIVE_SQL.format(now="now()")).fetchall()
    else:
        rows = conn.execute(_LIVE_SQL.format(now="?"), (now or dialect.now(conn),)).fetchall()
    keys = ("id", "agent", "pattern", "anchor", "expires_at", "task_number", "task_title")
    return [dict(zip(keys, row)) for row in rows]
