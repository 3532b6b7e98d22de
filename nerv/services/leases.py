"""Path leases: an agent's claim on files (gitignore-style patterns), enforced by the PreToolUse hook.

A lease belongs to one agent and, optionally, one task. It counts while it is unreleased and unexpired;
nerv.hook.plugins.leases denies other agents' writes inside it. Leases tied to a claim (`nerv task claim
--paths`) share the claim's expiry: a heartbeat extends them, and any change that ends the agent's
holding of the task (release, done, cancel, an expired claim) releases them (note_holder_change in
nerv.services.tasks calls `release_for_task`). Every change is one transaction with its audit rows.

Overlap with another agent's live lease is allowed and reported (`overlaps`, with the holder and task):
two agents may legitimately share a folder for different files, and the hook still guards each file.
"""

from __future__ import annotations

import os
import re

from nerv.errors import conflict, invalid, not_found
from nerv.domain.leases import lease_glob, literal_dir
from nerv.services import validate
from nerv.services.tasks import agent_name, find_task, label, resolve_project
from nerv.store import queries_tasks
from nerv.store.db import Store
from nerv.store.models import PathLease, Task

PATTERN_MAX = 1000
MAX_PATTERNS = 100


def check_patterns(patterns) -> list[str]:
    """Patterns as written, validated: one line, no `..` segment, not the whole filesystem or home."""
    from nerv.rules import paths

    found: list[str] = []
    for raw in patterns or []:
        pattern = validate.one_line(raw, "path pattern", max_len=PATTERN_MAX)
        pattern = pattern.strip()
        segments = [s for s in pattern.split("/") if s]
        if ".." in segments:
            raise invalid(f"path pattern {pattern[:60]!r} has a `..` segment",
                          "write it relative to the repository root (`/src/auth/**`) or absolute (`//abs/path`)")
        if pattern in ("/", "//", "~", "~/", "**", "/**", "//**", "~/**", "*"):
            raise invalid(f"path pattern {pattern!r} would lease every file", "lease the folders you will edit")
        try:
            paths.glob_regex(lease_glob(pattern, "/anchor", "/home"), True)
        except re.error as exc:
            raise invalid(f"path pattern {pattern[:60]!r} is not a valid pattern ({exc})",
                          "use the syntax of Edit rules: src/auth/**, /docs/*.md, *.lock") from None
        if pattern not in found:
            found.append(pattern)
    if not found:
        raise invalid("at least one path pattern is required", "e.g. 'src/auth/**'")
    if len(found) > MAX_PATTERNS:
        raise invalid(f"{len(found)} path patterns is too many", f"use at most {MAX_PATTERNS}")
    return found


def anchor_for(store: Store, project_id: str, cwd: str | None = None) -> str:
    """The folder patterns are written against: the project's repo holding the cwd, else the cwd itself."""
    here = os.path.realpath(cwd or os.getcwd())
    found = store.projects.for_path(here)
    if found and found["id"] == project_id:
        return found["repo_path"]
    return here


def ttl_seconds(ttl: str | None, store: Store, project_id: str) -> int:
    from nerv.services.claims import _lease_seconds, parse_duration

    return parse_duration(ttl, "ttl") if ttl is not None else _lease_seconds(store, None, project_id)


def _row(lease: PathLease, task: Task | None = None) -> dict:
    row = {f.column_name: getattr(lease, f.column_name) for f in PathLease._meta.sorted_fields}
    if task is None and row.get("task_id"):
        task = Task.get_or_none(Task.id == row["task_id"])
    row["task"] = f"#{task.number}" if task else None
    row["task_title"] = task.title if task else None
    return row


def _overlaps(tx, agent: str, patterns: list[str], anchor: str) -> list[dict]:
    """Live leases of other agents that may cover some file the new patterns cover."""
    home = os.path.expanduser("~")
    found = []
    for lease in tx.store.tasks.live_leases(tx.now):
        if lease["agent"] == agent:
            continue
        theirs = lease_glob(lease["pattern"], lease["anchor"], home)
        for pattern in patterns:
            mine = lease_glob(pattern, anchor, home)
            if _may_overlap(mine, theirs):
                found.append({"id": lease["id"], "agent": lease["agent"], "pattern": lease["pattern"],
                              "task": f"#{lease['task_number']}" if lease["task_number"] is not None else None,
                              "task_title": lease["task_title"], "expires_at": lease["expires_at"],
                              "yours": pattern})
                break
    return found


def _may_overlap(a: str, b: str) -> bool:
    """Conservative: the fixed folder (or file) of one glob is, or is inside, the other's."""
    pa, pb = literal_dir(a), literal_dir(b)
    return pa == pb or pa.startswith(pb.rstrip("/") + "/") or pb.startswith(pa.rstrip("/") + "/")


def _insert(tx, *, project_id: str, agent: str, task_id: str | None, patterns: list[str], anchor: str,
            expires_at: str) -> list[dict]:
    rows = []
    for pattern in patterns:
        lease_id = PathLease.insert(project=project_id, agent=agent, task=task_id, pattern=pattern, anchor=anchor,
                                    expires_at=expires_at, created_at=tx.now).execute()
        row = _row(PathLease.get_by_id(lease_id))
        tx.audit("lease.add", "path_lease", str(lease_id), project_id=project_id, after=row)
        rows.append(row)
    return rows


