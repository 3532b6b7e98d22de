"""Tasks: references, the status state machine, subtasks, listing, the board and ready work.

State machine (docs/tasks.md draws it). A verb moves a task from one of its allowed statuses to its target:

    start   todo | blocked | review          -> in_progress
    review  in_progress                      -> review
    done    todo | in_progress | review      -> done      (refused while a subtask is open)
    block   todo | in_progress | review      -> blocked
    reopen  done | cancelled | blocked       -> todo      (holder cleared)
    cancel  todo | in_progress | review | blocked -> cancelled
    claim   todo (ready), or in_progress whose lease expired -> in_progress   (nerv.services.claims)
    release in_progress                      -> todo      (nerv.services.claims)

Every check that depends on current state runs again inside the write transaction, so two people acting
on the same task at once cannot both pass it.
"""

from __future__ import annotations

import re


from nerv.domain import vocabulary
from nerv.errors import conflict, invalid, not_found
from nerv.services import validate
from nerv.services.projects import current_project
from nerv.services.refs import PREFIX_MIN, by_id_or_prefix
from nerv.store import queries_tasks
from nerv.store.clock import new_id
from nerv.store.db import Store
from nerv.store.models import Cycle, Project, Task, TaskDep

STATUSES = vocabulary.TASK_STATUSES
OPEN_STATUSES = ("todo", "in_progress", "review", "blocked")
TYPES = vocabulary.TASK_TYPES
DEP_TYPES = vocabulary.TASK_DEP_TYPES
PRIORITY_MIN, PRIORITY_MAX = 0, 4

TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    "start": (frozenset({"todo", "blocked", "review"}), "in_progress"),
    "review": (frozenset({"in_progress"}), "review"),
    "done": (frozenset({"todo", "in_progress", "review"}), "done"),
    "block": (frozenset({"todo", "in_progress", "review"}), "blocked"),
    "reopen": (frozenset({"done", "cancelled", "blocked"}), "todo"),
    "cancel": (frozenset({"todo", "in_progress", "review", "blocked"}), "cancelled"),
}

_NUMBER = re.compile(r"^#?(\d{1,9})$")
_HEX = re.compile(r"^[0-9a-f]+$")


# ---- references ---------------------------------------------------------------------------------------

def resolve_project(store: Store, project) -> Project:
    """A Project from a Project, a name/id reference, or None (the current project)."""
    if isinstance(project, Project):
        return project
    return current_project(store, project)


def held_task(store: Store, agent: str | None, project_id: str | None = None) -> Task | None:
    """The task `agent` holds (within `project_id` when given), or None: queries_tasks.held_task_id, the
    definition the hooks share, as a model."""
    task_id = store.tasks.held_task_id(agent, project_id)
    return Task.get_by_id(task_id) if task_id else None


def find_task(store: Store, ref, project=None) -> Task:
    """The task a person or script named: `12`/`#12` (number in the project), a full id, or an id prefix.

    `project` is a Project, a project reference, or None for the current project; it is only needed for
    numbers. Prefixes (at least 4 hex digits) are global because ids are. A reference of digits only is
    a number first; when no task has that number it is tried as an id prefix (ids are hex, so a prefix
    can be all digits). Raises NervError invalid / not_found / ambiguous.
    """
    text = str(ref if ref is not None else "").strip()
    if not text:
        raise invalid("task reference must not be empty", "use a number (12), an id or an id prefix")
    if len(text) > 64 or validate.has_control(text):
        raise invalid(f"{text[:40]!r} is not a task reference", "use a number (12), an id or an id prefix")
    number = _NUMBER.match(text)
    if number:
        proj = resolve_project(store, project)
        task = Task.get_or_none((Task.project == proj.id) & (Task.number == int(number.group(1))))
        if task is not None:
            return task
        if text.startswith("#") or len(text) < PREFIX_MIN or not Task.select().where(Task.id.startswith(text)).exists():
            raise not_found("task", f"#{number.group(1)} in project {proj.name}", "see `nerv task list`")
    if not _HEX.match(text.lower()):
        raise invalid(f"{text!r} is not a task reference", "use a number (12), an id or an id prefix")
    return by_id_or_prefix(Task.select(), Task.id, text.lower(), "task", "see `nerv task list`",
                           lambda t: f"{t.id[:12]} (#{t.number} {t.title[:30]})")


