"""The resume brief's reads: a task, its dependencies, its last handoff, decisions and learnings. Stdlib only.

Shared by `nerv handoff show` and the SessionStart hook (nerv.hook.plugins.handoff), which must not import peewee.
"""

from __future__ import annotations

import json
import sqlite3

RECENT_LIMIT = 5
_TASK_COLUMNS = ("id", "project_id", "number", "title", "status", "assignee", "description")
_HANDOFF_COLUMNS = ("id", "task_id", "text", "next_steps", "files", "agent", "created_at")


def _task(conn: sqlite3.Connection, task_id: str) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return dict(zip(_TASK_COLUMNS, row)) if row else None


def _handoff(row) -> dict:
    data = dict(zip(_HANDOFF_COLUMNS, row))
    data["next_steps"] = json.loads(data["next_steps"])
    data["files"] = json.loads(data["files"])
    return data


def resume_data(conn: sqlite3.Connection, project_id: str, task_id: str | None) -> dict:
    """Everything the brief shows. Without a task: the project's latest handoff only."""
    columns = ", ".join(_HANDOFF_COLUMNS)
    if task_id is None:
        row = conn.execute(f"SELECT {columns} FROM handoffs WHERE project_id = ? ORDER BY created_at DESC LIMIT 1",
                           (project_id,)).fetchone()
        return {"task": None, "dependencies": [], "handoff": _handoff(row) if row else None,
                "decisions": [], "learnings": []}
    row = conn.execute(f"SELECT {columns} FROM handoffs WHERE task_id = ? ORDER BY created_at DESC LIMIT 1",
                       (task_id,)).fetchone()
    deps = conn.execute(
        "SELECT t.number, t.title, t.status, d.type FROM task_deps d JOIN tasks t ON t.id = d.depends_on_id"
        " WHERE d.task_id = ? ORDER BY t.number", (task_id,)).fetchall()
    decisions = conn.execute(
        "SELECT number, title, status FROM decisions WHERE task_id = ? ORDER BY number DESC LIMIT ?",
        (task_id, RECENT_LIMIT)).fetchall()
    learnings = conn.execute(
        "SELECT number, text FROM learnings WHERE task_id = ? ORDER BY number DESC LIMIT ?",
        (task_id, RECENT_LIMIT)).fetchall()
    return {
        "task": _task(conn, task_id),
        "dependencies": [dict(zip(("number", "title", "status", "type"), d)) for d in deps],
        "handoff": _handoff(row) if row else None,
        "decisions": [dict(zip(("number", "title", "status"), d)) for d in decisions],
        "learnings": [dict(zip(("number", "text"), item)) for item in learnings],
    }
