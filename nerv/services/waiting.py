"""What waits, and on what (`nerv task blocked`): the open tasks of a project that cannot move on their own.

A task waits on each unfinished `blocks` dependency, on its own `blocked` status (with the reason given),
on its open subtasks (a container), and on pending approval requests recorded for it.
"""

from __future__ import annotations

from nerv.services.approvals import summary
from nerv.services.tasks import OPEN_STATUSES, children_progress, resolve_project
from nerv.store.db import Store
from nerv.store.models import ApprovalRequest, Task, TaskDep


def waiting_tasks(store: Store, project=None) -> list[dict]:
    """Open tasks that wait, by number, each with `waits_on`: a list of {kind, ...} (kind: dependency,
    blocked, subtasks, approval)."""
    proj = resolve_project(store, project)
    waits: dict[str, list[dict]] = {}
    for dependent_id, number, title, status in open_dependencies(proj.id):
        waits.setdefault(dependent_id, []).append({"kind": "dependency", "ref": f"#{number}", "title": title,
                                                   "status": status})
    for task in Task.select().where((Task.project == proj.id) & (Task.status == "blocked")):
        waits.setdefault(task.id, []).append({"kind": "blocked", "reason": task.status_reason})
    for parent_id, progress in children_progress(proj.id).items():
        if progress["open"]:
            waits.setdefault(parent_id, []).append({"kind": "subtasks", **progress})
    for request in (ApprovalRequest.select().join(Task, on=(ApprovalRequest.task == Task.id))
                    .where((Task.project == proj.id) & (ApprovalRequest.status == "pending"))
                    .order_by(ApprovalRequest.id)):
        waits.setdefault(request.task_id, []).append({"kind": "approval", "id": request.id, "tool": request.tool,
                                                      "summary": summary(request.tool_input),
                                                      "since": request.created_at})
    if not waits:
        return []
    rows = []
    for task in (Task.select().where(Task.id.in_(list(waits)) & Task.status.in_(OPEN_STATUSES))
                 .order_by(Task.number)):
        rows.append({"id": task.id, "number": task.number, "ref": f"#{task.number}", "title": task.title,
                     "status": task.status, "assignee": task.assignee, "waits_on": waits[task.id]})
    return rows


def open_dependencies(project_id: str):
    """(dependent id, blocker number, title, status) for every unfinished `blocks` dependency in the project."""
    Blocker = Task.alias()
    return (TaskDep.select(TaskDep.task, Blocker.number, Blocker.title, Blocker.status)
             .join(Blocker, on=(TaskDep.depends_on == Blocker.id))
             .switch(TaskDep).join(Task, on=(TaskDep.task == Task.id))
             .where((Task.project == project_id) & (TaskDep.type == "blocks") & (Blocker.status != "done"))
             .order_by(Blocker.number).tuples())