def _removed_meanwhile(task: Task) -> NervError:
    return not_found("task", f"{label(task)} (removed by another process after it was looked up)",
                     "see `nerv task list`")


def current_row(task: Task) -> Task:
    """Inside a write: the task's row as it is now, locked until the write ends (so the audit row's before
    is the row the UPDATE changes). A task is looked up before its write lock is taken, so another process
    may have removed it in between."""
    from nerv.store.orm import locked

    current = locked(Task.select().where(Task.id == task.id)).first()
    if current is None:
        raise _removed_meanwhile(task)
    return current


def update_row(task: Task, **fields) -> None:
    """Inside a write: set `fields` on the task's row; not_found when no row was there to change."""
    if Task.update(**fields).where(Task.id == task.id).execute() == 0:
        raise _removed_meanwhile(task)


def agent_name(name: str | None) -> str:
    """The acting agent (from --agent or NERV_AGENT, which the CLI reads), validated; required."""
    if name is None or not str(name).strip():
        raise invalid("an agent name is required", "pass --agent NAME or set NERV_AGENT")
    return validate.one_line(name, "agent name", max_len=validate.NAME_MAX)


def task_row(task: Task) -> dict:
    """A task as plain data (foreign keys under their column names) plus its short `ref`."""
    row = {f.column_name: getattr(task, f.column_name) for f in Task._meta.sorted_fields}
    row["ref"] = f"#{task.number}"
    return row


def label(task: Task) -> str:
    return f"#{task.number} {task.title}"


def note_holder_change(tx, before: dict, after: dict) -> None:
    """Record who holds the task now (agent_task_spans) and move the agents' active session links, one
    `session.task_link` audit row per moved link. `before`/`after` are task_row()s; call in the change's tx."""
    holder = queries_tasks.holder
    moved = tx.store.tasks.record_holding(tx, after["id"], holder(before["status"], before["assignee"]),
                                           holder(after["status"], after["assignee"]))
    for link in moved:
        tx.audit("session.task_link", "session", link["session_id"], project_id=after["project_id"],
                 before={"task_id": link["before"]}, after={"task_id": link["after"], "agent": link["agent"]})
    was = holder(before["status"], before["assignee"])
    if was is not None and was != holder(after["status"], after["assignee"]):
        from nerv.services.leases import release_for_task

        release_for_task(tx, after["id"], was)  # the path leases the agent took for this task end with it


# ---- create / read ------------------------------------------------------------------------------------

def _cycle_by_number(project: Project, number: int, *, open_only: bool = True) -> Cycle:
    validate.int_in_range(number, "cycle number", 1, 10**9)
    cycle = Cycle.get_or_none((Cycle.project == project.id) & (Cycle.number == number))
    if cycle is None:
        raise not_found("cycle", f"{number} in project {project.name}", "see `nerv cycle list`")
    if open_only and cycle.status != "active":
        raise conflict(f"cycle {number} is closed", "add the task to the active cycle (`nerv cycle current`)")
    return cycle


def _clean_fields(title=None, description=None, type_=None, priority=None, *, title_required: bool) -> dict:
    fields = {}
    if title is not None or title_required:
        fields["title"] = validate.one_line(title, "title", max_len=validate.TITLE_MAX)
    if description is not None:
        fields["description"] = validate.text(description, "description")
    if type_ is not None:
        fields["type"] = validate.choice(type_, "type", TYPES)
    if priority is not None:
        fields["priority"] = validate.int_in_range(priority, "priority", PRIORITY_MIN, PRIORITY_MAX)
    return fields


