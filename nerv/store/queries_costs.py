"""Cost aggregation, budget spend and cost recomputation over `usage`. Stdlib only (the hooks read budgets).

Imported by the PreToolUse budget guard on every tool call, so its own imports stay light (the importer,
with hashlib and the transcript parser, is loaded only to recompute costs).

Grouping keys are SQL expressions chosen from a fixed table (never from user text), so the report's one
GROUP BY query stays a single pass over the usage rows in range.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from nerv import pricing

GROUP_KEYS = {
    "day": "substr(u.ts, 1, 10)",
    # Weeks start on Monday: 'weekday 0' moves to the coming Sunday (or stays), then back six days.
    "week": "date(substr(u.ts, 1, 10), 'weekday 0', '-6 days')",
    "month": "substr(u.ts, 1, 7)",
    "project": "COALESCE(p.name, '(unassigned)')",
    "model": "COALESCE(u.model, '(none)')",
    "session": "u.session_id",
    # A call's task is its own (usage.task_id, set at import from what the agent held at the call's time).
    "task": "CASE WHEN t.id IS NULL THEN '(no task)' ELSE tp.name || ' #' || t.number || ' ' || t.title END",
    "cycle": "CASE WHEN c.id IS NULL THEN '(no cycle)' ELSE cp.name || ' cycle ' || c.number END",
    "agent": "COALESCE(s.agent, '(no agent)')",
    "subagent": "CASE WHEN u.subagent_id IS NULL THEN '(main thread)'"
                " ELSE COALESCE(sa.agent_type, '(unknown type)') || ' ' || u.subagent_id END",
}

_FROM = ("FROM usage u LEFT JOIN projects p ON p.id = u.project_id"
         " LEFT JOIN claude_sessions s ON s.id = u.session_id"
         " LEFT JOIN subagents sa ON sa.session_id = u.session_id AND sa.agent_id = u.subagent_id"
         " LEFT JOIN tasks t ON t.id = u.task_id LEFT JOIN projects tp ON tp.id = t.project_id"
         " LEFT JOIN cycles c ON c.id = t.cycle_id LEFT JOIN projects cp ON cp.id = c.project_id")
_SUMS = ("COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cache_write_5m_tokens),"
         " SUM(u.cache_write_1h_tokens), SUM(u.cache_read_tokens), SUM(u.cost_usd), SUM(1 - u.cost_known)")
_SUM_NAMES = ("api_calls", "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
              "cache_read_tokens", "cost_usd", "unpriced_calls")


def _where(since: str | None, until: str | None, project_id: str | None) -> tuple[str, list]:
    clauses, params = [], []
    if since:
        clauses.append("u.ts >= ?")
        params.append(since)
    if until:
        clauses.append("u.ts < ?")
        params.append(until)
    if project_id:
        clauses.append("u.project_id = ?")
        params.append(project_id)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _sums(values) -> dict:
    row = dict(zip(_SUM_NAMES, (v or 0 for v in values)))
    row["cache_write_tokens"] = row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
    return row


def cost_groups(conn: sqlite3.Connection, by: str | None, *, since=None, until=None, project_id=None) -> dict:
    """{totals, groups: [{key, ...sums}], per_session: [cost], per_task: [cost], unknown_models: {model: calls}}."""
    where, params = _where(since, until, project_id)
    totals = _sums(conn.execute(f"SELECT {_SUMS} {_FROM}{where}", params).fetchone())
    groups = []
    if by:
        key = GROUP_KEYS[by]
        for row in conn.execute(f"SELECT {key} AS k, {_SUMS} {_FROM}{where} GROUP BY k ORDER BY k", params):
            groups.append({"key": row[0], **_sums(row[1:])})
    per_session = [r[0] for r in conn.execute(f"SELECT SUM(u.cost_usd) {_FROM}{where} GROUP BY u.session_id", params)]
    task_where = where + (" AND " if where else " WHERE ") + "u.task_id IS NOT NULL"
    per_task = [r[0] for r in conn.execute(f"SELECT SUM(u.cost_usd) {_FROM}{task_where} GROUP BY u.task_id", params)]
    unknown_where = where + (" AND " if where else " WHERE ") + "u.cost_known = 0"
    unknown = {r[0] or "(none)": r[1] for r in conn.execute(
        f"SELECT u.model, COUNT(*) {_FROM}{unknown_where} GROUP BY u.model ORDER BY u.model", params)}
    return {"totals": totals, "groups": groups, "per_session": per_session, "per_task": per_task,
            "unknown_models": unknown}


def session_usage(conn: sqlite3.Connection, session_id: str) -> dict:
    """Sums and models of one session's usage rows."""
    totals = _sums(conn.execute(f"SELECT {_SUMS} FROM usage u WHERE u.session_id = ?", (session_id,)).fetchone())
    totals["models"] = [r[0] for r in conn.execute(
        "SELECT model FROM usage WHERE session_id = ? AND model IS NOT NULL GROUP BY model ORDER BY COUNT(*) DESC",
        (session_id,))]
    return totals


