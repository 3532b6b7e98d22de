"""The aggregations behind `nerv report`: every figure is a GROUP BY here, so the page's cost does not grow
with the rows beyond one pass per section. Stdlib only.

Every query orders its output completely (ties broken by a key), so the same data gives the same page.
Time bounds are ISO text: `start` may be None (from the beginning), `end` is exclusive and always set (the
report's `--until`, else its `--now`), so rows written after `--now` never reach the page.
"""

from __future__ import annotations

import json
import sqlite3

from nerv.store.queries_costs import GROUP_KEYS

_TOKENS = "u.input_tokens + u.output_tokens + u.cache_write_5m_tokens + u.cache_write_1h_tokens + u.cache_read_tokens"


def _usage_where(start: str | None, end: str, project_id: str | None) -> tuple[str, list]:
    clauses, params = ["u.ts < ?"], [end]
    if start:
        clauses.append("u.ts >= ?")
        params.append(start)
    if project_id:
        clauses.append("u.project_id = ?")
        params.append(project_id)
    return " WHERE " + " AND ".join(clauses), params


def cost_by_day(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None) -> list[tuple]:
    """(day, model, agent, cost_usd, api_calls), ordered. Usage is summed per session first, so the join that
    names each session's agent runs once per (day, model, session) instead of once per API call."""
    where, params = _usage_where(start, end, project_id)
    sql = (f"WITH per_session AS (SELECT {GROUP_KEYS['day']} AS day, {GROUP_KEYS['model']} AS model,"
           " u.session_id AS session_id, SUM(u.cost_usd) AS cost, COUNT(*) AS calls"
           f" FROM usage u{where} GROUP BY day, model, u.session_id)"
           f" SELECT ps.day, ps.model, {GROUP_KEYS['agent']} AS agent, SUM(ps.cost), SUM(ps.calls)"
           " FROM per_session ps LEFT JOIN claude_sessions s ON s.id = ps.session_id"
           " GROUP BY ps.day, ps.model, agent ORDER BY ps.day, ps.model, agent")
    return conn.execute(sql, params).fetchall()


def top_sessions(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None,
                 limit: int) -> list[dict]:
    """The sessions that cost most in range: their calls, tokens and cost there, with who ran them on what."""
    where, params = _usage_where(start, end, project_id)
    sql = (f"WITH top AS (SELECT u.session_id AS id, SUM(u.cost_usd) AS cost, COUNT(*) AS calls,"
           f" SUM({_TOKENS}) AS tokens FROM usage u{where} GROUP BY u.session_id"
           " ORDER BY cost DESC, u.session_id LIMIT ?)"
           " SELECT top.id, top.cost, top.calls, top.tokens, s.agent, s.model, s.started_at, p.name, t.number, t.title"
           " FROM top LEFT JOIN claude_sessions s ON s.id = top.id LEFT JOIN projects p ON p.id = s.project_id"
           " LEFT JOIN tasks t ON t.id = s.task_id ORDER BY top.cost DESC, top.id")
    names = ("session_id", "cost_usd", "api_calls", "tokens", "agent", "model", "started_at", "project",
             "task_number", "task_title")
    return [dict(zip(names, row)) for row in conn.execute(sql, [*params, limit])]


def cycles(conn: sqlite3.Connection, project_id: str) -> list[dict]:
    """The project's cycles in number order, each with its task counts (cancelled tasks are out of scope)."""
    sql = ("SELECT c.id, c.number, c.goal, c.status, c.started_at, c.closed_at,"
           " COUNT(t.id) FILTER (WHERE t.status <> 'cancelled'), COUNT(t.id) FILTER (WHERE t.status = 'done')"
           " FROM cycles c LEFT JOIN tasks t ON t.cycle_id = c.id WHERE c.project_id = ?"
           " GROUP BY c.id ORDER BY c.number")
    names = ("id", "number", "goal", "status", "started_at", "closed_at", "scope", "done")
    return [dict(zip(names, row)) for row in conn.execute(sql, (project_id,))]