def add_task(store: Store, title: str, *, description: str | None = None, type_: str = "task",
             priority: int = 2, parent: str | None = None, depends_on=(), cycle: int | None = None,
             project=None) -> dict:
    """Create a task with the next per-project number; optional parent, `blocks` dependencies and cycle."""
    fields = _clean_fields(title, description, type_, priority, title_required=True)
    proj = resolve_project(store, project)
    parent_task = find_task(store, parent, proj) if parent else None
    if parent_task and parent_task.project_id != proj.id:
        raise invalid(f"parent {label(parent_task)} belongs to another project")
    deps = [find_task(store, ref, proj) for ref in depends_on or ()]
    for dep in deps:
        if dep.project_id != proj.id:
            raise invalid(f"dependency {label(dep)} belongs to another project")
    cycle_row = _cycle_by_number(proj, cycle) if cycle is not None else None

    def body(tx):
        number = tx.next_number("task", proj.id)
        row = {"id": new_id(), "project_id": proj.id, "number": number, "type": "task", "priority": 2,
               "description": None, **fields, "status": "todo",
               "parent_id": parent_task.id if parent_task else None,
               "cycle_id": cycle_row.id if cycle_row else None, "created_at": tx.now, "updated_at": tx.now}
        Task.insert(row).execute()
        tx.audit("task.add", "task", row["id"], project_id=proj.id, after=row)
        for dep in {d.id: d for d in deps}.values():
            dep_row = {"task_id": row["id"], "depends_on_id": dep.id, "type": "blocks", "created_at": tx.now}
            TaskDep.insert(dep_row).execute()
            tx.audit("task.dep.add", "task_dep", f"{row['id']}>{dep.id}", project_id=proj.id, after=dep_row)
        return task_row(Task.get_by_id(row["id"]))

    return store.write(body)


def list_tasks(store: Store, *, status: str | None = None, cycle: int | None = None, ready: bool = False,
               mine: bool = False, agent: str | None = None, project=None) -> list[dict]:
    """Tasks of the project, filtered; ready=True gives the ready queue in claim order.

    mine=True keeps the tasks held by `agent` (required then: --agent or NERV_AGENT).
    """
    return task_page(store, None, status=status, cycle=cycle, ready=ready, mine=mine, agent=agent,
                     project=project)[0]


def task_page(store: Store, limit: int | None, **filters) -> tuple[list[dict], int]:
    """The first `limit` tasks list_tasks would give (all with None) and how many match in all: a person's
    list reads only the rows it shows (10,000 tasks through the models cost ~0.4 s)."""
    if limit is not None:
        validate.int_in_range(limit, "--limit", 0, validate.ROW_ID_MAX)
    proj, matched = _matching_tasks(store, **filters)
    if isinstance(matched, list):
        return (matched if limit is None else matched[:limit]), len(matched)
    query = matched.order_by(Task.number)
    rows = annotate(proj.id, [task_row(t) for t in (query if limit is None else query.limit(limit))], store.now())
    total = len(rows) if limit is None or len(rows) < limit else matched.count()
    return rows, total


def _matching_tasks(store: Store, *, status: str | None = None, cycle: int | None = None, ready: bool = False,
                    mine: bool = False, agent: str | None = None, project=None):
    """The project and the ready rows (a list, in claim order), else the query of the matching tasks."""
    assignee = agent_name(agent) if mine else None
    proj = resolve_project(store, project)
    if status is not None:
        validate.choice(status, "status", STATUSES)
    if ready:
        rows = store.tasks.ready_at(proj.id, store.now())
        cycle_id = _cycle_by_number(proj, cycle, open_only=False).id if cycle is not None else None
        return proj, [r for r in rows if (status is None or r["status"] == status)
                      and (cycle_id is None or r["cycle_id"] == cycle_id)
                      and (assignee is None or r["assignee"] == assignee)]
    query = Task.select().where(Task.project == proj.id)
    if status is not None:
        query = query.where(Task.status == status)
    if cycle is not None:
        query = query.where(Task.cycle == _cycle_by_number(proj, cycle, open_only=False).id)
    if assignee is not None:
        query = query.where(Task.assignee == assignee)
    return proj, query


