"""Cycles: time boxes of work, one active per project, with progress and velocity across closed cycles."""

from __future__ import annotations

from peewee import fn

from nerv.errors import NervError, conflict, not_found
from nerv.services import validate
from nerv.services.tasks import OPEN_STATUSES, label, resolve_project
from nerv.store.clock import new_id, parse_iso
from nerv.store.db import Store
from nerv.store.models import Cycle, Project, Task


def _active(project: Project) -> Cycle | None:
    return Cycle.get_or_none((Cycle.project == project.id) & (Cycle.status == "active"))


def _progress(cycle: Cycle) -> dict:
    counts = dict(Task.select(Task.status, fn.COUNT(Task.id)).where(Task.cycle == cycle.id)
                  .group_by(Task.status).tuples())
    total = sum(counts.values())
    done = counts.get("done", 0)
    cancelled = counts.get("cancelled", 0)
    return {"done": done, "total": total, "cancelled": cancelled, "by_status": counts,
            "percent": round(100 * done / (total - cancelled), 1) if total - cancelled else None}


def _cycle_row(cycle: Cycle) -> dict:
    row = {f.column_name: getattr(cycle, f.column_name) for f in Cycle._meta.sorted_fields}
    row["progress"] = _progress(cycle)
    row["days"] = _days(cycle)
    return row


def _days(cycle: Cycle) -> float | None:
    if not cycle.closed_at:
        return None
    return round((parse_iso(cycle.closed_at) - parse_iso(cycle.started_at)).total_seconds() / 86400, 3)


def velocity(project: Project) -> dict:
    """Tasks done and days taken per closed cycle: mean, median and 90th percentile (numpy)."""
    closed = list(Cycle.select().where((Cycle.project == project.id) & (Cycle.status == "closed")))
    if not closed:
        return {"closed_cycles": 0, "tasks": None, "days": None}
    import numpy as np

    tasks = np.array([_progress(c)["done"] for c in closed], dtype=float)
    days = np.array([_days(c) for c in closed], dtype=float)

    def stats(values) -> dict:
        return {"mean": round(float(np.mean(values)), 3), "median": round(float(np.median(values)), 3),
                "p90": round(float(np.percentile(values, 90)), 3)}

    return {"closed_cycles": len(closed), "tasks": stats(tasks), "days": stats(days)}


def start_cycle(store: Store, goal: str, project=None) -> dict:
    """Start the project's next cycle; refused while another is active."""
    goal = validate.one_line(goal, "goal", max_len=validate.TITLE_MAX)
    proj = resolve_project(store, project)

    def body(tx):
        active = _active(proj)
        if active:
            raise conflict(f"cycle {active.number} ({active.goal}) is still active in {proj.name}",
                           "close it first with `nerv cycle close`")
        return _insert_cycle(tx, proj, goal)

    return store.write(body)


def _insert_cycle(tx, proj: Project, goal: str) -> dict:
    number = tx.next_number("cycle", proj.id)
    row = {"id": new_id(), "project_id": proj.id, "number": number, "goal": goal, "status": "active",
           "learnings": None, "started_at": tx.now, "closed_at": None}
    Cycle.insert(row).execute()
    tx.audit("cycle.start", "cycle", row["id"], project_id=proj.id, after=row)
    return row


def find_cycle(project: Project, number: int | None) -> Cycle:
    """Cycle `number`, or (None) the active cycle, else the latest one."""
    if number is not None:
        validate.int_in_range(number, "cycle number", 1, 10**9)
        cycle = Cycle.get_or_none((Cycle.project == project.id) & (Cycle.number == number))
        if cycle is None:
            raise not_found("cycle", f"{number} in project {project.name}", "see `nerv cycle list`")
        return cycle
    cycle = _active(project) or Cycle.select().where(Cycle.project == project.id).order_by(Cycle.number.desc()).first()
    if cycle is None:
        raise not_found("cycle", f"in project {project.name}", "start one with `nerv cycle start GOAL`")
    return cycle


