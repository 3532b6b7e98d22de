"""`nerv report`: one self-contained HTML page of a project's (or the whole ledger's) costs, cycles, board, time in
status, approvals and costliest sessions.

The page depends only on the data and on `now` (a parameter, never the clock once given): every query orders
its rows, every float has a fixed format, and no other time stamp is written. Figures come from the GROUP BY
queries in nerv.store.queries_report (`store.report`); this module shapes them into series and tables for nerv.services.report_html.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

from nerv.errors import invalid
from nerv.services import output_files
from nerv.services.periods import parse_when
from nerv.store.clock import now_iso, parse_iso
from nerv.store.db import Store

TOP_SERIES = 8  # models or agents drawn on their own; the rest are summed as "other"
TOP_SESSIONS = 10
BOARD_PER_COLUMN = 25
BURNDOWN_CYCLES = 6  # the latest cycles get a burn-down chart each; velocity covers all
MAX_POINTS = 366  # longer ranges are drawn in buckets of several days, so the page stays small
OTHER = "(other)"


def window(now: str | None, since: str | None, until: str | None, *, clock=now_iso) -> dict:
    """The report's time bounds as ISO text: `now` (default: `clock()`, the ledger's), `since` and the exclusive
    `end`."""
    now_text = parse_when(now, "--now") if now is not None else clock()
    now_dt = parse_iso(now_text)
    since_text = parse_when(since, "--since", now=now_dt)
    until_text = parse_when(until, "--until", now=now_dt)
    end = min(until_text, now_text) if until_text else now_text
    if since_text and since_text >= end:
        raise invalid(f"--since must be before {'--until' if until_text and until_text < now_text else '--now'}",
                      "give an earlier --since")
    return {"now": now_text, "since": since_text, "until": until_text, "end": end}


def build(store: Store, *, now: str | None = None, since: str | None = None, until: str | None = None,
          project: str | None = None) -> dict:
    """Everything the page shows, as plain data (the JSON form of the report)."""
    from nerv.services.projects import optional_current_project

    bounds = window(now, since, until, clock=store.now)
    proj = optional_current_project(store, project)
    project_id = proj.id if proj else None
    start, end = bounds["since"], bounds["end"]

    def read(store: Store):
        cost_rows, sessions = store.report.usage_summary(start, end, project_id, TOP_SESSIONS)
        data = {"cost_rows": cost_rows, "sessions": sessions,
                "time_in_status": _time_in_status(store, start, end, project_id),
                "approvals": _approvals(store.report.approvals(start, end, project_id))}
        if project_id:
            data["cycles"] = _cycles(store, project_id, end)
            data["board"] = _board(store, project_id)
        return data

    data = store.read(read)
    cost_rows = data.pop("cost_rows")
    return {"project": proj.name if proj else None, **bounds, "costs": _costs(cost_rows, start, end), **data}


def write_report(store: Store, output: Path, **options) -> dict:
    """Build the page and write it to `output` atomically (mode 0600: costs and task titles are private)."""
    from nerv.services.report_html import page

    output = output_files.output_path(output, "-o report.html")
    data = build(store, **options)
    html, charts = page(data)
    encoded = html.encode("utf-8")
    output_files.write_private(output, encoded)
    return {"output": str(output), "bytes": len(encoded), "charts": charts, "project": data["project"],
            "now": data["now"], "since": data["since"], "end": data["end"]}


# ---- costs ----------------------------------------------------------------------------------------------

def _costs(rows: list[tuple], start: str | None, end: str) -> dict:
    """Cost per day (or bucket of days) by model and by agent, with each one's totals."""
    if not rows:
        return {"labels": [], "by_model": [], "by_agent": [], "models": [], "agents": [], "total_usd": 0.0,
                "api_calls": 0, "bucket_days": 1}
    first = date.fromisoformat(start[:10]) if start else date.fromisoformat(rows[0][0])
    last = (parse_iso(end) - timedelta(microseconds=1)).date()
    span = (last - first).days + 1
    size = max(1, math.ceil(span / MAX_POINTS))
    labels = [(first + timedelta(days=k * size)).isoformat() for k in range(math.ceil(span / size))]
    by_model, by_agent = {}, {}
    for day, model, agent, cost, calls in rows:
        slot = (date.fromisoformat(day) - first).days // size
        if not 0 <= slot < len(labels):
            continue
        for table, key in ((by_model, model), (by_agent, agent)):
            entry = table.setdefault(key, {"cost": [0.0] * len(labels), "calls": 0})
            entry["cost"][slot] += cost or 0.0
            entry["calls"] += calls
    return {"labels": labels, "bucket_days": size, "by_model": _top_series(by_model),
            "by_agent": _top_series(by_agent), "models": _totals(by_model), "agents": _totals(by_agent),
            "total_usd": round(sum(sum(e["cost"]) for e in by_model.values()), 6),
            "api_calls": sum(e["calls"] for e in by_model.values())}


