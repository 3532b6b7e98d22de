"""What decisions, learnings and handoffs attach to: the project, an optional task and cycle, the agent."""

from __future__ import annotations

from nerv.env import nerv_agent
from nerv.services import validate
from nerv.store.db import Store
from nerv.store.models import Cycle, Project, Task


def project_for(store: Store, project_ref: str | None) -> Project:
    from nerv.services.projects import current_project

    return current_project(store, project_ref)


def optional_task(store: Store, ref, project: Project) -> Task | None:
    """The task `ref` names (number in `project`, id or id prefix), or None when no ref was given."""
    if ref is None:
        return None
    from nerv.services.tasks import find_task

    return find_task(store, ref, project)


def optional_cycle(project: Project, number: int | None) -> Cycle | None:
    if number is None:
        return None
    from nerv.services.cycles import find_cycle

    return find_cycle(project, number)


def active_cycle(project: Project) -> Cycle | None:
    return Cycle.get_or_none((Cycle.project == project.id) & (Cycle.status == "active"))


def acting_agent(agent: str | None = None) -> str | None:
    """The agent writing a learning or handoff: --agent, else NERV_AGENT, else nobody in particular."""
    name = agent or nerv_agent()
    return validate.one_line(name, "agent name", max_len=validate.NAME_MAX, required=False) if name else None


def task_brief(task: Task | None) -> dict | None:
    if task is None:
        return None
    return {"id": task.id, "number": task.number, "title": task.title, "status": task.status,
            "assignee": task.assignee}