def ready_tasks(store: Store, project=None, limit: int | None = None) -> list[dict]:
    """Ready tasks in claim order (see nerv.services.queue, the peewee-free path the CLI uses)."""
    from nerv.services import queue

    return queue.ready_tasks(store, project.name if isinstance(project, Project) else project, limit)


def open_blockers(task_id: str) -> list[Task]:
    """The unfinished tasks this one waits on through `blocks` dependencies."""
    return list(Task.select().join(TaskDep, on=(TaskDep.depends_on == Task.id))
                .where((TaskDep.task == task_id) & (TaskDep.type == "blocks") & (Task.status != "done"))
                .order_by(Task.number))


def children_progress(project_id: str) -> dict[str, dict]:
    """Per parent task of the project: its children `done`, `open` and `total` (cancelled ones not counted)."""
    from peewee import Case, fn

    def count_of(condition):
        return fn.SUM(Case(None, [(condition, 1)], 0))

    query = (Task.select(Task.parent, count_of(Task.status == "done"), count_of(Task.status.in_(OPEN_STATUSES)),
                         count_of(Task.status != "cancelled"))
             .where((Task.project == project_id) & Task.parent.is_null(False)).group_by(Task.parent).tuples())
    return {parent: {"done": done, "open": open_, "total": total} for parent, done, open_, total in query}


def annotate(project_id: str, rows: list[dict], now: str) -> list[dict]:
    """Add what a row's columns alone would misstate: `progress` of its children and `container` (open children: the
    task is not ready or claimable itself), `lease_expired` (in progress, but its holder's lease ran out)."""
    progress = children_progress(project_id)
    for row in rows:
        row["progress"] = progress.get(row["id"])
        row["container"] = bool(row["progress"] and row["progress"]["open"])
        row["lease_expired"] = queries_tasks.lease_expired(row, now)
    return rows


def open_children(task_id: str) -> list[Task]:
    return list(Task.select().where((Task.parent == task_id) & Task.status.in_(OPEN_STATUSES)).order_by(Task.number))


def show_task(store: Store, ref: str, project=None) -> dict:
    """One task with its children, dependencies (both directions), cycle and parent."""
    task = find_task(store, ref, project)
    data = task_row(task)
    data["parent"] = _brief(Task.get_or_none(Task.id == task.parent_id)) if task.parent_id else None
    data["cycle_number"] = Cycle.get_by_id(task.cycle_id).number if task.cycle_id else None
    data["children"] = [_brief(t) for t in Task.select().where(Task.parent == task.id).order_by(Task.number)]
    data["depends_on"] = [{**_brief(t), "dep_type": t.dep_type} for t in
                          Task.select(Task, TaskDep.type.alias("dep_type"))
                          .join(TaskDep, on=(TaskDep.depends_on == Task.id)).where(TaskDep.task == task.id)
                          .order_by(Task.number).objects()]
    data["dependents"] = [{**_brief(t), "dep_type": t.dep_type} for t in
                          Task.select(Task, TaskDep.type.alias("dep_type"))
                          .join(TaskDep, on=(TaskDep.task == Task.id)).where(TaskDep.depends_on == task.id)
                          .order_by(Task.number).objects()]
    now = store.now()
    data["ready"] = store.tasks.is_claimable(task.id, now)
    return annotate(task.project_id, [data], now)[0]


def _brief(task: Task | None) -> dict | None:
    if task is None:
        return None
    return {"id": task.id, "number": task.number, "ref": f"#{task.number}", "title": task.title,
            "status": task.status, "assignee": task.assignee}


# ---- change ---------------------------------------------------------------------------------------------

