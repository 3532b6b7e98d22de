"""Cost aggregation and cost recomputation over `usage`. Stdlib only.

The importer, with hashlib and the transcript parser, is loaded only to recompute costs. Budget spend is
nerv.store.queries_budgets (the hook reads it).

Grouping keys are SQL expressions chosen from a fixed table (never from user text), so the report's one
GROUP BY query stays a single pass over the usage rows in range.
"""

from __future__ import annotations

import sqlite3

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
# Per cost mode (docs/costs.md, "Cost modes"): a call's US$, and whether it counts as unpriced.
COST_MODES = {
    "auto": ("u.cost_usd", "u.cost_known = 0"),
    "calculate": ("COALESCE(u.token_cost_usd, 0)", "u.token_cost_usd IS NULL"),
    "display": ("COALESCE(u.line_cost_usd, 0)", "0"),
}


def _sums_sql(mode: str) -> str:
    cost, unpriced = COST_MODES[mode]
    return ("COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cache_write_5m_tokens),"
            f" SUM(u.cache_write_1h_tokens), SUM(u.cache_read_tokens), SUM({cost}), SUM({unpriced})")


_SUMS = _sums_sql("auto")
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


def cost_groups(conn: sqlite3.Connection, by: str | None, *, since=None, until=None, project_id=None,
                cost_mode: str = "auto") -> dict:
    """{totals, groups: [{key, ...sums}], per_session: [cost], per_task: [cost], unpriced_models: {model: calls}}."""
    where, params = _where(since, until, project_id)
    cost, unpriced = COST_MODES[cost_mode]
    sums = _sums_sql(cost_mode)
    totals = _sums(conn.execute(f"SELECT {sums} {_FROM}{where}", params).fetchone())
    groups = []
    if by:
        key = GROUP_KEYS[by]
        for row in conn.execute(f"SELECT {key} AS k, {sums} {_FROM}{where} GROUP BY k ORDER BY k", params):
            groups.append({"key": row[0], **_sums(row[1:])})
    per_session = [r[0] for r in conn.execute(f"SELECT SUM({cost}) {_FROM}{where} GROUP BY u.session_id", params)]
    task_where = where + (" AND " if where else " WHERE ") + "u.task_id IS NOT NULL"
    per_task = [r[0] for r in conn.execute(f"SELECT SUM({cost}) {_FROM}{task_where} GROUP BY u.task_id", params)]
    return {"totals": totals, "groups": groups, "per_session": per_session, "per_task": per_task,
            "unpriced_models": unpriced_models(conn, where + (" AND " if where else " WHERE ") + unpriced, params)}


def unpriced_models(conn: sqlite3.Connection, where: str = " WHERE u.token_cost_usd IS NULL",
                    params=()) -> dict[str, int]:
    """{model: API calls} of the stored calls selected by `where`; by default those whose model has no price."""
    return {r[0] or "(none)": r[1] for r in conn.execute(
        f"SELECT u.model, COUNT(*) FROM usage u{where} GROUP BY u.model ORDER BY u.model", params)}


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
    """Re-price every usage row with the prices in force and refresh every session's totals (caller's transaction).

    The cost from tokens is recomputed; a row's own costUSD stays what `auto` takes (docs/costs.md).
    """
    from nerv.store.ingest import load_price_overrides, refresh_session_totals

    overrides = load_price_overrides(conn)
    rates: dict[str | None, pricing.Rates | None] = {}
    updates = []
    for (row_id, model, ts, input_tokens, output_tokens, write_5m, write_1h, read, speed, geo, searches,
         line_cost) in conn.execute(
            "SELECT id, model, ts, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens,"
            " cache_read_tokens, speed, inference_geo, web_search_requests, line_cost_usd FROM usage").fetchall():
        if model not in rates:
            rates[model] = pricing.rates_for(model, overrides)
        found = rates[model]
        from_tokens = None if found is None else pricing.token_cost(
            found, ts, input_tokens, output_tokens, write_5m, write_1h, read, speed, geo, searches)
        if line_cost is not None:
            updates.append((from_tokens, line_cost, 1, row_id))
        elif from_tokens is not None:
            updates.append((from_tokens, from_tokens, 1, row_id))
        else:  # an unpriced row of an older import may hold a costUSD in cost_usd only: it keeps it
            updates.append((None, None, None, row_id))
    conn.executemany("UPDATE usage SET token_cost_usd = ?, cost_usd = COALESCE(?, cost_usd),"
                     " cost_known = COALESCE(?, cost_known) WHERE id = ?", updates)
    refresh_session_totals(conn, now, "SELECT id FROM claude_sessions")
    return {"models_priced": sum(1 for found in rates.values() if found is not None),
            "unpriced_models": unpriced_models(conn),
            "rows": len(updates)}