def create_for_claim(tx, *, task: Task, agent: str, patterns: list[str], anchor: str) -> dict:
    """In the claim's transaction: leases for the claimed task with its lease expiry."""
    current = Task.get_by_id(task.id)
    overlaps = _overlaps(tx, agent, patterns, anchor)
    rows = _insert(tx, project_id=current.project_id, agent=agent, task_id=current.id, patterns=patterns,
                   anchor=anchor, expires_at=current.lease_expires_at)
    return {"leases": rows, "overlaps": overlaps}


def extend_for_task(tx, task_id: str, agent: str, expires_at: str) -> list[dict]:
    """In a heartbeat's transaction: the agent's unreleased leases of the task now end at `expires_at`, or
    later if they already did (a renewal never shortens a lease)."""
    changed = []
    for lease in PathLease.select().where((PathLease.task == task_id) & (PathLease.agent == agent)
                                          & PathLease.released_at.is_null()).order_by(PathLease.id):
        before = _row(lease)
        PathLease.update(expires_at=max(lease.expires_at, expires_at)).where(PathLease.id == lease.id).execute()
        after = _row(PathLease.get_by_id(lease.id))
        tx.audit("lease.extend", "path_lease", str(lease.id), project_id=lease.project_id, before=before, after=after)
        changed.append(after)
    return changed


def release_for_task(tx, task_id: str, agent: str | None = None) -> list[dict]:
    """In the transaction that ends a holding: release the task's unreleased leases (of `agent` if given)."""
    where = (PathLease.task == task_id) & PathLease.released_at.is_null()
    if agent is not None:
        where &= PathLease.agent == agent
    return _release_where(tx, where)


def _release_where(tx, where) -> list[dict]:
    released = []
    for lease in PathLease.select().where(where).order_by(PathLease.id):
        before = _row(lease)
        PathLease.update(released_at=tx.now).where(PathLease.id == lease.id).execute()
        after = _row(PathLease.get_by_id(lease.id))
        tx.audit("lease.release", "path_lease", str(lease.id), project_id=lease.project_id, before=before,
                 after=after)
        released.append(after)
    return released


def add(store: Store, patterns, *, agent: str | None, task: str | None = None, ttl: str | None = None,
        project=None, cwd: str | None = None) -> dict:
    """Lease `patterns` to `agent`, optionally for a task. Returns {"leases": [...], "overlaps": [...]}.

    The expiry is `ttl` from now; without it, the task's claim expiry when the agent holds the task, else
    the tasks.default_lease setting. Refused (conflict) when another agent holds the task.
    """
    agent = agent_name(agent)
    clean = check_patterns(patterns)
    target = find_task(store, task, project) if task is not None else None
    project_id = target.project_id if target else resolve_project(store, project).id
    holder = queries_tasks.holder(target.status, target.assignee) if target else None
    if target is not None and holder is not None and holder != agent:
        raise conflict(f"{label(target)} is held by {holder}, not {agent}",
                       "lease paths for a task you hold, or omit --task")
    use_claim = target is not None and ttl is None and holder == agent and target.lease_expires_at is not None
    seconds = None if use_claim else ttl_seconds(ttl, store, project_id)
    anchor = anchor_for(store, project_id, cwd)

    def body(tx):
        if use_claim:
            expires_at = Task.get_by_id(target.id).lease_expires_at
        else:
            from nerv.services.claims import _plus

            expires_at = _plus(tx.now, seconds)
        overlaps = _overlaps(tx, agent, clean, anchor)
        rows = _insert(tx, project_id=project_id, agent=agent, task_id=target.id if target else None,
                       patterns=clean, anchor=anchor, expires_at=expires_at)
        return {"leases": rows, "overlaps": overlaps}

    return store.write(body, actor=agent)


def list_leases(store: Store, *, include_all: bool = False, agent: str | None = None, project=None) -> list[dict]:
    """Live leases (unreleased and unexpired), newest last; `include_all` adds released and expired ones."""
    now = store.now()
    query = PathLease.select().order_by(PathLease.id)
    if not include_all:
        query = query.where(PathLease.released_at.is_null() & (PathLease.expires_at > now))
    if agent is not None:
        query = query.where(PathLease.agent == agent_name(agent))
    if project is not None:
        query = query.where(PathLease.project == resolve_project(store, project).id)
    rows = []
    for lease in query:
        row = _row(lease)
        row["state"] = ("released" if lease.released_at else "expired" if lease.expires_at <= now else "live")
        rows.append(row)
    return rows


def release(store: Store, lease_id: int | None = None, *, agent: str | None = None, task: str | None = None,
            project=None) -> list[dict]:
    """Release one lease by id, or every unreleased lease of an agent or of a task. Returns the released rows."""
    chosen = [lease_id is not None, agent is not None, task is not None]
    if sum(chosen) != 1:
        raise invalid("say which leases to release", "give a lease id, or --agent NAME, or --task REF (one of them)")
    if lease_id is not None:
        validate.row_id(lease_id, "lease id")
        lease = PathLease.get_or_none(PathLease.id == lease_id)
        if lease is None:
            raise not_found("path lease", f"#{lease_id}", "see `nerv lease list --all`")
        if lease.released_at is not None:
            raise conflict(f"path lease #{lease_id} was already released at {lease.released_at}")
        where = (PathLease.id == lease_id) & PathLease.released_at.is_null()
        actor = None
    elif agent is not None:
        actor = agent_name(agent)
        where = (PathLease.agent == actor) & PathLease.released_at.is_null()
    else:
        target = find_task(store, task, project)
        where = (PathLease.task == target.id) & PathLease.released_at.is_null()
        actor = None
    if not PathLease.select().where(where).exists():
        return []
    return store.write(lambda tx: _release_where(tx, where), actor=actor)

