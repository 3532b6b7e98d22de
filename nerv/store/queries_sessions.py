"""A Claude session's row as the hooks and budget guard read and write it. Stdlib only (the hook path uses it).

Transcript import merges sessions in bulk with its own fill-the-gaps statement (nerv.store.ingest); the
`nerv session start` command inserts through the models; everything else reads sessions from here.
"""

from __future__ import annotations

import sqlite3


def session_links(conn: sqlite3.Connection, session_id: str | None) -> dict:
    """The project, task and agent nerv recorded for a session ({} when it knows none of it)."""
    if not session_id:
        return {}
    row = conn.execute("SELECT project_id, task_id, agent FROM claude_sessions WHERE id = ?", (session_id,)).fetchone()
    return {"project_id": row[0], "task_id": row[1], "agent": row[2]} if row else {}


def session_row(conn: sqlite3.Connection, session_id: str) -> dict | None:
    cursor = conn.execute("SELECT * FROM claude_sessions WHERE id = ?", (session_id,))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def upsert_session(conn: sqlite3.Connection, session_id: str, values: dict, now: str) -> tuple[dict | None, dict]:
    """Insert the session or update the given columns; returns (before, after) for the audit row."""
    before = session_row(conn, session_id)
    if before is None:
        row = {"id": session_id, "created_at": now, "updated_at": now, **values}
        columns = ", ".join(row)
        conn.execute(f"INSERT INTO claude_sessions ({columns}) VALUES ({', '.join(':' + k for k in row)})", row)
    else:
        changes = {k: v for k, v in values.items() if before.get(k) != v}
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            conn.execute(f"UPDATE claude_sessions SET {sets}, updated_at = :updated_at WHERE id = :id",
                         {**changes, "updated_at": now, "id": session_id})
    return before, session_row(conn, session_id)


def touch_session(conn: sqlite3.Connection, session_id: str, now: str) -> int:
    """The session moved on: its last activity is now, and it is no longer waiting for a person."""
    return conn.execute("UPDATE claude_sessions SET last_activity_at = ?, updated_at = ?, waiting_for = NULL,"
                        " waiting_since = NULL WHERE id = ?", (now, now, session_id)).rowcount
