"""The ready-work queries: hand-written SQL on the raw sqlite3 connection (hot path of `ready`/`next`/`claim`).

A task is ready when it is todo and nobody holds it (or its holder's lease has run out, also for an
in-progress task), none of its `blocks` dependencies is unfinished, and none of its children is open. The NOT EXISTS probe uses
ix_task_deps_task_type, and the outer walk uses ix_tasks_ready_order, so the first rows arrive already in
priority-then-age order.
"""

from __future__ import annotations

import sqlite3

from nerv.store import dialect

READY_COLUMNS = ("id", "number", "title", "type", "status", "priority", "assignee", "lease_expires_at",
                 "cycle_id", "parent_id", "created_at")

# INDEXED BY: without ANALYZE statistics SQLite picks the primary-key index and then seeks the table for
# each dependency's status; the (id, status) index answers the probe alone (~20% faster at 10k tasks).
# PostgreSQL has no index hints (its planner keeps statistics itself).
_BLOCKER_JOIN = {dialect.SQLITE: "JOIN tasks b INDEXED BY ix_tasks_id_status", dialect.POSTGRESQL: "JOIN tasks b"}
_DEPENDENCIES_DONE_FOR = {name: f"""
    NOT EXISTS (
        SELECT 1 FROM task_deps d {join} ON b.id = d.depends_on_id
        WHERE d.task_id = t.id AND d.type = 'blocks' AND b.status <> 'done'
    )
""" for name, join in _BLOCKER_JOIN.items()}
# A parent (an epic, a task split into subtasks) is a container: its children are the work, so it is
# neither ready nor claimable while one of them is open. The probe walks ix_tasks_parent.
CLOSED_STATUSES = ("done", "cancelled")
_NO_OPEN_CHILDREN = """
    NOT EXISTS (SELECT 1 FROM tasks c WHERE c.parent_id = t.id AND c.status NOT IN ('done', 'cancelled'))
"""
_UNBLOCKED_FOR = {name: f"{done} AND {_NO_OPEN_CHILDREN}" for name, done in _DEPENDENCIES_DONE_FOR.items()}
_TODO_UNHELD = "t.status = 'todo' AND (t.assignee IS NULL OR t.lease_expires_at <= :now)"
_LEASE_EXPIRED = "t.status = 'in_progress' AND t.lease_expires_at <= :now"
_SELECT = f"SELECT {', '.join('t.' + c for c in READY_COLUMNS)} FROM tasks t"

# Two branches, each with an equality on status, so each walks ix_tasks_ready_order already sorted and
# SQLite merges them; one `status IN (...)`/OR would scan the project and sort it in a temp b-tree.
_READY_SQL = {name: f"{_SELECT} WHERE t.project_id = :project AND {_TODO_UNHELD} AND {unblocked}"
                    f" UNION ALL {_SELECT} WHERE t.project_id = :project AND {_LEASE_EXPIRED} AND {unblocked}"
                    " ORDER BY priority, created_at, number" for name, unblocked in _UNBLOCKED_FOR.items()}

_CLAIMABLE = {name: f"(({_TODO_UNHELD}) OR ({_LEASE_EXPIRED})) AND {unblocked}"
              for name, unblocked in _UNBLOCKED_FOR.items()}
_IS_CLAIMABLE_SQL = {name: f"SELECT 1 FROM tasks t WHERE t.id = :id AND {claimable}"
                     for name, claimable in _CLAIMABLE.items()}
# Claims, heartbeats and releases are compare-and-swaps: the row changes only if, when the UPDATE runs, it
# is still in the state the caller checked, so correctness does not rest on one writer at a time. Under
# PostgreSQL's READ COMMITTED a second claimer's UPDATE waits for the first and then re-checks the guard
# on the row as committed, so it finds the task taken and changes nothing.
_CLAIM_GUARD = _CLAIMABLE
_HOLDER_GUARD = "t.status = 'in_progress' AND t.assignee = :agent"
_RELEASE_GUARD = "t.status = 'in_progress' AND (:agent IS NULL OR t.assignee = :agent)"
# What a move may set; the values come from the domain's transition rules (services.tasks.transition_fields).
_SETTABLE = ("status", "status_reason", "assignee", "lease_expires_at", "started_at", "completed_at", "updated_at")