def subagent_usage(conn: sqlite3.Connection, session_id: str) -> list[dict]:
    """A session's subagents with their API calls and cost (their calls are also in the session's totals)."""
    rows = conn.execute(
        "SELECT sa.agent_id, sa.agent_type, sa.status, sa.started_at, sa.ended_at, sa.transcript_path,"
        " COUNT(u.id), COALESCE(SUM(u.cost_usd), 0) FROM subagents sa"
        " LEFT JOIN usage u ON u.session_id = sa.session_id AND u.subagent_id = sa.agent_id"
        " WHERE sa.session_id = ? GROUP BY sa.agent_id ORDER BY sa.started_at, sa.agent_id", (session_id,))
    names = ("agent_id", "agent_type", "status", "started_at", "ended_at", "transcript_path", "api_calls", "cost_usd")
    return [dict(zip(names, row)) for row in rows]


def recompute_costs(conn: sqlite3.Connection, now: str) -> dict:
    """Re-price every usage row with the prices in force and refresh every session's totals (caller's transaction)."""
    from nerv.store.ingest import load_price_overrides, refresh_session_totals

    overrides = load_price_overrides(conn)
    updates, unknown = [], {}
    for model, in conn.execute("SELECT DISTINCT model FROM usage").fetchall():
        price = pricing.price_for(model, overrides)
        if price is None:
            unknown[model or "(none)"] = conn.execute(
                "SELECT COUNT(*) FROM usage WHERE model IS ?", (model,)).fetchone()[0]
            continue
        updates.append((price.input, price.output, price.cache_write_5m, price.cache_write_1h, price.cache_read,
                        model))
    # Rows of unknown models keep what they had: 0 and cost_known = 0, or an old build's own costUSD.
    conn.executemany(
        "UPDATE usage SET cost_known = 1, cost_usd = (input_tokens * ? + output_tokens * ? + cache_write_5m_tokens * ?"
        " + cache_write_1h_tokens * ? + cache_read_tokens * ?) / 1000000.0 WHERE model IS ?", updates)
    refresh_session_totals(conn, now, "SELECT id FROM claude_sessions")
    return {"models_priced": len(updates), "unknown_models": unknown,
            "rows": conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0]}


# ---- budgets (read by `nerv budget` and by the hooks) -----------------------------------------------

def period_start(period: str, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    if period == "monthly":
        return now.strftime("%Y-%m-01")
    return now.strftime("%Y-%m-%d")


def _spent_since(conn: sqlite3.Connection, project_id: str | None, since: str) -> float:
    if project_id is None:
        row = conn.execute("SELECT SUM(cost_usd) FROM usage WHERE ts >= ?", (since,)).fetchone()
    else:
        row = conn.execute("SELECT SUM(cost_usd) FROM usage WHERE project_id = ? AND ts >= ?",
                           (project_id, since)).fetchone()
    return row[0] or 0.0


def task_spend(conn: sqlite3.Connection, task_id: str) -> float:
    row = conn.execute("SELECT SUM(cost_usd) FROM usage WHERE task_id = ?", (task_id,)).fetchone()
    return row[0] or 0.0


def _costliest_task(conn: sqlite3.Connection, project_id: str | None) -> tuple[str | None, float]:
    scope = "" if project_id is None else " WHERE t.project_id = ?"
    row = conn.execute(
        "SELECT t.id, SUM(u.cost_usd) AS spent FROM usage u"
        f" JOIN tasks t ON t.id = u.task_id{scope} GROUP BY t.id ORDER BY spent DESC LIMIT 1",
        () if project_id is None else (project_id,)).fetchone()
    return (row[0], row[1] or 0.0) if row else (None, 0.0)


def budget_states(conn: sqlite3.Connection, *, project_id: str | None = None, all_projects: bool = True,
                  task_id: str | None = None, now: datetime | None = None) -> list[dict]:
    """Every budget in scope with what was spent against it.

    all_projects: every budget; otherwise the global ones plus those of `project_id`. Per-task budgets are
    measured on `task_id` when given (the hook's session task), else on the costliest task in scope.
    """
    query = ("SELECT b.id, b.project_id, p.name, b.period, b.limit_usd, b.hard FROM budgets b"
             " LEFT JOIN projects p ON p.id = b.project_id")
    params: tuple = ()
    if not all_projects:
        query += " WHERE b.project_id IS NULL OR b.project_id = ?"
        params = (project_id,)
    states = []
    for budget_id, scope_id, scope_name, period, limit, hard in conn.execute(query + " ORDER BY p.name, b.period",
                                                                             params).fetchall():
        state = {"id": budget_id, "project_id": scope_id, "project": scope_name or "(all projects)",
                 "period": period, "limit_usd": limit, "hard": bool(hard), "task_id": None}
        if period == "per_task":
            if task_id is not None:
                state["task_id"], spent = task_id, task_spend(conn, task_id)
            else:
                state["task_id"], spent = _costliest_task(conn, scope_id)
        else:
            state["since"] = period_start(period, now)
            spent = _spent_since(conn, scope_id, state["since"])
        state["spent_usd"] = round(spent, 6)
        state["used"] = round(spent / limit, 4)
        state["state"] = "exceeded" if spent > limit else ("warning" if spent >= 0.8 * limit else "ok")
        states.append(state)
    return states


def describe_budget(state: dict) -> str:
    """One line a person or an agent reads: `daily budget of demo: $8.12 of $10.00 (81%)`."""
    scope = state["project"]
    period = {"daily": "daily", "monthly": "monthly", "per_task": "per-task"}[state["period"]]
    return (f"{period} budget of {scope}: ${state['spent_usd']:.2f} of ${state['limit_usd']:.2f}"
            f" ({state['used'] * 100:.0f}%)")
