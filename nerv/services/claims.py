"""Claims with leases: many agents take work from one queue, each task exactly once.

A claim is one write transaction (store.write) that first releases expired leases of the project
(recording each expiry in the audit log), then takes the first ready task with a compare-and-swap
(`store.tasks.claim`: the row changes only if it is still claimable when the UPDATE runs) and gives it a
lease. Two agents can never both take a row, whether or not the backend admits one writer at a time: the
loser's swap changes nothing and it moves on to the next ready task.
"""

from __future__ import annotations

import re
from datetime import timedelta

from peewee import fn

from nerv.errors import NervError, conflict, invalid
from nerv.services.tasks import (agent_name, current_row, find_task, label, note_holder_change, open_blockers,
                                 open_children, resolve_project, task_row, transition_fields)
from nerv.store.clock import parse_iso, to_iso
from nerv.store.db import Store
from nerv.store.models import Agent, ClaudeSession, Task

DEFAULT_LEASE_KEY = "tasks.default_lease"
STALE_AFTER_KEY = "agents.stale_after"
_DURATION = re.compile(r"^\s*(\d{1,7})\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LEASE_MIN_S, LEASE_MAX_S = 10, 7 * 86400
# Ready tasks a queue claim tries in turn; past these, it reports nothing ready rather than scan on.
CLAIM_CANDIDATES = 20


def parse_duration(text: str, field: str = "lease") -> int:
    """'90s', '30m', '2h', '1d' -> seconds (10 s to 7 days)."""
    match = _DURATION.match(str(text or ""))
    if not match:
        raise invalid(f"{field} {str(text)[:40]!r} is not a duration", "write it like 90s, 30m, 2h or 1d")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not LEASE_MIN_S <= seconds <= LEASE_MAX_S:
        raise invalid(f"{field} {text.strip()} is out of range", "use between 10s and 7d")
    return seconds


def _lease_seconds(store: Store, lease: str | None, project_id: str | None) -> int:
    if lease is not None:
        return parse_duration(lease)
    from nerv.services.settings import effective

    return parse_duration(effective(store, DEFAULT_LEASE_KEY, project_id), DEFAULT_LEASE_KEY)


def _plus(now: str, seconds: int) -> str:
    return to_iso(parse_iso(now) + timedelta(seconds=seconds))


def _touch_agent(name: str, now: str, action: str, *, heartbeat: bool) -> None:
    update = {Agent.last_seen_at: now, Agent.last_action: action}
    if heartbeat:
        update[Agent.last_heartbeat_at] = now
    Agent.insert(name=name, first_seen_at=now, last_seen_at=now, last_action=action,
                 last_heartbeat_at=now if heartbeat else None) \
        .on_conflict(conflict_target=[Agent.name], update=update).execute()


def expire_leases(store: Store, tx, project_id: str) -> list[dict]:
    """Return expired in-progress tasks of a project to todo, one audit row (`task.lease_expired`) each."""
    expired = store.tasks.expired_leases(tx, project_id)
    for row in expired:
        task = Task.get_by_id(row["id"])
        before = task_row(task)
        Task.update(status="todo", assignee=None, lease_expires_at=None, updated_at=tx.now,
                    status_reason=f"lease of {row['assignee']} expired at {row['lease_expires_at']}") \
            .where(Task.id == task.id).execute()
        after = task_row(Task.get_by_id(task.id))
        tx.audit("task.lease_expired", "task", task.id, project_id=project_id, before=before, after=after)
        note_holder_change(tx, before, after)
    return expired


def _why_not_claimable(task: Task, now: str) -> str:
    if task.status == "in_progress" and task.assignee:
        until = f" until {task.lease_expires_at}" if task.lease_expires_at else " (no lease: held until released)"
        return f"it is held by {task.assignee}{until}"
    if task.status != "todo":
        return f"it is {task.status}; only todo tasks can be claimed"
    if task.assignee and (task.lease_expires_at is None or task.lease_expires_at > now):
        return f"it is held by {task.assignee}"
    blockers = open_blockers(task.id)
    if blockers:
        return "it waits on " + ", ".join(f"{label(b)} ({b.status})" for b in blockers)
    children = open_children(task.id)
    if children:
        return (f"it is a container: its subtasks are the work, and {len(children)} are open ("
                + ", ".join(f"#{c.number}" for c in children[:10]) + ")")
    return "it is not ready"


def _take_named(tx, target: Task, take) -> Task:
    task = Task.get_by_id(target.id)
    if not take(tx, task):
        current = Task.get_by_id(target.id)
        raise conflict(f"cannot claim {label(current)}: {_why_not_claimable(current, tx.now)}",
                       "see `nerv task ready` for claimable tasks")
    return task


def _take_first(store: Store, tx, project_id: str, take) -> Task | None:
    """The first ready task this claim's swap won (a task another writer took meanwhile is skipped).

    Where writers run at once (PostgreSQL), others may take every candidate before this swap runs; each
    loss means another claim committed, so the queue is read again until a swap wins or the queue is empty.
    """
    seen: set[str] = set()
    while True:
        ids = [row["id"] for row in store.tasks.ready(tx, project_id, CLAIM_CANDIDATES)]
        fresh = [task_id for task_id in ids if task_id not in seen]
        if not fresh:
            return None
        for task_id in fresh:
            task = Task.get_by_id(task_id)
            if take(tx, task):
                return task
        seen.update(fresh)


def claim(store: Store, ref: str | None = None, *, agent: str, lease: str | None = None, project=None,
          paths=None, cwd: str | None = None) -> dict:
    """Atomically take task `ref` (or the first ready one) for `agent` with a lease.

    Returns the task row plus `expired` (leases released on the way). Raises nothing_ready when the
    queue is empty, conflict when the named task cannot be claimed (the message says why). `paths`:
    path leases taken in the same transaction for the task, with the claim's expiry (the result then
    has `path_leases` and `lease_overlaps`, nerv.services.leases).
    """
    from nerv.services import leases

    agent = agent_name(agent)
    patterns = leases.check_patterns(paths) if paths else None
    target = find_task(store, ref, project) if ref is not None else None
    proj_id = target.project_id if target else resolve_project(store, project).id
    seconds = _lease_seconds(store, lease, proj_id)
    anchor = leases.anchor_for(store, proj_id, cwd) if patterns else None

    def take(tx, task: Task) -> bool:
        fields = transition_fields(task, "in_progress", tx.now, agent=agent)
        return store.tasks.claim(tx, task.id, {**fields, "lease_expires_at": _plus(tx.now, seconds)})

    def body(tx):
        expired = expire_leases(store, tx, proj_id)
        task = _take_named(tx, target, take) if target is not None else _take_first(store, tx, proj_id, take)
        if task is None:
            return None, expired
        before = task_row(task)
        after = task_row(Task.get_by_id(task.id))
        _touch_agent(agent, tx.now, "claim", heartbeat=True)
        tx.audit("task.claim", "task", task.id, project_id=proj_id, before=before, after=after)
        note_holder_change(tx, before, after)
        if patterns:
            made = leases.create_for_claim(tx, task=task, agent=agent, patterns=patterns, anchor=anchor)
            after = {**after, "path_leases": made["leases"], "lease_overlaps": made["overlaps"]}
        return after, expired

    claimed, expired = store.write(body, actor=agent)
    if claimed is None:
        raise NervError("nothing_ready", "no task is ready to claim",
                        "see `nerv task list` for blocked or held work", details={"expired": expired})
    return {**claimed, "expired": expired}


def renewed_expiry(old_expiry: str | None, now: str, seconds: int) -> str:
    """`now + seconds`, never earlier than the current expiry: a clock stepped back must not shorten a lease."""
    new_expiry = _plus(now, seconds)
    return max(old_expiry, new_expiry) if old_expiry else new_expiry


def heartbeat(store: Store, ref: str, *, agent: str, lease: str | None = None, project=None) -> dict:
    """Extend the holder's lease (from now, never shortening it). A lapsed lease nobody took yet can still
    be renewed."""
    agent = agent_name(agent)
    task = find_task(store, ref, project)
    seconds = _lease_seconds(store, lease, task.project_id)

    def body(tx):
        current = current_row(task)
        before = task_row(current)
        expires_at = renewed_expiry(current.lease_expires_at, tx.now, seconds)
        if not store.tasks.heartbeat(tx, task.id, agent, {"lease_expires_at": expires_at, "updated_at": tx.now}):
            holder = f"held by {current.assignee}" if current.assignee else "held by nobody"
            raise conflict(f"{agent} does not hold {label(current)} (it is {current.status}, {holder})",
                           "your lease may have expired and been released; claim it again or take another")
        after = task_row(Task.get_by_id(task.id))
        _touch_agent(agent, tx.now, "heartbeat", heartbeat=True)
        tx.audit("task.heartbeat", "task", task.id, project_id=task.project_id, before=before, after=after)
        from nerv.services.leases import extend_for_task

        extend_for_task(tx, task.id, agent, after["lease_expires_at"])  # its path leases live as long
        return after

    return store.write(body, actor=agent)


def release(store: Store, ref: str, *, agent: str | None = None, project=None) -> dict:
    """Give a claimed task back to the queue (todo, no holder). With `agent`, only if that agent holds it."""
    agent = agent_name(agent) if agent is not None else None
    task = find_task(store, ref, project)

    def body(tx):
        current = current_row(task)
        before = task_row(current)
        if not store.tasks.release(tx, task.id, agent, transition_fields(current, "todo", tx.now, reason="released")):
            if current.status != "in_progress":
                raise conflict(f"cannot release {label(current)}: it is {current.status}, not in_progress")
            raise conflict(f"{agent} does not hold {label(current)} (held by {current.assignee or 'nobody'})",
                           "omit --agent to release it whoever holds it")
        after = task_row(Task.get_by_id(task.id))
        if agent:
            _touch_agent(agent, tx.now, "release", heartbeat=False)
        tx.audit("task.release", "task", task.id, project_id=task.project_id, before=before, after=after)
        note_holder_change(tx, before, after)
        return after

    return store.write(body, actor=agent)


def list_agents(store: Store) -> list[dict]:
    """Every agent seen in claims, task holders or Claude sessions: what it holds, last heartbeat, staleness.

    Stale: it holds an in-progress task whose lease has expired, or it holds work and has not been seen
    for longer than the `agents.stale_after` setting.
    """
    from nerv.services.settings import effective

    now = store.now()
    stale_after = parse_duration(effective(store, STALE_AFTER_KEY, None), STALE_AFTER_KEY)
    agents: dict[str, dict] = {}

    def entry(name: str) -> dict:
        return agents.setdefault(name, {"name": name, "holds": [], "last_heartbeat_at": None,
                                        "last_seen_at": None, "sessions": 0, "stale": False})

    for row in Agent.select():
        item = entry(row.name)
        item.update(last_heartbeat_at=row.last_heartbeat_at, last_seen_at=row.last_seen_at)
    for task in Task.select().where(Task.assignee.is_null(False) & Task.status.in_(("in_progress", "review")))\
            .order_by(Task.number):
        item = entry(task.assignee)
        item["holds"].append({"id": task.id, "ref": f"#{task.number}", "title": task.title, "status": task.status,
                              "lease_expires_at": task.lease_expires_at})
        if task.status == "in_progress" and task.lease_expires_at and task.lease_expires_at <= now:
            item["stale"] = True
    for name, count, last in (ClaudeSession.select(ClaudeSession.agent, fn.COUNT(ClaudeSession.id),
                                                   fn.MAX(ClaudeSession.last_activity_at))
                              .where(ClaudeSession.agent.is_null(False)).group_by(ClaudeSession.agent).tuples()):
        item = entry(name)
        item["sessions"] = count
        if last and (item["last_seen_at"] is None or last > item["last_seen_at"]):
            item["last_seen_at"] = last
    cutoff = to_iso(parse_iso(now) - timedelta(seconds=stale_after))
    for item in agents.values():
        if item["holds"] and item["last_seen_at"] and item["last_seen_at"] < cutoff:
            item["stale"] = True
    return sorted(agents.values(), key=lambda a: a["name"])