def edit_task(store: Store, ref: str, *, title=None, description=None, type_=None, priority=None,
              parent: str | None = None, clear_parent: bool = False, cycle: int | None = None,
              clear_cycle: bool = False, project=None) -> dict:
    """Change a task's fields; the audit row records exactly what changed."""
    fields = _clean_fields(title, description, type_, priority, title_required=False)
    task = find_task(store, ref, project)
    proj = Project.get_by_id(task.project_id)
    if parent and clear_parent:
        raise invalid("--parent and --no-parent contradict each other")
    if cycle is not None and clear_cycle:
        raise invalid("--cycle and --no-cycle contradict each other")
    if parent:
        parent_task = find_task(store, parent, proj)
        _check_parent(task, parent_task)
        fields["parent_id"] = parent_task.id
    if clear_parent:
        fields["parent_id"] = None
    if cycle is not None:
        fields["cycle_id"] = _cycle_by_number(proj, cycle).id
    if clear_cycle:
        fields["cycle_id"] = None
    if not fields:
        raise invalid("nothing to change", "pass at least one option, see `nerv task edit --help`")

    def body(tx):
        current = current_row(task)
        before = task_row(current)
        if fields.get("parent_id"):
            _check_parent(current, Task.get_by_id(fields["parent_id"]))
        update_row(task, **fields, updated_at=tx.now)
        after = task_row(Task.get_by_id(task.id))
        tx.audit("task.edit", "task", task.id, project_id=task.project_id, before=before, after=after)
        return after

    return store.write(body)


def _check_parent(task: Task, parent: Task) -> None:
    if parent.project_id != task.project_id:
        raise invalid(f"parent {label(parent)} belongs to another project")
    chain, node = [task.id], parent
    while node is not None:
        if node.id in chain:
            raise conflict(f"{label(parent)} cannot be the parent of {label(task)}: it is {label(task)} "
                           "or one of its subtasks")
        chain.append(node.id)
        node = Task.get_or_none(Task.id == node.parent_id) if node.parent_id else None


def transition_fields(task: Task, target: str, now: str, *, reason=None, agent=None) -> dict:
    """The columns a move to `target` sets (timestamps, holder, lease)."""
    fields = {"status": target, "status_reason": reason, "updated_at": now}
    if target == "in_progress":
        fields["started_at"] = task.started_at or now
        if agent:
            fields["assignee"] = agent
    elif target == "done":
        fields["completed_at"] = now
        fields["lease_expires_at"] = None
    elif target == "todo":
        fields.update(assignee=None, lease_expires_at=None, completed_at=None)
    else:
        fields["lease_expires_at"] = None
    return fields


# Finishing work another agent holds is refused unless forced: two agents racing to close one task is
# how work gets lost, and the audit must say when someone overrode the holder.
HOLDER_VERBS = frozenset({"review", "done"})


