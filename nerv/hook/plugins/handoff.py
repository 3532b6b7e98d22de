"""The SessionStart context provider: the resume brief (nerv.domain.handoff_brief) of the held task. Stdlib only.

`context_for_session` runs inside the hook process: raw sqlite3 through nerv.store's stdlib modules,
no peewee, numpy or typer, and it never raises (a broken brief must not break a session start).
"""

from __future__ import annotations

import sqlite3

from nerv.domain.handoff_brief import format_brief
from nerv.env import nerv_agent
from nerv.store import lookups, queries_knowledge, queries_sessions
from nerv.store.queries_tasks import held_task_id


def _agent_names(links: dict, payload: dict) -> list[str]:
    return [name for name in (links.get("agent"), nerv_agent(), payload.get("agent_id")) if name]


def context_for_session(conn: sqlite3.Connection, event_name: str, payload: dict) -> str | None:
    """SessionStart: the resume brief of the task the session's agent holds in the cwd's project, else None."""
    if event_name != "SessionStart" or not isinstance(payload, dict):
        return None
    try:
        cwd = payload.get("cwd")
        if not isinstance(cwd, str) or not cwd:
            return None
        project = lookups.project_for_path(conn, cwd)
        if project is None:
            return None
        session_id = payload.get("session_id")
        links = queries_sessions.session_links(conn, session_id if isinstance(session_id, str) else None)
        task_id = links.get("task_id") or next(
            (held for held in (held_task_id(conn, name, project["id"]) for name in _agent_names(links, payload))
             if held), None)
        if task_id is None:
            return None
        data = queries_knowledge.resume_data(conn, project["id"], task_id)
        if data["task"] is None or data["task"]["status"] not in ("in_progress", "review"):
            return None
        return format_brief(data, project["name"])
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError):
        return None
