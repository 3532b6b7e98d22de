"""What shell completion offers from the ledger: short read-only queries, stdlib only (a completion request
must answer in a few milliseconds, so nothing here imports peewee). Each returns (value, description) pairs,
newest or most useful first, at most LIMIT."""

from __future__ import annotations

import sqlite3

LIMIT = 200
OPEN_FIRST = "CASE WHEN status IN ('done', 'cancelled') THEN 1 ELSE 0 END"


def offer(query, incomplete: str, *, per_project: bool = False, project: str | None = None) -> list[tuple[str, str]]:
    """`query`'s pairs from the existing database opened read-only; a per-project query reads the project
    typed before the value (`--project`), else the current one. No database, no project, or any database
    error offers nothing: completion is a convenience, never an error (a busy, damaged or older file)."""
    from nerv.errors import NervError
    from nerv.store import dialect, fastpath, lookups

    try:
        conn = fastpath.open_readonly_ledger()
    except NervError:  # the team's server is unreachable, or its driver is not installed
        return []
    if conn is None:
        return []
    try:
        if not per_project:
            return query(conn, incomplete)
        try:
            project_id = lookups.current_project(conn, project)["id"]
        except NervError:
            return []
        return query(conn, project_id, incomplete)
    except dialect.driver_error(conn):
        return []
    finally:
        conn.close()


def _prefix(incomplete: str) -> str:
    """A LIKE pattern for values that start with `incomplete` (its own wildcards taken literally)."""
    escaped = incomplete.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _pairs(conn: sqlite3.Connection, sql: str, params: tuple) -> list[tuple[str, str]]:
    return [(str(value), " ".join(str(part) for part in rest if part not in (None, "")))
            for value, *rest in conn.execute(sql, params).fetchall()]


def tasks(conn: sqlite3.Connection, project_id: str, incomplete: str) -> list[tuple[str, str]]:
    """Task numbers with title and status; open tasks first, then the newest."""
    return _pairs(conn, "SELECT number, title, '[' || status || ']' FROM tasks WHERE project_id = ?"
                        f" AND CAST(number AS TEXT) LIKE ? ESCAPE '\\' ORDER BY {OPEN_FIRST}, number DESC LIMIT ?",
                  (project_id, _prefix(incomplete), LIMIT))


def projects(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    return _pairs(conn, "SELECT name, goal FROM projects WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
                  (_prefix(incomplete), LIMIT))


def cycles(conn: sqlite3.Connection, project_id: str, incomplete: str) -> list[tuple[str, str]]:
    return _pairs(conn, "SELECT number, goal, '[' || status || ']' FROM cycles WHERE project_id = ?"
                        " AND CAST(number AS TEXT) LIKE ? ESCAPE '\\' ORDER BY number DESC LIMIT ?",
                  (project_id, _prefix(incomplete), LIMIT))


def decisions(conn: sqlite3.Connection, project_id: str, incomplete: str) -> list[tuple[str, str]]:
    return _pairs(conn, "SELECT number, title, '[' || status || ']' FROM decisions WHERE project_id = ?"
                        " AND CAST(number AS TEXT) LIKE ? ESCAPE '\\' ORDER BY number DESC LIMIT ?",
                  (project_id, _prefix(incomplete), LIMIT))


def checkpoints(conn: sqlite3.Connection, project_id: str, incomplete: str) -> list[tuple[str, str]]:
    return _pairs(conn, "SELECT number, name, reason, created_at FROM checkpoints WHERE project_id = ?"
                        " AND CAST(number AS TEXT) LIKE ? ESCAPE '\\' ORDER BY number DESC LIMIT ?",
                  (project_id, _prefix(incomplete), LIMIT))


def rules(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    return _pairs(conn, "SELECT id, action, rule FROM approval_rules WHERE CAST(id AS TEXT) LIKE ? ESCAPE '\\'"
                        " ORDER BY id DESC LIMIT ?", (_prefix(incomplete), LIMIT))


def sessions(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    """Session ids, the most recently started first."""
    return _pairs(conn, "SELECT id, substr(started_at, 1, 16), agent, model FROM claude_sessions"
                        " WHERE id LIKE ? ESCAPE '\\' ORDER BY started_at DESC LIMIT ?",
                  (_prefix(incomplete), LIMIT))


def approvals(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    """Approval request ids, pending ones first, then the newest."""
    return _pairs(conn, "SELECT id, tool, agent, '[' || status || ']' FROM approval_requests"
                        " WHERE CAST(id AS TEXT) LIKE ? ESCAPE '\\'"
                        " ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, id DESC LIMIT ?",
                  (_prefix(incomplete), LIMIT))


def agents(conn: sqlite3.Connection, incomplete: str) -> list[tuple[str, str]]:
    return _pairs(conn, "SELECT name, substr(last_seen_at, 1, 16) FROM agents WHERE name LIKE ? ESCAPE '\\'"
                        " ORDER BY last_seen_at DESC LIMIT ?", (_prefix(incomplete), LIMIT))