def change_status(store: Store, ref: str, verb: str, *, reason: str | None = None, agent: str | None = None,
                  project=None, force: bool = False) -> dict:
    """Apply a state-machine verb (start/review/done/block/reopen/cancel); refuse forbidden moves clearly.

    `review`/`done` of a task held by another agent (or with no agent named) needs `force`; the audit row's
    action then ends in `.forced`."""
    if verb not in TRANSITIONS:
        raise invalid(f"unknown action {verb!r}", f"use one of: {', '.join(TRANSITIONS)}")
    reason = validate.one_line(reason, "reason", max_len=validate.TITLE_MAX, required=False)
    agent = validate.one_line(agent, "agent name", max_len=validate.NAME_MAX, required=False)
    allowed_from, target = TRANSITIONS[verb]
    task = find_task(store, ref, project)

    def body(tx):
        current = current_row(task)
        if current.status not in allowed_from:
            raise conflict(f"cannot {verb} {label(current)}: it is {current.status}; "
                           f"{verb} applies to {' or '.join(sorted(allowed_from))} tasks",
                           "docs/tasks.md shows the state machine",
                           details={"status": current.status, "allowed_from": sorted(allowed_from)})
        forced = _overrides_holder(current, verb, agent, force)
        if target == "done":
            children = open_children(current.id)
            if children:
                names = ", ".join(f"{label(c)} ({c.status})" for c in children)
                raise conflict(f"cannot mark {label(current)} done: subtasks still open: {names}",
                               "finish or cancel them first", details=[c.id for c in children])
        if target == "in_progress":
            blockers = open_blockers(current.id)
            if blockers:
                names = ", ".join(f"{label(b)} ({b.status})" for b in blockers)
                raise conflict(f"cannot start {label(current)}: it waits on {names}",
                               "finish them first, or remove the dependency with `nerv task dep rm`")
        before = task_row(current)
        update_row(current, **transition_fields(current, target, tx.now, reason=reason, agent=agent))
        after = task_row(Task.get_by_id(current.id))
        action = f"task.{verb}.forced" if forced else f"task.{verb}"
        tx.audit(action, "task", current.id, project_id=current.project_id, before=before, after=after)
        note_holder_change(tx, before, after)
        return after

    return store.write(body, actor=agent)


def _overrides_holder(task: Task, verb: str, agent: str | None, force: bool) -> bool:
    """Whether this move overrides the agent holding `task`; raises conflict when it would and not `force`."""
    holder = task.assignee if task.status == "in_progress" else None
    if verb not in HOLDER_VERBS or holder is None or holder == agent:
        return False
    if not force:
        who = f"{agent} does not hold" if agent else "no agent named for"
        raise conflict(f"{who} {label(task)}: {holder} holds it", f"pass --agent {holder}, or --force to "
                       "finish it for them (audited as forced)", details={"holder": holder, "agent": agent})
    return True


def remove_task(store: Store, ref: str, *, yes: bool, project=None) -> dict:
    """Delete a task and its dependency links; its subtasks lose their parent (they are kept)."""
    task = find_task(store, ref, project)
    children = list(Task.select().where(Task.parent == task.id))
    deps = TaskDep.select().where((TaskDep.task == task.id) | (TaskDep.depends_on == task.id)).count()
    plan = {"task": _brief(task), "dependency_links": deps, "subtasks_unparented": [c.number for c in children]}
    if not yes:
        raise conflict(f"removing {label(task)} also deletes {deps} dependency link(s) and unparents "
                       f"{len(children)} subtask(s)", "rerun with --yes (the audit log keeps its history)",
                       details=plan)

    def body(tx):
        before = task_row(current_row(task))
        Task.delete().where(Task.id == task.id).execute()
        tx.audit("task.rm", "task", task.id, project_id=task.project_id, before=before)
        return {"removed": before, **plan}

    return store.write(body)


# ---- board --------------------------------------------------------------------------------------------

def board(store: Store, project=None, *, cycle: int | None = None) -> dict:
    """One column per status (in state-machine order) with its count and tasks (priority, then number)."""
    from nerv.services.waiting import open_dependencies

    proj = resolve_project(store, project)
    query = Task.select().where(Task.project == proj.id)
    if cycle is not None:
        query = query.where(Task.cycle == _cycle_by_number(proj, cycle, open_only=False).id)
    columns = {s: [] for s in STATUSES}
    waiting = {dependent for dependent, *_ in open_dependencies(proj.id)}
    cards = annotate(proj.id, [{"id": task.id, "number": task.number, "ref": f"#{task.number}", "title": task.title,
                                "status": task.status, "priority": task.priority, "assignee": task.assignee,
                                "lease_expires_at": task.lease_expires_at, "waits": task.id in waiting}
                               for task in query.order_by(Task.priority, Task.number)], store.now())
    for card in cards:
        columns[card["status"]].append(card)
    return {"project": proj.name,
            "columns": [{"status": s, "count": len(rows), "tasks": rows} for s, rows in columns.items()]}