def _ranked(table: dict) -> list[str]:
    return sorted(table, key=lambda key: (-round(sum(table[key]["cost"]), 9), key))


def _top_series(table: dict) -> list[tuple[str, list[float]]]:
    names = _ranked(table)
    series = [(name, table[name]["cost"]) for name in names[:TOP_SERIES]]
    rest = names[TOP_SERIES:]
    if rest:
        series.append((OTHER, [sum(table[name]["cost"][i] for name in rest) for i in range(len(series[0][1]))]))
    return series


def _totals(table: dict) -> list[dict]:
    return [{"key": name, "cost_usd": round(sum(table[name]["cost"]), 6), "api_calls": table[name]["calls"]}
            for name in _ranked(table)]


# ---- cycles, board, time in status ------------------------------------------------------------------------

def _cycles(store: Store, project_id: str, end: str) -> list[dict]:
    """Each cycle that started before `end`, with its days; the latest ones with, day by day, the tasks left."""
    done_days: dict[str, dict[str, int]] = {}
    for cycle_id, day, count in store.report.done_per_day(project_id):
        done_days.setdefault(cycle_id, {})[day] = count
    last_day = (parse_iso(end) - timedelta(microseconds=1)).date()
    rows = [c for c in store.report.cycles(project_id) if c["started_at"] < end]
    for index, cycle in enumerate(rows):
        closed = cycle["closed_at"] if cycle["closed_at"] and cycle["closed_at"] < end else None
        cycle["days"] = round((parse_iso(closed or end) - parse_iso(cycle["started_at"])).total_seconds() / 86400, 1)
        cycle["burndown"] = None
        if index >= len(rows) - BURNDOWN_CYCLES:
            stop = parse_iso(closed).date() if closed else last_day
            cycle["burndown"] = _burndown(cycle, parse_iso(cycle["started_at"]).date(), stop,
                                          done_days.get(cycle["id"], {}))
    return rows


def _burndown(cycle: dict, first: date, last: date, done_by_day: dict[str, int]) -> dict:
    days = [(first + timedelta(days=k)).isoformat() for k in range(max((last - first).days, 0) + 1)]
    early = sum(count for day, count in done_by_day.items() if day < days[0])
    remaining, done = [], early
    for day in days:
        done += done_by_day.get(day, 0)
        remaining.append(float(cycle["scope"] - done))
    steps = max(len(days) - 1, 1)
    ideal = [cycle["scope"] * (1 - k / steps) for k in range(len(days))]
    return {"days": days, "remaining": remaining, "ideal": ideal}


def _board(store: Store, project_id: str) -> list[dict]:
    from nerv.services.tasks import STATUSES

    counts, tasks = store.report.board(project_id, BOARD_PER_COLUMN)
    return [{"status": status, "count": counts.get(status, 0),
             "tasks": [t for t in tasks if t["status"] == status]} for status in STATUSES]


def _time_in_status(store: Store, start: str | None, end: str, project_id: str | None) -> list[dict]:
    from nerv.services.tasks import OPEN_STATUSES

    found = {status: (tasks, hours) for status, tasks, hours in
             store.report.time_in_status(start, end, project_id, OPEN_STATUSES)}
    rows = []
    for status in OPEN_STATUSES:
        tasks, hours = found.get(status, (0, 0.0))
        rows.append({"status": status, "tasks": tasks, "hours": round(hours or 0.0, 3),
                     "mean_hours": round(hours / tasks, 3) if tasks else 0.0})
    return rows


def _approvals(groups: list[tuple]) -> dict:
    """Requests by status, by tool and status, and by decider, with the mean and longest wait for a decision."""
    by_status, by_tool, by_decider = {}, {}, {}
    decided, wait_total, wait_max = 0, 0.0, None
    for tool, status, who, requests, decisions, wait_sum, longest in groups:
        by_status[status] = by_status.get(status, 0) + requests
        by_tool[(tool, status)] = by_tool.get((tool, status), 0) + requests
        by_decider[who] = by_decider.get(who, 0) + requests
        decided += decisions or 0
        wait_total += wait_sum or 0.0
        if longest is not None:
            wait_max = longest if wait_max is None else max(wait_max, longest)
    return {"by_status": sorted(by_status.items()),
            "by_tool": [(tool, status, n) for (tool, status), n in sorted(by_tool.items())],
            "by_decider": sorted(by_decider.items(), key=lambda item: (-item[1], item[0])),
            "decided": decided, "mean_wait_s": round(wait_total / decided, 3) if decided else None,
            "max_wait_s": round(wait_max, 3) if wait_max is not None else None}
