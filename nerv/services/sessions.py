"""Claude sessions: start/end records, transcript import, project/task assignment, listings."""

from __future__ import annotations

import os

from nerv.errors import conflict, invalid
from nerv.services import validate
from nerv.services.periods import parse_when
from nerv.services.refs import by_id_or_prefix
from nerv.services.tasks import find_task, held_task
from nerv.store.clock import new_id, parse_iso
from nerv.store.db import Store
from nerv.store.models import ClaudeSession, Cycle, Project, Task, Usage

SESSION_ID_MAX = 200


def find_session(ref: str) -> ClaudeSession:
    """A session by full id or unambiguous prefix (at least 4 characters). Raises not_found / ambiguous."""
    text = validate.one_line(ref, "session id", max_len=SESSION_ID_MAX)
    return by_id_or_prefix(ClaudeSession.select(), ClaudeSession.id, text, "session", "see `nerv session list`",
                           lambda s: s.id)


def start_session(store: Store, session_id: str | None = None, *, task: str | None = None, model: str | None = None,
                  agent: str | None = None, project: str | None = None, cwd: str | None = None) -> dict:
    """Record a session as active. Its task: `task`, else the task `agent` holds. Raises conflict if it exists."""
    from nerv.services.projects import find_project

    session_id = validate.one_line(session_id, "session id", max_len=SESSION_ID_MAX) if session_id else new_id()
    model = validate.one_line(model, "model", max_len=200, required=False)
    agent = validate.one_line(agent, "agent", max_len=200, required=False)
    linked = find_task(store, task, project) if task else held_task(store, agent)
    here = os.path.realpath(cwd or os.getcwd())
    if project:
        project_id = find_project(project).id
    elif linked is not None:
        project_id = linked.project_id
    else:
        found = store.projects.for_path(here)
        project_id = found["id"] if found else None

    def body(tx):
        if ClaudeSession.get_or_none(ClaudeSession.id == session_id):
            raise conflict(f"session {session_id} already exists", "end it with `nerv session end`, or pick another id")
        row = {"id": session_id, "project": project_id, "task": linked.id if linked else None, "agent": agent,
               "model": model, "cwd": here, "status": "active", "started_at": tx.now, "last_activity_at": tx.now,
               "created_at": tx.now, "updated_at": tx.now}
        ClaudeSession.insert(row).execute()
        after = ClaudeSession.get_by_id(session_id).to_dict()
        tx.audit("session.start", "session", session_id, project_id=project_id, after=after)
        return after

    return store.write(body)


def end_session(store: Store, ref: str, reason: str | None = None) -> dict:
    """Mark a session ended (conflict if it already is)."""
    session = find_session(ref)
    reason = validate.one_line(reason, "reason", max_len=200, required=False)
    if session.status == "ended" and session.ended_at:
        raise conflict(f"session {session.id} already ended at {session.ended_at}")
    before = session.to_dict()

    def body(tx):
        ClaudeSession.update(status="ended", ended_at=tx.now, end_reason=reason, updated_at=tx.now).where(
            ClaudeSession.id == session.id).execute()
        after = ClaudeSession.get_by_id(session.id).to_dict()
        tx.audit("session.end", "session", session.id, project_id=session.project_id, before=before, after=after)
        return after

    return store.write(body)


def _summary_row(session: ClaudeSession, names: dict[str, str]) -> dict:
    row = session.to_dict()
    row["project"] = names.get(session.project_id) if session.project_id else None
    return row


def list_sessions(store: Store, *, project: str | None = None, since: str | None = None, task: str | None = None,
                  unassigned: bool = False, limit: int = 100) -> list[dict]:
    """Sessions, newest first, with token totals and cost; filters combine."""
    from nerv.services.projects import find_project

    validate.int_in_range(limit, "--limit", 1, 100_000)
    query = ClaudeSession.select()
    if project:
        query = query.where(ClaudeSession.project == find_project(project).id)
    if unassigned:
        query = query.where(ClaudeSession.project.is_null())
    if task:
        query = query.where(ClaudeSession.task == find_task(store, task, project).id)
    if since:
        bound = parse_when(since, store=store)
        query = query.where(ClaudeSession.started_at >= bound)
    names = {p.id: p.name for p in Project.select(Project.id, Project.name)}
    rows = query.order_by(ClaudeSession.started_at.desc(nulls="last"), ClaudeSession.id).limit(limit)
    return [_summary_row(s, names) for s in rows]


def _duration_s(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        return round((parse_iso(end) - parse_iso(start)).total_seconds(), 3)
    except ValueError:
        return None


def show_session(store: Store, ref: str) -> dict:
    """One session: tokens by kind (5-minute/1-hour cache writes apart), cost, API calls, models, duration, links."""

    session = find_session(ref)
    data = session.to_dict()
    usage = store.sessions.usage(session.id)
    data.update({k: usage[k] for k in ("cache_write_5m_tokens", "cache_write_1h_tokens", "unpriced_calls",
                                       "models")})
    data["api_calls"] = usage["api_calls"]
    data["subagents"] = store.sessions.subagent_usage(session.id)
    data["duration_s"] = _duration_s(session.started_at, session.ended_at or session.last_activity_at)
    project = Project.get_or_none(Project.id == session.project_id) if session.project_id else None
    data["project"] = project.name if project else None
    task = Task.get_or_none(Task.id == session.task_id) if session.task_id else None
    data["task"] = {"id": task.id, "number": task.number, "title": task.title} if task else None
    cycle = Cycle.get_or_none(Cycle.id == task.cycle_id) if task and task.cycle_id else None
    data["cycle"] = cycle.number if cycle else None
    return data


def assign_session(store: Store, ref: str, *, project: str | None = None, task: str | None = None) -> dict:
    """Set a session's project and/or its task, and the same on all its usage rows. A task implies its project."""
    from nerv.services.projects import find_project

    if not project and not task:
        raise invalid("nothing to assign", "pass --project P and/or --task T")
    session = find_session(ref)
    linked = find_task(store, task, project) if task else None
    project_id = find_project(project).id if project else (linked.project_id if linked else session.project_id)
    if linked and project_id != linked.project_id:
        raise invalid(f"task #{linked.number} belongs to another project than {project!r}")
    before = session.to_dict()

    def body(tx):
        changes = {"project": project_id, "updated_at": tx.now}
        if linked:
            changes["task"] = linked.id
        ClaudeSession.update(changes).where(ClaudeSession.id == session.id).execute()
        # By hand, for the whole session: every call of it counts for the task (docs/costs.md, attribution).
        usage_changes = {"project": project_id, **({"task": linked.id} if linked else {})}
        moved = Usage.update(usage_changes).where(Usage.session == session.id).execute()
        after = ClaudeSession.get_by_id(session.id).to_dict()
        tx.audit("session.assign", "session", session.id, project_id=project_id, before=before, after=after)
        return {**after, "usage_rows_moved": moved}

    return store.write(body)

