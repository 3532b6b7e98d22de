"""The aggregations behind `nerv report`: every figure is a GROUP BY here, so the page's cost does not grow
with the rows beyond one pass per section. Stdlib only.

Every query orders its output completely (ties broken by a key), so the same data gives the same page.
Time bounds are ISO text: `start` may be None (from the beginning), `end` is exclusive and always set (the
report's `--until`, else its `--now`), so rows written after `--now` never reach the page.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from nerv.store import dialect
from nerv.store.queries_costs import GROUP_KEYS, NANO, rollup_source

NARROW_SHARE = 0.2  # a range under this share of the table's time span is read through the time index
_TOKENS = "u.input_tokens + u.output_tokens + u.cache_write_5m_tokens + u.cache_write_1h_tokens + u.cache_read_tokens"


def _access(conn: sqlite3.Connection, table: str, column: str, start: str | None, end: str) -> str:
    """NOT INDEXED when the range holds much of the table: a scan in storage order then beats the time index,
    whose matches sit all over the table (measured: 30x slower for a whole year). The share is estimated from
    the first and last time stamps (two index probes), as if rows were spread evenly over time."""
    hint = dialect.scan_hint(conn)
    if not hint:
        return ""
    first, last = conn.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchone()
    if not start or first is None or start <= first:
        return hint
    span = _days_between(first, max(last, end))
    return hint if span and _days_between(start, end) / span > NARROW_SHARE else ""


def _days_between(since: str, until: str) -> float:
    return max((datetime.fromisoformat(until[:19]) - datetime.fromisoformat(since[:19])).total_seconds(), 0) / 86400


def _range(column: str, start: str | None, end: str, project_id: str | None) -> tuple[str, list]:
    clauses, params = [f"{column} < ?"], [end]
    if start:
        clauses.append(f"{column} >= ?")
        params.append(start)
    if project_id:
        clauses.append("project_id = ?")
        params.append(project_id)
    return " WHERE " + " AND ".join(clauses), params


def usage_summary(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None,
                  top: int) -> tuple[list[tuple], list[dict]]:
    """([(day, model, agent, cost_usd, api_calls)], the `top` sessions by cost), read from the daily rollup.

    usage_daily holds the range's whole days and usage only its partial edge days (`rollup_source`), so the
    page costs thousands of rows whatever the number of API calls; the join that names each session's agent
    runs per group instead of per call.
    """
    source, params = rollup_source(start, end, project_id)
    sql = (f"WITH per AS MATERIALIZED (SELECT u.ts AS day, {GROUP_KEYS['model']} AS model,"
           f" u.session_id AS session_id, SUM(u.cost_nano) AS cost, SUM(u.api_calls) AS calls,"
           f" SUM({_TOKENS}) AS tokens FROM ({source}) u GROUP BY u.session_id, day, model)"
           f" SELECT 'day', per.day, per.model, {GROUP_KEYS['agent']}, SUM(per.cost), SUM(per.calls), NULL"
           " FROM per LEFT JOIN claude_sessions s ON s.id = per.session_id"
           f" GROUP BY per.day, per.model, {GROUP_KEYS['agent']}"
           " UNION ALL SELECT * FROM (SELECT 'session', session_id, NULL, NULL, SUM(cost) AS total, SUM(calls),"
           " SUM(tokens) FROM per GROUP BY session_id ORDER BY total DESC, session_id LIMIT ?) top_sessions")
    days, ranked = [], []
    for kind, key, model, agent, cost, calls, tokens in conn.execute(sql, [*params, top]):
        if kind == "day":
            days.append((key, model, agent, cost / NANO, calls))
        else:
            ranked.append({"session_id": key, "cost_usd": cost / NANO, "api_calls": calls, "tokens": tokens})
    days.sort()
    return days, [{**row, **_session_facts(conn, row["session_id"])} for row in ranked]


def _session_facts(conn: sqlite3.Connection, session_id: str) -> dict:
    row = conn.execute("SELECT s.agent, s.model, s.started_at, p.name, t.number, t.title FROM claude_sessions s"
                       " LEFT JOIN projects p ON p.id = s.project_id LEFT JOIN tasks t ON t.id = s.task_id"
                       " WHERE s.id = ?", (session_id,)).fetchone() or (None,) * 6
    return dict(zip(("agent", "model", "started_at", "project", "task_number", "task_title"), row))


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
           " WHERE project_id = ?) placed WHERE place <= ? ORDER BY status, priority, number")
    names = ("status", "number", "title", "priority", "assignee")
    return counts, [dict(zip(names, row)) for row in conn.execute(sql, (project_id, per_column))]


def time_in_status(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None,
                   statuses: tuple[str, ...]) -> list[tuple]:
    """(status, tasks, hours) spent in each of `statuses` inside [start, end), read from the audit log.

    A task's history is its audit rows that carry a status (every move writes the whole task row); each
    status lasts until the task's next such row, its removal, or `end`. Spans are clipped to the range.
    """
    project_clause = " AND project_id = :project" if project_id else ""
    status = dialect.json_field(conn, "after", "status")
    hours = f"SUM({dialect.seconds_between(conn, 'upto', 'since')}) / 3600"
    sql = ("WITH changes AS (SELECT entity_id AS task, id, ts,"
           f" CASE WHEN action = 'task.rm' THEN NULL ELSE {status} END AS status"
           " FROM audit_log WHERE entity = 'task' AND ts < :end" + project_clause +
           f" AND (action = 'task.rm' OR {status} IS NOT NULL)),"
           f" spans AS (SELECT task, status, {dialect.greatest(conn, 'ts', ':start')} AS since,"
           f" {dialect.least(conn, 'coalesce(LEAD(ts) OVER (PARTITION BY task ORDER BY id), :end)', ':end')} AS upto"
           " FROM changes)"
           f" SELECT status, COUNT(DISTINCT task), {hours} FROM spans"
           f" WHERE status IN ({dialect.json_values(conn, ':statuses')}) AND upto > since"
           " GROUP BY status ORDER BY status")
    return conn.execute(sql, {"start": start or "", "end": end, "project": project_id,
                                "statuses": json.dumps(list(statuses))}).fetchall()


def approvals(conn: sqlite3.Connection, start: str | None, end: str, project_id: str | None) -> list[tuple]:
    """Approval requests created in range, per (tool, status, decider): how many, and their total and longest
    wait from request to decision in seconds (waits only for approved and denied requests)."""
    where, params = _range("created_at", start, end, project_id)
    access = _access(conn, "approval_requests", "created_at", start, end)
    wait = dialect.seconds_between(conn, "decided_at", "created_at")
    decided = "decided_at IS NOT NULL AND status IN ('approved', 'denied')"
    sql = (f"SELECT tool, status, COALESCE(decided_by, '(undecided)') AS who, COUNT(*),"
           f" COUNT(*) FILTER (WHERE {decided}), SUM(CASE WHEN {decided} THEN {wait} END), MAX(CASE WHEN {decided} THEN {wait} END)"
           f" FROM approval_requests{access}{where} GROUP BY tool, status, who ORDER BY tool, status, who")
    return conn.execute(sql, params).fetchall()
