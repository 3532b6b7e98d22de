"""The SQL behind `nerv prune`: what each prunable kind of row is and how old it is. Stdlib only.

The audit log is deliberately absent: nothing here can delete from it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from nerv.store import dialect
from nerv.store.schema_info import quote


@dataclass(frozen=True)
class Target:
    table: str
    age_expr: str  # the time stamp that says how old a row is
    keep_condition: str | None = None  # rows matching it are never pruned (e.g. pending requests)
    needs: tuple[str, ...] = ()  # columns the expressions use


TARGETS = {
    "metrics": Target("metrics", "recorded_at", needs=("recorded_at",)),
    "usage": Target("usage", "ts", needs=("ts",)),
    "approvals": Target("approval_requests", "created_at", "status = 'pending'", needs=("created_at", "status")),
    "sessions": Target("claude_sessions", "coalesce(ended_at, last_activity_at, updated_at)", "status <> 'ended'",
                       needs=("ended_at", "last_activity_at", "updated_at", "status")),
}


def missing_reason(conn: sqlite3.Connection, target: Target) -> str | None:
    """Why this target cannot be pruned in this database (its table or columns do not exist), else None."""
    columns = set(dialect.functions(conn).table_columns(conn, target.table))
    if not columns:
        return f"table {target.table} does not exist"
    absent = [c for c in target.needs if c not in columns]
    return f"{target.table} has no column {', '.join(absent)}" if absent else None


def _where(target: Target) -> str:
    condition = f"{target.age_expr} < :cutoff"
    return condition + (f" AND NOT ({target.keep_condition})" if target.keep_condition else "")


def count_older(conn: sqlite3.Connection, target: Target, cutoff: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {quote(target.table)} WHERE {_where(target)}",
                        {"cutoff": cutoff}).fetchone()[0]


def delete_older(conn: sqlite3.Connection, target: Target, cutoff: str) -> tuple[int, int]:
    """Delete; returns (rows deleted, further rows changed by ON DELETE actions)."""
    before = dialect.functions(conn).write_marker(conn)
    deleted = conn.execute(f"DELETE FROM {quote(target.table)} WHERE {_where(target)}", {"cutoff": cutoff}).rowcount
    return deleted, dialect.functions(conn).write_marker(conn) - before - deleted
