"""Small lookups shared by services and the stdlib-only hook path (no peewee here)."""

from __future__ import annotations

import json
import sqlite3

_MISSING = object()


def project_for_path(conn: sqlite3.Connection, path: str) -> dict | None:
    """The project whose registered repo contains `path` (the deepest repo wins), or None."""
    row = conn.execute(
        "SELECT p.id, p.name, r.path FROM project_repos r JOIN projects p ON p.id = r.project_id"
        " WHERE r.path = ?1 OR substr(?1, 1, length(r.path) + 1) = r.path || '/'"
        " ORDER BY length(r.path) DESC LIMIT 1",
        (path,),
    ).fetchone()
    return {"id": row[0], "name": row[1], "repo_path": row[2]} if row else None


def stored_setting(conn: sqlite3.Connection, key: str, project_id: str | None):
    """The stored JSON value for `key` in one scope (None = global), or the _MISSING sentinel."""
    if project_id is None:
        row = conn.execute("SELECT value FROM settings WHERE project_id IS NULL AND key = ?", (key,)).fetchone()
    else:
        row = conn.execute("SELECT value FROM settings WHERE project_id = ? AND key = ?", (project_id, key)).fetchone()
    return json.loads(row[0]) if row else _MISSING


def effective_setting(conn: sqlite3.Connection, key: str, project_id: str | None, default=None):
    """Project value, else global value, else `default`."""
    if project_id is not None:
        value = stored_setting(conn, key, project_id)
        if value is not _MISSING:
            return value
    value = stored_setting(conn, key, None)
    return default if value is _MISSING else value
