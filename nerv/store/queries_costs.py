"""Cost aggregation and cost recomputation over `usage`. Stdlib only.

The importer, with hashlib and the transcript parser, is loaded only to recompute costs. Budget spend is
nerv.store.queries_budgets (the hook reads it).

Reports in the default cost mode read usage_daily (0013), the exact rollup the usage triggers maintain;
the other cost modes read usage. Grouping keys are SQL expressions chosen from a fixed table (never from
user text), and only the joins a key needs are made.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import date, timedelta

from nerv.store import dialect

NANO = 1_000_000_000  # usage_daily.cost_nano units per US$

GROUP_KEYS = {
    "day": "substr(u.ts, 1, 10)",
    "week": None,  # weeks start on Monday: the dialect's (group_key)
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

_JOIN_SQL = {
    "p": " LEFT JOIN projects p ON p.id = u.project_id",
    "s": " LEFT JOIN claude_sessions s ON s.id = u.session_id",
    "sa": " LEFT JOIN subagents sa ON sa.session_id = u.session_id AND sa.agent_id = u.subagent_id",
    "t": " LEFT JOIN tasks t ON t.id = u.task_id LEFT JOIN projects tp ON tp.id = t.project_id",
    "c": " LEFT JOIN cycles c ON c.id = t.cycle_id LEFT JOIN projects cp ON cp.id = c.project_id",
}
_KEY_JOINS = {"project": ("p",), "agent": ("s",), "subagent": ("sa",), "task": ("t",), "cycle": ("t", "c")}
_RAW_FROM = "FROM usage u"  # the cost modes the rollup does not hold


def joins_for(by: str | None) -> str:
    """The LEFT JOINs grouping key `by` reads (none for day, week, month, model, session)."""
    return "".join(_JOIN_SQL[name] for name in _KEY_JOINS.get(by or "", ()))


# Per cost mode (docs/costs.md, "Cost modes"): a call's US$, and whether it counts as unpriced.
COST_MODES = {
    "auto": ("u.cost_usd", "u.cost_known = 0"),
    "calculate": ("COALESCE(u.token_cost_usd, 0)", "u.token_cost_usd IS NULL"),
    "display": ("COALESCE(u.line_cost_usd, 0)", "1 = 0"),
}


def _sums_sql(mode: str) -> str:
    cost, unpriced = COST_MODES[mode]
    return ("COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cache_write_5m_tokens),"
            f" SUM(u.cache_write_1h_tokens), SUM(u.cache_read_tokens), SUM({cost}), COUNT(*) FILTER (WHERE {unpriced})")


_SUMS = _sums_sql("auto")
_ROLLUP_SUMS = ("SUM(u.api_calls), SUM(u.input_tokens), SUM(u.output_tokens), SUM(u.cache_write_5m_tokens),"
                " SUM(u.cache_write_1h_tokens), SUM(u.cache_read_tokens), SUM(u.cost_nano), SUM(u.unpriced_calls)")
_SUM_NAMES = ("api_calls", "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
              "cache_read_tokens", "cost_usd", "unpriced_calls")
_KEY_NAMES = ("day", "session_id", "project_id", "model", "task_id", "subagent_id")
# usage rows in the rollup's shape: the partial days at the edges of a range that does not start or end at
# midnight UTC come from usage itself (through ix_usage_ts), the whole days from usage_daily.
_RAW_AS_ROLLUP = ("SELECT substr(ts, 1, 10) AS ts, session_id, project_id, model, task_id, subagent_id,"
                  " 1 AS api_calls, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens,"
                  " cache_read_tokens, CAST(round(cost_usd * 1e9) AS INTEGER) AS cost_nano,"
                  " 1 - cost_known AS unpriced_calls FROM usage")
# Both shapes name their columns alike (the first SELECT of a UNION ALL names the subquery's columns), and
# the day is named `ts`, so GROUP_KEYS read a rollup row like a usage row.
_ROLLUP_ROWS = ("SELECT day AS ts, session_id, NULLIF(project_id, '') AS project_id, NULLIF(model, '') AS model,"
                " NULLIF(task_id, '') AS task_id, NULLIF(subagent_id, '') AS subagent_id, api_calls, input_tokens, output_tokens, cache_write_5m_tokens,"
                " cache_write_1h_tokens, cache_read_tokens, cost_nano, unpriced_calls FROM usage_daily")
_ROLLUP_COLUMNS = ", ".join(_KEY_NAMES + _SUM_NAMES[:6] + ("cost_nano", "unpriced_calls"))
REBUILD_ROLLUP = (
    f"INSERT INTO usage_daily ({_ROLLUP_COLUMNS})"
    " SELECT substr(u.ts, 1, 10), u.session_id, coalesce(u.project_id, ''), coalesce(u.model, ''),"
    " coalesce(u.task_id, ''), coalesce(u.subagent_id, ''), COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens),"
    " SUM(u.cache_write_5m_tokens), SUM(u.cache_write_1h_tokens), SUM(u.cache_read_tokens),"
    " SUM(CAST(round(u.cost_usd * 1e9) AS INTEGER)), SUM(1 - u.cost_known) FROM usage u GROUP BY 1, 2, 3, 4, 5, 6")


# The new rows' share of the rollup, added to what is there (the insert trigger's upsert, once per group).
_ADD_TO_ROLLUP = (
    REBUILD_ROLLUP.replace("FROM usage u GROUP BY", "FROM usage u WHERE u.id > ? GROUP BY")
    + " ON CONFLICT (day, session_id, project_id, model, task_id, subagent_id) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in ("api_calls", "input_tokens", "output_tokens",
                                                      "cache_write_5m_tokens", "cache_write_1h_tokens",
                                                      "cache_read_tokens", "cost_nano", "unpriced_calls")))


@contextmanager
def rollup_added_in_bulk(conn: sqlite3.Connection):
    """Let the caller INSERT usage rows without the insert trigger's per-row upsert, then add those rows to
    usage_daily in one GROUP BY (caller's transaction; migration 0015). Only INSERTs stand aside: updates and deletes
    inside the block still move the rollup row by row. New rows are told apart by id (INTEGER PRIMARY KEY:
    an insert takes a larger id than every row present).

    On PostgreSQL the triggers stay on: identity values there are handed out before commit, so another
    writer's committed rows can carry ids above `after`, and adding them again would count them twice. They
    are statement triggers there (migration 0019): a statement of many rows already changes each rollup row once."""
    if dialect.name(conn) == dialect.POSTGRESQL:
        yield
        return
    after = conn.execute("SELECT COALESCE(MAX(id), 0) FROM usage").fetchone()[0]
    conn.execute("INSERT INTO usage_rollup_paused (paused) VALUES (1)")
    yield
    conn.execute("DELETE FROM usage_rollup_paused")
    conn.execute(_ADD_TO_ROLLUP, (after,))


def _day_after(iso: str) -> str:
    return (date.fromisoformat(iso[:10]) + timedelta(days=1)).isoformat()


def _whole_days(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """The first and the end (exclusive) day the range covers entirely; None: unbounded."""
    first = None if since is None else since[:10] if since[10:].strip("T0:.Z") == "" else _day_after(since)
    end = None if until is None else until[:10]
    return first, end


def rollup_source(since: str | None, until: str | None, project_id: str | None) -> tuple[str, list]:
    """A subquery of rollup-shaped rows (NULL keys as NULL) covering exactly [since, until) of one project or all."""
    first, end = _whole_days(since, until)
    project_sql, project_params = (" AND project_id = ?", [project_id]) if project_id else ("", [])
    if first is not None and end is not None and first >= end:
        return (f"{_RAW_AS_ROLLUP} WHERE ts >= ? AND ts < ?{project_sql}",
                [since, until, *project_params])
    parts, params = [], []
    days = [("day >= ?", first), ("day < ?", end)]
    day_sql = " AND ".join(sql for sql, value in days if value is not None)
    parts.append(_ROLLUP_ROWS + " WHERE " + (day_sql or "1 = 1") + (project_sql if project_id else ""))
    params += [value for _sql, value in days if value is not None] + project_params
    for lower, upper in ((since, first and first + "T00:00:00.000000Z"), (end and end + "T00:00:00.000000Z", until)):
        if lower is not None and upper is not None and lower < upper:
            parts.append(f"{_RAW_AS_ROLLUP} WHERE ts >= ? AND ts < ?{project_sql}")
            params += [lower, upper, *project_params]
    return " UNION ALL ".join(parts), params


def _where(since: str | None, until: str | None, project_id: str | None, alias: str = "u.") -> tuple[str, list]:
    clauses, params = [], []
    if since:
        clauses.append(f"{alias}ts >= ?")
        params.append(since)
    if until:
        clauses.append(f"{alias}ts < ?")
        params.append(until)
    if project_id:
        clauses.append(f"{alias}project_id = ?")
        params.append(project_id)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _sums(values, cost_unit: float = 1) -> dict:
    row = dict(zip(_SUM_NAMES, (v or 0 for v in values)))
    row["cost_usd"] /= cost_unit
    row["cache_write_tokens"] = row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
    return row


def group_key(conn: sqlite3.Connection, by: str) -> str:
    """The SQL of GROUP_KEYS[by] on this connection's backend."""
    return dialect.week_start(conn, "substr(u.ts, 1, 10)") if by == "week" else GROUP_KEYS[by]


def _with_models(conn: sqlite3.Connection, by: str | None, sums: str, rows: str, where: str, params,
                 unit: float) -> dict:
    """{group key (None without `by`): [{model, ...sums}]}, the most costly model first in each group."""
    key = group_key(conn, by) if by else "NULL"
    found: dict = {}
    for row in conn.execute(
            f"SELECT {key} AS k, {GROUP_KEYS['model']} AS m, {sums} FROM {rows}{joins_for(by)}{where}"
            " GROUP BY k, m ORDER BY k, 9 DESC, m", params):
        found.setdefault(row[0], []).append({"model": row[1], **_sums(row[2:], unit)})
    return found


def _attach_models(totals: dict, groups: list[dict], models: dict, by: str | None) -> None:
    if by is None:
        totals["models"] = models.get(None, [])
    for group in groups:
        group["models"] = models.get(group["key"], [])


def cost_groups(conn: sqlite3.Connection, by: str | None, *, since=None, until=None, project_id=None,
                cost_mode: str = "auto", breakdown: str | None = None) -> dict:
    """{totals, groups: [{key, ...sums}], per_session: [cost], per_task: [cost], unpriced_models: {model: calls}}.
    `breakdown="model"`: each group (or, without `by`, the totals) also gets `models: [{model, ...sums}]`.

    In the `auto` cost mode: usage_daily for the whole days of the range, usage only for its partial days.
    """
    if cost_mode != "auto":
        return _raw_cost_groups(conn, by, since=since, until=until, project_id=project_id, cost_mode=cost_mode,
                                breakdown=breakdown)
    source, params = rollup_source(since, until, project_id)
    rows = f"({source}) u"
    totals = _sums(conn.execute(f"SELECT {_ROLLUP_SUMS} FROM {rows}", params).fetchone(), NANO)
    groups = []
    if by:
        key = group_key(conn, by)
        for row in conn.execute(f"SELECT {key} AS k, {_ROLLUP_SUMS} FROM {rows}{joins_for(by)} GROUP BY k ORDER BY k",
                                params):
            groups.append({"key": row[0], **_sums(row[1:], NANO)})
    if breakdown:
        _attach_models(totals, groups, _with_models(conn, by, _ROLLUP_SUMS, rows, "", params, NANO), by)
    per_session = [r[0] / NANO for r in conn.execute(
        f"SELECT SUM(u.cost_nano) FROM {rows} GROUP BY u.session_id", params)]
    per_task = [r[0] / NANO for r in conn.execute(
        f"SELECT SUM(u.cost_nano) FROM {rows} WHERE u.task_id IS NOT NULL GROUP BY u.task_id", params)]
    unpriced = {r[0] or "(none)": r[1] for r in conn.execute(
        f"SELECT u.model, SUM(u.unpriced_calls) FROM {rows} WHERE u.unpriced_calls > 0 GROUP BY u.model"
        " ORDER BY u.model", params)}
    return {"totals": totals, "groups": groups, "per_session": per_session, "per_task": per_task,
            "unpriced_models": unpriced}


def _raw_cost_groups(conn: sqlite3.Connection, by: str | None, *, since, until, project_id, cost_mode: str,
                     breakdown: str | None = None) -> dict:
    where, params = _where(since, until, project_id)
    cost, unpriced = COST_MODES[cost_mode]
    sums = _sums_sql(cost_mode)
    totals = _sums(conn.execute(f"SELECT {sums} {_RAW_FROM}{where}", params).fetchone())
    groups = []
    if by:
        key = group_key(conn, by)
        for row in conn.execute(f"SELECT {key} AS k, {sums} {_RAW_FROM}{joins_for(by)}{where} GROUP BY k ORDER BY k",
                                params):
            groups.append({"key": row[0], **_sums(row[1:])})
    if breakdown:
        _attach_models(totals, groups, _with_models(conn, by, sums, "usage u", where, params, 1), by)
    per_session = [r[0] for r in conn.execute(f"SELECT SUM({cost}) {_RAW_FROM}{where} GROUP BY u.session_id",
                                              params)]
    task_where = where + (" AND " if where else " WHERE ") + "u.task_id IS NOT NULL"
    per_task = [r[0] for r in conn.execute(f"SELECT SUM({cost}) {_RAW_FROM}{task_where} GROUP BY u.task_id",
                                           params)]
    return {"totals": totals, "groups": groups, "per_session": per_session, "per_task": per_task,
            "unpriced_models": unpriced_models(conn, where + (" AND " if where else " WHERE ") + unpriced, params)}


def unpriced_models(conn: sqlite3.Connection, where: str = " WHERE u.token_cost_usd IS NULL",
                    params=()) -> dict[str, int]:
    """{model: API calls} of the stored calls selected by `where`; by default those whose model has no price."""
    return {r[0] or "(none)": r[1] for r in conn.execute(
        f"SELECT u.model, COUNT(*) FROM usage u{where} GROUP BY u.model ORDER BY u.model", params)}


def rebuild_rollup(conn: sqlite3.Connection) -> None:
    """Refill usage_daily from usage (caller's transaction); the triggers keep it exact from then on."""
    conn.execute("DELETE FROM usage_daily")
    conn.execute(REBUILD_ROLLUP)


@contextmanager
def rollup_rebuilt_after(conn: sqlite3.Connection):
    """Drop the triggers that keep usage_daily, let the caller write usage in bulk, then restore them and
    rebuild the rollup in one GROUP BY (caller's transaction: a failure rolls the DDL back with the rows).
    For writes that touch most of usage (a first import, `--recompute`), where one upsert per row costs more.

    On PostgreSQL the triggers stay on and keep the rollup statement by statement (migration 0019): dropping one
    needs the table's owner (a `nerv_agent` login is not, docs/teams.md) and locks usage against every other
    writer until commit."""
    if dialect.name(conn) == dialect.POSTGRESQL:
        yield
        return
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage'"
                            " AND name LIKE 'usage_daily_%'").fetchall()
    for name, _sql in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        conn.execute(sql)
    rebuild_rollup(conn)


