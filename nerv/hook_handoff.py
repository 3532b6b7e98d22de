"""The resume brief (`nerv handoff show`) and the SessionStart context provider. Stdlib only.

`context_for_session` runs inside the hook process: raw sqlite3 through nerv.store's stdlib modules,
no peewee, numpy or typer, and it never raises (a broken brief must not break a session start).
"""

from __future__ import annotations

import os
import sqlite3

from nerv.store import lookups, queries_knowledge, queries_sessions
from nerv.store.queries_tasks import held_task_id

EXCERPT_CHARS = 300


def _short(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _file_ref(item: dict) -> str:
    return f"{item['path']}:{item['line']}" if item.get("line") else item["path"]


def format_brief(data: dict, project_name: str | None = None) -> str:
    """A compact, plain-text resume brief for a person or an agent's context window."""
    lines = [f"nerv resume brief{f' (project {project_name})' if project_name else ''}"]
    task = data.get("task")
    if task:
        holder = f", held by {task['assignee']}" if task.get("assignee") else ""
        lines.append(f"Task #{task['number']}: {task['title']} [{task['status']}{holder}]")
        if task.get("description"):
            lines.append(f"  {_short(task['description'])}")
        if data["dependencies"]:
            deps = "; ".join(f"#{d['number']} {_short(d['title'], 60)} [{d['status']}]"
                             + ("" if d["type"] == "blocks" else f" ({d['type']})") for d in data["dependencies"])
            lines.append(f"Depends on: {deps}")
    else:
        lines.append("No task held: showing the project's latest handoff.")
    handoff = data.get("handoff")
    if handoff:
        who = f" by {handoff['agent']}" if handoff.get("agent") else ""
        when = handoff["created_at"][:16].replace("T", " ")
        lines.append(f"Last handoff ({when} UTC{who}): {_short(handoff['text'])}")
        if handoff["files"]:
            lines.append("  Files: " + ", ".join(_file_ref(f) for f in handoff["files"]))
        for index, step in enumerate(handoff["next_steps"], start=1):
            lines.append(f"  Next {index}. {_short(step, 200)}")
    else:
        lines.append("No handoff saved yet.")
    if data.get("decisions"):
        lines.append("Decisions: " + "; ".join(f"#{d['number']} {_short(d['title'], 80)} [{d['status']}]"
                                               for d in data["decisions"]))
    for learning in data.get("learnings") or []:
        lines.append(f"Learning #{learning['number']}: {_short(learning['text'], 200)}")
    return "\n".join(lines)


def _agent_names(links: dict, payload: dict) -> list[str]:
    return [name for name in (links.get("agent"), os.environ.get("NERV_AGENT"), payload.get("agent_id")) if name]


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