_EXPIRED_SQL = ("SELECT id, number, assignee, lease_expires_at FROM tasks"
                " WHERE project_id = :project AND status = 'in_progress' AND lease_expires_at <= :now")


def lease_expired(row: dict, now: str) -> bool:
    """`_LEASE_EXPIRED` of one row: in progress, but the holder's lease ran out, so the task is claimable
    again whatever `assignee` still says."""
    return row["status"] == "in_progress" and row.get("lease_expires_at") is not None and row["lease_expires_at"] <= now


def ready_tasks(conn: sqlite3.Connection, project_id: str, now: str, limit: int | None = None) -> list[dict]:
    """Ready tasks of a project in claim order (priority, then creation time, then number); all of them
    when `limit` is None or negative."""
    sql, params = _READY_SQL[dialect.name(conn)], {"project": project_id, "now": now}
    if limit is not None and limit >= 0:
        sql, params = sql + " LIMIT :limit", {**params, "limit": limit}
    return [dict(zip(READY_COLUMNS, row)) for row in conn.execute(sql, params).fetchall()]


def is_claimable(conn: sqlite3.Connection, task_id: str, now: str) -> bool:
    return conn.execute(_IS_CLAIMABLE_SQL[dialect.name(conn)], {"id": task_id, "now": now}).fetchone() is not None


def claim(conn: sqlite3.Connection, task_id: str, fields: dict, now: str) -> bool:
    """Set `fields` on `task_id` if it is claimable now; False (nothing changed) when it is not."""
    return _swap(conn, task_id, fields, _CLAIM_GUARD[dialect.name(conn)], {"now": now})


def heartbeat(conn: sqlite3.Connection, task_id: str, agent: str, fields: dict) -> bool:
    """Set `fields` (the new lease) if `agent` still holds `task_id`; False (nothing changed) when not."""
    return _swap(conn, task_id, fields, _HOLDER_GUARD, {"agent": agent})


def release(conn: sqlite3.Connection, task_id: str, agent: str | None, fields: dict) -> bool:
    """Set `fields` (back to todo) if `task_id` is in progress, and held by `agent` when given."""
    return _swap(conn, task_id, fields, _RELEASE_GUARD, {"agent": agent})


def _swap(conn: sqlite3.Connection, task_id: str, fields: dict, guard: str, params: dict) -> bool:
    unknown = set(fields) - set(_SETTABLE)
    if unknown:
        raise ValueError(f"a task move cannot set {sorted(unknown)}")
    values = {f"set_{name}": value for name, value in fields.items()}
    assignments = ", ".join(f"{name} = :set_{name}" for name in fields)
    sql = f"UPDATE tasks AS t SET {assignments} WHERE t.id = :id AND {guard} RETURNING id"
    return conn.execute(sql, {**params, **values, "id": task_id}).fetchone() is not None


def expired_leases(conn: sqlite3.Connection, project_id: str, now: str) -> list[dict]:
    """In-progress tasks whose lease ran out before `now` (their holders stopped heartbeating)."""
    rows = conn.execute(_EXPIRED_SQL, {"project": project_id, "now": now}).fetchall()
    return [dict(zip(("id", "number", "assignee", "lease_expires_at"), row)) for row in rows]


def blocks_edges(conn: sqlite3.Connection, project_id: str) -> list[tuple[str, str]]:
    """Every (task_id, depends_on_id) `blocks` edge of a project, for cycle checks."""
    return conn.execute(
        "SELECT d.task_id, d.depends_on_id FROM task_deps d JOIN tasks t ON t.id = d.task_id"
        " WHERE t.project_id = ? AND d.type = 'blocks'", (project_id,)).fetchall()


