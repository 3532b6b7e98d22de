"""Budgets and the spend measured against them. Stdlib only (the hook's budget guard reads them).

Only SQL: what a spend means (warning at 80 %, exceeded, the sentence an agent reads) is nerv.domain.budget.
"""

from __future__ import annotations

import sqlite3


def budget_rows(conn: sqlite3.Connection, project_id: str | None, all_projects: bool) -> list[tuple]:
    """(id, project id, project name, period, limit, hard) of every budget, or of the global ones and
    `project_id`'s; ordered by project name and period."""
    query = ("SELECT b.id, b.project_id, p.name, b.period, b.limit_usd, b.hard FROM budgets b"
             " LEFT JOIN projects p ON p.id = b.project_id")
    params: tuple = ()
    if not all_projects:
        query += " WHERE b.project_id IS NULL OR b.project_id = ?"
        params = (project_id,)
    return conn.execute(query + " ORDER BY p.name, b.period", params).fetchall()


def spent_since(conn: sqlite3.Connection, project_id: str | None, since: str) -> float:
    """US$ spent since `since` (an ISO prefix), in one project or (None) everywhere."""
    if project_id is None:
        row = conn.execute("SELECT SUM(cost_usd) FROM usage WHERE ts >= ?", (since,)).fetchone()
    else:
        row = conn.execute("SELECT SUM(cost_usd) FROM usage WHERE project_id = ? AND ts >= ?",
                           (project_id, since)).fetchone()
    return row[0] or 0.0


def task_spend(conn: sqlite3.Connection, task_id: str) -> float:
    row = conn.execute("SELECT SUM(cost_usd) FROM usage WHERE task_id = ?", (task_id,)).fetchone()
    return row[0] or 0.0


def costliest_task(conn: sqlite3.Connection, project_id: str | None) -> tuple[str | None, float]:
    """(task id, US$) of the task that spent most, in one project or (None) everywhere."""
    scope = "" if project_id is None else " WHERE t.project_id = ?"
    row = conn.execute(
        "SELECT t.id, SUM(u.cost_usd) AS spent FROM usage u"
        f" JOIN tasks t ON t.id = u.task_id{scope} GROUP BY t.id ORDER BY spent DESC LIMIT 1",
        () if project_id is None else (project_id,)).fetchone()
    return (row[0], row[1] or 0.0) if row else (None, 0.0)
