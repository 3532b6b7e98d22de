"""The SQL behind checkpoints: read a project's rows of each snapshotted kind, and write them back. Stdlib only.

Rows are read with every column the table has today (`SELECT *`), so columns added by later migrations
are captured without touching this module; writing back uses the columns both the snapshot and today's
table have.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from nerv.store.schema_info import quote
from nerv.store import dialect


@dataclass(frozen=True)
class Kind:
    table: str
    scope: str  # SQL condition on :project
    identity: tuple[str, ...]  # what makes a row "the same row" across snapshots
    generated: tuple[str, ...] = ()  # columns the database assigns (left out when inserting by identity)
    self_references: tuple[str, ...] = ()  # columns naming another row of the same table (written parents first)


# Parents before children: restore deletes in reverse order and upserts in this order.
KINDS = {
    "cycles": Kind("cycles", "project_id = :project", ("id",)),
    "tasks": Kind("tasks", "project_id = :project", ("id",), self_references=("parent_id",)),
    "task_deps": Kind("task_deps", "task_id IN (SELECT id FROM tasks WHERE project_id = :project)",
                      ("task_id", "depends_on_id")),
    "decisions": Kind("decisions", "project_id = :project", ("id",), self_references=("superseded_by_id",)),
    "settings": Kind("settings", "project_id = :project", ("key",), generated=("id",)),
}


def project_rows(conn: sqlite3.Connection, kind: Kind, project_id: str) -> list[dict]:
    order = ", ".join(quote(c) for c in kind.identity)
    cursor = conn.execute(f"SELECT * FROM {quote(kind.table)} WHERE {kind.scope} ORDER BY {order}",
                          {"project": project_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    """The checkpoint service's and the audit replay's one import point, whatever the backend."""
    return dialect.functions(conn).table_exists(conn, table)


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return dialect.functions(conn).table_columns(conn, table)


def _same_as(conn, kind: Kind) -> str:
    same = "IS NOT DISTINCT FROM" if dialect.name(conn) == dialect.POSTGRESQL else "IS"
    return " AND ".join(f"{quote(c)} {same} :{c}" for c in kind.identity)


def delete_row(conn: sqlite3.Connection, kind: Kind, project_id: str, key: dict) -> None:
    where = _same_as(conn, kind)
    conn.execute(f"DELETE FROM {quote(kind.table)} WHERE ({where}) AND {kind.scope}", {**key, "project": project_id})


def insert_row(conn: sqlite3.Connection, kind: Kind, row: dict, columns: list[str]) -> None:
    cols = [c for c in columns if c in row and c not in kind.generated]
    conn.execute(f"INSERT INTO {quote(kind.table)} ({', '.join(quote(c) for c in cols)}) "
                 f"VALUES ({', '.join(':' + c for c in cols)})", {c: row[c] for c in cols})


def update_row(conn: sqlite3.Connection, kind: Kind, project_id: str, key: dict, changes: dict) -> None:
    sets = ", ".join(f"{quote(c)} = :new_{c}" for c in changes)
    where = _same_as(conn, kind)
    params = {**key, **{f"new_{c}": v for c, v in changes.items()}, "project": project_id}
    conn.execute(f"UPDATE {quote(kind.table)} SET {sets} WHERE ({where}) AND {kind.scope}", params)


def defer_foreign_keys(conn: sqlite3.Connection) -> None:
    """SQLite checks foreign keys at COMMIT from here on. PostgreSQL checks them after each statement (its
    keys are not deferrable), so rows are written back parents first (Kind.self_references)."""
    if dialect.name(conn) == dialect.SQLITE:
        conn.execute("PRAGMA defer_foreign_keys = ON")