# ---- who holds what, and since when -----------------------------------------------------------------
# The one definition of "the task an agent holds", used by the hooks (SessionStart, handoff brief) and the
# services (session start, handoffs, claims): a task in one of HELD_STATUSES whose assignee is the agent.
# agent_task_spans keeps the history of holdings; when an agent holds several tasks, the one it began
# holding last is "its" task.
HELD_STATUSES = ("in_progress", "review")

_HELD_TASK_SQL = (
    "SELECT t.id FROM tasks t LEFT JOIN agent_task_spans sp ON sp.task_id = t.id AND sp.ended_at IS NULL"
    " WHERE t.assignee = :agent AND t.status IN (" + ", ".join(f"'{s}'" for s in HELD_STATUSES) + ")"
    " AND (:project IS NULL OR t.project_id = :project)"
    " ORDER BY coalesce(sp.started_at, t.started_at, t.updated_at) DESC, t.number DESC LIMIT 1")


def held_task_id(conn: sqlite3.Connection, agent: str | None, project_id: str | None = None) -> str | None:
    """The task `agent` holds (within `project_id` when given), or None."""
    if not agent:
        return None
    row = conn.execute(_HELD_TASK_SQL, {"agent": agent, "project": project_id}).fetchone()
    return row[0] if row else None


def holder(status: str | None, assignee: str | None) -> str | None:
    """Who holds a task with this status and assignee: the assignee while the task is in a held status."""
    return assignee if status in HELD_STATUSES and assignee else None


_OTHER_LINKS_SQL = {name: "SELECT id, task_id FROM claude_sessions WHERE agent = ? AND status = 'active'"
                          f" AND task_id {is_not} ?"
                    for name, is_not in ((dialect.SQLITE, "IS NOT"), (dialect.POSTGRESQL, "IS DISTINCT FROM"))}


def record_holding(conn: sqlite3.Connection, task_id: str, before: str | None, after: str | None,
                   now: str) -> list[dict]:
    """Close and open agent_task_spans when a task's holder changes, and move the task link of the active
    sessions of the agents concerned to the task each holds now. Call in the transaction of the change.

    Returns the moved links [{session_id, agent, before, after}] so the caller can audit them.
    """
    if before == after:
        return []
    # Whatever span is open ends now (also one a restore left behind): a task has one holder at a time.
    conn.execute("UPDATE agent_task_spans SET ended_at = CASE WHEN started_at > :now THEN started_at ELSE :now END"
                 " WHERE task_id = :task AND ended_at IS NULL", {"now": now, "task": task_id})
    if after:
        conn.execute("INSERT INTO agent_task_spans (agent, task_id, started_at) VALUES (?, ?, ?)",
                     (after, task_id, now))
    moved = []
    for agent in dict.fromkeys(a for a in (before, after) if a):
        current = held_task_id(conn, agent)
        for session_id, linked in conn.execute(_OTHER_LINKS_SQL[dialect.name(conn)], (agent, current)).fetchall():
            conn.execute("UPDATE claude_sessions SET task_id = ?, updated_at = ? WHERE id = ?",
                         (current, now, session_id))
            moved.append({"session_id": session_id, "agent": agent, "before": linked, "after": current})
    return moved


def holding_spans(conn: sqlite3.Connection, agents: list[str]) -> dict[str, list[tuple[str, str | None, str]]]:
    """agent -> [(started_at, ended_at, task_id)] sorted by start: what the importer attributes calls by."""
    spans: dict[str, list] = {}
    names = sorted(set(a for a in agents if a))
    for start in range(0, len(names), 500):
        part = names[start:start + 500]
        for agent, task_id, started, ended in conn.execute(
                f"SELECT agent, task_id, started_at, ended_at FROM agent_task_spans WHERE agent IN"
                f" ({', '.join('?' * len(part))}) ORDER BY agent, started_at, id", part):
            spans.setdefault(agent, []).append((started, ended, task_id))
    return spans


def task_label(conn: sqlite3.Connection, task_id: str | None) -> str | None:
    """`#number title` of a task, or None."""
    row = conn.execute("SELECT number, title FROM tasks WHERE id = ?", (task_id,)).fetchone() if task_id else None
    return f"#{row[0]} {row[1]}" if row else None