def done_per_day(conn: sqlite3.Connection, project_id: str) -> list[tuple]:
    """(cycle_id, day, tasks completed that day) for the project's done tasks that belong to a cycle."""
    sql = ("SELECT cycle_id, substr(completed_at, 1, 10) AS day, COUNT(*) FROM tasks"
           " WHERE project_id = ? AND cycle_id IS NOT NULL AND status = 'done' AND completed_at IS NOT NULL"
           " GROUP BY cycle_id, day ORDER BY cycle_id, day")
    return conn.execute(sql, (project_id,)).fetchall()


def board(conn: sqlite3.Connection, project_id: str, per_column: int) -> tuple[dict, list[dict]]:
    """({status: count}, the first `per_column` tasks of each status by priority then number)."""
    counts = dict(conn.execute("SELECT status, COUNT(*) FROM tasks WHERE project_id = ? GROUP BY status",
                               (project_id,)).fetchall())
    sql = ("SELECT status, number, title, priority, assignee FROM (SELECT status, number, title, priority, assignee,"
           " ROW_NUMBER() OVER (PARTITION BY status ORDER BY priority, number) AS place FROM tasks"
           " WHERE project_id = ?) WHERE place <= ? ORDER BY status, priority, number")
    names = ("status", "number", "title", "priority", "assignee")
    return counts, [dict(zip(names, row)) for row in conn.execute(sql, (project_id, per_column))]


def time_in_status(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None,
                   statuses: tuple[str, ...]) -> list[tuple]:
    """(status, tasks, hours) spent in each of `statuses` inside [start, end), read from the audit log.

    A task's history is its audit rows that carry a status (every move writes the whole task row); each
    status lasts until the task's next such row, its removal, or `end`. Spans are clipped to the range.
    """
    project_clause = " AND project_id = :project" if project_id else ""
    sql = ("WITH changes AS (SELECT entity_id AS task, id, ts,"
           " CASE WHEN action = 'task.rm' THEN NULL ELSE json_extract(after, '$.status') END AS status"
           " FROM audit_log WHERE entity = 'task' AND ts < :end" + project_clause +
           " AND (action = 'task.rm' OR json_extract(after, '$.status') IS NOT NULL)),"
           " spans AS (SELECT task, status, max(ts, :start) AS since,"
           " min(coalesce(LEAD(ts) OVER (PARTITION BY task ORDER BY id), :end), :end) AS upto FROM changes)"
           " SELECT status, COUNT(DISTINCT task), SUM(julianday(upto) - julianday(since)) * 24 FROM spans"
           " WHERE status IN (SELECT value FROM json_each(:statuses)) AND upto > since"
           " GROUP BY status ORDER BY status")
    return conn.execute(sql, {"start": start or "", "end": end, "project": project_id,
                                "statuses": json.dumps(list(statuses))}).fetchall()


def approvals(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None) -> dict:
    """Approval requests created in range: counts by status, by tool and status, by decider, and waits."""
    clauses, params = ["created_at < ?"], [end]
    if start:
        clauses.append("created_at >= ?")
        params.append(start)
    if project_id:
        clauses.append("project_id = ?")
        params.append(project_id)
    where = " WHERE " + " AND ".join(clauses)
    by_status = conn.execute(f"SELECT status, COUNT(*) FROM approval_requests{where} GROUP BY status"
                             " ORDER BY status", params).fetchall()
    by_tool = conn.execute(f"SELECT tool, status, COUNT(*) FROM approval_requests{where} GROUP BY tool, status"
                           " ORDER BY tool, status", params).fetchall()
    by_decider = conn.execute(
        f"SELECT COALESCE(decided_by, '(undecided)'), COUNT(*) FROM approval_requests{where}"
        " GROUP BY 1 ORDER BY 2 DESC, 1", params).fetchall()
    wait = conn.execute(
        "SELECT COUNT(*), AVG(julianday(decided_at) - julianday(created_at)) * 86400,"
        " MAX(julianday(decided_at) - julianday(created_at)) * 86400"
        f" FROM approval_requests{where} AND decided_at IS NOT NULL AND status IN ('approved', 'denied')",
        params).fetchone()
    return {"by_status": by_status, "by_tool": by_tool, "by_decider": by_decider,
            "decided": wait[0], "mean_wait_s": wait[1], "max_wait_s": wait[2]}