def list_cycles(store: Store, project=None) -> list[dict]:
    proj = resolve_project(store, project)
    return [_cycle_row(c) for c in Cycle.select().where(Cycle.project == proj.id).order_by(Cycle.number)]


def project_velocity(store: Store, project=None) -> dict:
    proj = resolve_project(store, project)
    return {"project": proj.name, **velocity(proj)}


def show_cycle(store: Store, number: int | None = None, project=None) -> dict:
    proj = resolve_project(store, project)
    cycle = find_cycle(proj, number)
    row = _cycle_row(cycle)
    row["tasks"] = [{"ref": f"#{t.number}", "id": t.id, "title": t.title, "status": t.status,
                     "assignee": t.assignee} for t in Task.select().where(Task.cycle == cycle.id).order_by(Task.number)]
    row["velocity"] = velocity(proj)
    return row


def current_cycle(store: Store, project=None) -> dict:
    proj = resolve_project(store, project)
    cycle = _active(proj)
    if cycle is None:
        raise not_found("active cycle", f"in project {proj.name}", "start one with `nerv cycle start GOAL`")
    return _cycle_row(cycle)


def close_cycle(store: Store, *, learnings: str | None = None, carry_over: bool = False,
                next_goal: str | None = None, project=None) -> dict:
    """Close the active cycle. Open tasks refuse it, unless carry_over starts the next cycle and moves them."""
    learnings = validate.text(learnings, "learnings")
    next_goal = validate.one_line(next_goal, "next goal", max_len=validate.TITLE_MAX, required=False)
    proj = resolve_project(store, project)

    def body(tx):
        cycle = _active(proj)
        if cycle is None:
            raise not_found("active cycle", f"in project {proj.name}", "nothing to close")
        open_tasks = list(Task.select().where((Task.cycle == cycle.id) & Task.status.in_(OPEN_STATUSES))
                          .order_by(Task.number))
        if open_tasks and not carry_over:
            names = "; ".join(f"{label(t)} ({t.status})" for t in open_tasks)
            raise NervError("conflict", f"cycle {cycle.number} still has {len(open_tasks)} open task(s): {names}",
                            "finish or cancel them, or pass --carry-over to move them to the next cycle",
                            details=[f"#{t.number}" for t in open_tasks])
        before = {"status": cycle.status, "learnings": cycle.learnings, "closed_at": None}
        Cycle.update(status="closed", learnings=learnings, closed_at=tx.now).where(Cycle.id == cycle.id).execute()
        tx.audit("cycle.close", "cycle", cycle.id, project_id=proj.id, before=before,
                 after={"status": "closed", "learnings": learnings, "closed_at": tx.now})
        learning = None
        if learnings and learnings.strip():
            # The retro's text is a learning of the cycle too: `nerv learnings --cycle N` lists it and
            # `nerv search` finds it, like one recorded with `nerv learn`.
            from nerv.services.knowledge_links import acting_agent
            from nerv.services.learnings import insert_learning

            learning = insert_learning(tx, proj.id, learnings, tags=["retro"], agent=acting_agent(None),
                                       task_id=None, cycle_id=cycle.id)
        next_cycle = None
        if open_tasks:
            next_cycle = _insert_cycle(tx, proj, next_goal or f"carried over from cycle {cycle.number}")
            for task in open_tasks:
                Task.update(cycle=next_cycle["id"], updated_at=tx.now).where(Task.id == task.id).execute()
                tx.audit("task.carry_over", "task", task.id, project_id=proj.id, before={"cycle_id": cycle.id},
                         after={"cycle_id": next_cycle["id"]})
        return cycle.id, next_cycle, [f"#{t.number}" for t in open_tasks], learning

    cycle_id, next_cycle, moved, learning = store.write(body)
    return {**_cycle_row(Cycle.get_by_id(cycle_id)), "carried_over": moved, "next_cycle": next_cycle,
            "learning_number": learning["number"] if learning else None}