def calls_between(conn: sqlite3.Connection, since: str, until: str | None, project_id: str | None) -> list[tuple]:
    """(ts, input, output, cache write, cache read, US$, model) of every call in [since, until), oldest first.

    Reads only the range, through ix_usage_ts: blocks need each call's time, which the rollup does not keep.
    """
    where, params = _where(since, until, project_id, alias="")
    return conn.execute(
        "SELECT ts, input_tokens, output_tokens, cache_write_5m_tokens + cache_write_1h_tokens, cache_read_tokens,"
        f" cost_usd, model FROM usage{where} ORDER BY ts",
        params).fetchall()


def spend_by_day(conn: sqlite3.Connection, first_day: str, project_id: str | None = None) -> float:
    """US$ of the UTC days from `first_day` (YYYY-MM-DD) on, from the rollup (today: first_day = today)."""
    sql = "SELECT COALESCE(SUM(cost_nano), 0) FROM usage_daily WHERE day >= ?"
    params = [first_day]
    if project_id:
        sql += " AND project_id = ?"
        params.append(project_id)
    return conn.execute(sql, params).fetchone()[0] / NANO


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
        " WHERE sa.session_id = ? GROUP BY sa.session_id, sa.agent_id ORDER BY sa.started_at, sa.agent_id", (session_id,))
    names = ("agent_id", "agent_type", "status", "started_at", "ended_at", "transcript_path", "api_calls", "cost_usd")
    return [dict(zip(names, row)) for row in rows]


def recompute_costs(conn: sqlite3.Connection, now: str) -> dict:
    """Re-price every usage row with the prices in force and refresh every session's totals (caller's transaction).

    The cost from tokens is recomputed; a row's own costUSD stays what `auto` takes (docs/costs.md).
    """
    from nerv import pricing
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
    with rollup_rebuilt_after(conn):
        conn.executemany("UPDATE usage SET token_cost_usd = ?, cost_usd = COALESCE(?, cost_usd),"
                         " cost_known = COALESCE(?, cost_known) WHERE id = ?", updates)
    refresh_session_totals(conn, now, "SELECT id FROM claude_sessions")
    return {"models_priced": sum(1 for found in rates.values() if found is not None),
            "unpriced_models": unpriced_models(conn),
            "rows": len(updates)}
