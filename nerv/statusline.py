"""`nerv statusline`: Claude Code's statusLine command. Reads its JSON on stdin, prints one line: the session's
cost, today's spend, the most used budget in scope, the active 5-hour block's burn rate and the current task.

Stdlib only and dispatched by nerv.__main__ before the CLI is imported, like `nerv hook`: Claude Code runs it
after every message. It never fails the status bar: bad input or an unusable database still prints a line.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from nerv import fastjson

# How far back the burn rate looks for the active block's calls: a block lasts 5 hours, and the calls
# just before it decide where it starts.
BLOCK_LOOKBACK = timedelta(hours=10)


def run(stdin: bytes) -> int:
    try:
        payload = fastjson.loads(stdin.decode("utf-8", "replace") or "{}")
    except ValueError:
        payload = {}
    if payload.__class__ is not dict:
        payload = {}
    sys.stdout.write(line(payload, datetime.now(timezone.utc)) + "\n")
    return 0


def line(payload: dict, now: datetime) -> str:
    parts = ["nerv"]
    session_cost = _number(_field(payload, "cost", "total_cost_usd"))
    from nerv.errors import NervError
    from nerv.store import fastpath

    try:
        conn, missing = fastpath.open_current_ledger(), "no ledger"
    except NervError:  # the team's server is unreachable, or its driver is not installed
        conn, missing = None, "ledger unavailable"
    if conn is None:
        if session_cost is not None:
            parts.append(f"session ${session_cost:.2f}")
        return " | ".join(parts + [missing])
    try:
        parts += _ledger_parts(conn, payload, session_cost, now)
    except Exception:  # noqa: BLE001 - a status bar shows what it has; the ledger may be locked or damaged
        parts.append("ledger unavailable")
    finally:
        conn.close()
    return " | ".join(parts)


def _ledger_parts(conn, payload: dict, session_cost: float | None, now: datetime) -> list[str]:
    from nerv.domain import blocks
    from nerv.domain.budget import session_states
    from nerv.store.budget_area import BudgetArea
    from nerv.store import lookups, queries_costs, queries_sessions, queries_tasks

    session_id = payload.get("session_id") if payload.get("session_id").__class__ is str else None
    links = queries_sessions.session_links(conn, session_id)
    cwd = _field(payload, "workspace", "current_dir") or payload.get("cwd")
    project = lookups.project_for_path(conn, cwd) if cwd.__class__ is str else None
    project_id = links.get("project_id") or (project["id"] if project else None)
    task_id = links.get("task_id") or queries_tasks.held_task_id(conn, links.get("agent"), project_id)
    parts = []
    if session_cost is None and session_id:
        session_cost = queries_costs.session_usage(conn, session_id)["cost_usd"]
    if session_cost is not None:
        parts.append(f"session ${session_cost:.2f}")
    parts.append(f"today ${queries_costs.spend_by_day(conn, now.strftime('%Y-%m-%d')):.2f}")
    budgets = session_states(BudgetArea(conn), project_id, task_id)
    if budgets:
        top = max(budgets, key=lambda b: b["used"])
        parts.append(f"budget {top['used'] * 100:.0f}% of ${top['limit_usd']:g} {top['period']}")
    since = (now - BLOCK_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    calls = [blocks.Call(datetime.fromisoformat(ts.replace("Z", "+00:00")), *rest)
             for ts, *rest in queries_costs.calls_between(conn, since, None, None)]
    active = [b for b in blocks.blocks_of(calls) if blocks.is_active(b, now)]
    rate = blocks.burn_rate(active[-1]) if active else None
    if rate:
        parts.append(f"${rate['usd_per_hour']:.2f}/h")
    label = queries_tasks.task_label(conn, task_id)
    if label:
        parts.append(label if len(label) <= 40 else label[:39] + "…")
    return parts


def _field(payload: dict, outer: str, inner: str):
    value = payload.get(outer)
    return value.get(inner) if value.__class__ is dict else None


def _number(value) -> float | None:
    return float(value) if value.__class__ in (int, float) else None
