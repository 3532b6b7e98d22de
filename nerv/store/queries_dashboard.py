"""Read-only queries of the dashboard (`nerv status`, `nerv watch`). Stdlib only.

`nerv watch` runs these on every refresh, so each one walks an index and never scans the ledger: the
queue counts reuse the ready query's own predicates (one definition of "ready"), spend reads the
covering `ix_usage_ts_cost` range of the current month, and database health reads file sizes only.
"""

from __future__ import annotations

import os
import sqlite3

from nerv.store import admin, dialect
from nerv.store.queries_tasks import _LEASE_EXPIRED, _TODO_UNHELD, _UNBLOCKED_FOR

OPEN_STATUSES = ("todo", "in_progress", "review", "blocked")

# One pass over the rows that can be ready or waiting, each labelled once (the blocker probe runs once per
# row; two sums over an `unblocked` column would run it twice): ~30% cheaper than the ready query itself.
_QUEUE_SQL = {name: f"""
    SELECT CASE WHEN {unblocked} THEN (CASE WHEN ({_TODO_UNHELD}) OR ({_LEASE_EXPIRED}) THEN 'ready' END)
                WHEN t.status = 'todo' THEN 'waiting' END AS kind, count(*)
    FROM tasks t
    WHERE t.project_id = :project AND (t.status = 'todo' OR (t.status = 'in_progress' AND t.lease_expires_at <= :now))
    GROUP BY kind
""" for name, unblocked in _UNBLOCKED_FOR.items()}

_STATUS_COUNTS_SQL = ("SELECT p.id, p.name, t.status, count(*) FROM tasks t JOIN projects p ON p.id = t.project_id"
                      " WHERE t.status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"
                      " GROUP BY p.id, p.name, t.status ORDER BY p.name")

_BLOCKERS_JOINED = {dialect.SQLITE: "group_concat('#' || b.number, ' ')",
                    dialect.POSTGRESQL: "string_agg('#' || b.number, ' ')"}
_BLOCKED_SQL = {name: f"""
    SELECT t.id, p.name, t.number, t.title, t.status_reason, t.updated_at,
           (SELECT {joined} FROM task_deps d JOIN tasks b ON b.id = d.depends_on_id
            WHERE d.task_id = t.id AND d.type = 'blocks' AND b.status <> 'done')
    FROM tasks t JOIN projects p ON p.id = t.project_id
    WHERE t.status = 'blocked' ORDER BY t.updated_at LIMIT :limit
""" for name, joined in _BLOCKERS_JOINED.items()}


def queues(conn: sqlite3.Connection, now: str) -> list[dict]:
    """Per project with open work: counts by open status, `ready` (claimable now) and `waiting` (todo
    behind an unfinished `blocks` dependency or with open children)."""
    projects: dict[str, dict] = {}
    for project_id, name, status, count in conn.execute(_STATUS_COUNTS_SQL):
        entry = projects.setdefault(project_id, {"project_id": project_id, "project": name,
                                                 **{s: 0 for s in OPEN_STATUSES}})
        entry[status] = count
    for entry in projects.values():
        params = {"project": entry["project_id"], "now": now}
        kinds = dict(conn.execute(_QUEUE_SQL[dialect.name(conn)], params).fetchall())
        entry["ready"], entry["waiting"] = kinds.get("ready", 0), kinds.get("waiting", 0)
    return list(projects.values())


def blocked_tasks(conn: sqlite3.Connection, limit: int) -> list[dict]:
    """Tasks in status `blocked`, oldest first, with the reason given and their unfinished blockers."""
    keys = ("id", "project", "number", "title", "reason", "since", "blockers")
    rows = [dict(zip(keys, row)) for row in conn.execute(_BLOCKED_SQL[dialect.name(conn)], {"limit": limit})]
    for row in rows:
        row["blockers"] = row["blockers"].split(" ") if row["blockers"] else []
    return rows


def blocked_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM tasks WHERE status = 'blocked'").fetchone()[0]


def unpriced_models(conn: sqlite3.Connection, since: str) -> list[dict]:
    """Models of usage rows since `since` that had no price (their cost is counted as 0)."""
    rows = conn.execute("SELECT COALESCE(model, '(none)'), count(*) FROM usage WHERE ts >= ? AND cost_known = 0"
                        " GROUP BY model ORDER BY count(*) DESC, model", (since,))
    return [{"model": model, "calls": calls} for model, calls in rows]


BACKUP_SUFFIXES = (".db", ".dump")  # what `nerv db backup` writes: a copy of the SQLite file, a pg_dump


def database_health(conn: sqlite3.Connection, path: str, backups_dir: str) -> dict:
    """Database and WAL sizes, schema version and the newest backup's time: no page of the database is read."""
    newest = None
    try:
        with os.scandir(backups_dir) as entries:
            for entry in entries:
                if entry.name.endswith(BACKUP_SUFFIXES) and entry.is_file():
                    newest = max(newest or 0.0, entry.stat().st_mtime)
    except OSError:
        pass  # no backups folder yet: never backed up
    size, wal = dialect.functions(conn).database_size(conn, path)
    return {"path": path, "size_bytes": size, "wal_bytes": wal, "schema_version": admin.schema_version(conn),
            "last_backup_mtime": newest}


def pending_approvals(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM approval_requests WHERE status = 'pending'").fetchone()[0]


def task_projects(conn: sqlite3.Connection, task_ids: list[str]) -> dict[str, str]:
    """task id -> its project's name."""
    if not task_ids:
        return {}
    marks = ", ".join("?" * len(task_ids))
    return dict(conn.execute(f"SELECT t.id, p.name FROM tasks t JOIN projects p ON p.id = t.project_id"
                             f" WHERE t.id IN ({marks})", task_ids).fetchall())
