"""The dashboard (`nerv status`, `nerv watch`): who holds what, what needs a person, queues, spend, health.

One call, `snapshot(store)`, gathers everything as plain lists and dicts; it only reads, so `nerv watch`
can call it on a read-only connection every refresh. Agents, approvals and budgets come from the services
that define them (claims.list_agents, approvals.list_requests, budgets.status); the rest are the cheap
read-only queries of nerv.store.queries_dashboard.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from nerv.domain.budget import period_start
from nerv.store import paths, queries_tasks
from nerv.store.clock import parse_iso, to_iso
from nerv.store.db import Store
from nerv.store.fastpath import latest_shipped_version

# An agent with no work and no lease is shown only when seen this recently; older ones are counted.
RECENT_S = 86400
LIST_LIMIT = 20


def snapshot(store: Store) -> dict:
    """Everything the dashboard shows, measured at one instant (`now`)."""
    now = store.now()
    moment = parse_iso(now)
    agents, idle = _agents(store, now, moment)
    return {"now": now, "agents": agents, "idle_agents": idle, "needs_person": _needs_person(store, now),
            "queues": store.dashboard.queues(now), "spend": _spend(store, moment),
            "database": _database(store, moment)}


def _seconds(later: datetime, earlier_iso: str | None) -> float | None:
    return None if earlier_iso is None else round((later - parse_iso(earlier_iso)).total_seconds(), 3)


def _agents(store: Store, now: str, moment: datetime) -> tuple[list[dict], int]:
    from nerv.services.claims import list_agents

    leases: dict[str, list[dict]] = {}
    for lease in store.tasks.live_leases(now):
        leases.setdefault(lease["agent"], []).append(lease)
    shown, idle = [], 0
    for agent in list_agents(store):
        seen_s = _seconds(moment, agent["last_seen_at"])
        mine = leases.get(agent["name"], [])
        if not agent["holds"] and not mine and (seen_s is None or seen_s > RECENT_S):
            idle += 1
            continue
        shown.append(_agent_row(store, agent, mine, now, moment, seen_s))
    projects = store.dashboard.task_projects([a["task"]["id"] for a in shown if a["task"]])
    for row in shown:
        if row["task"]:
            row["task"]["project"] = projects.get(row["task"]["id"])
    return shown, idle


def _agent_row(store: Store, agent: dict, leases: list[dict], now: str, moment: datetime,
               seen_s: float | None) -> dict:
    held_id = store.tasks.held_task_id(agent["name"])
    held = next((h for h in agent["holds"] if h["id"] == held_id), None)
    task = None
    if held is not None:
        left = _seconds(parse_iso(held["lease_expires_at"]), now) if held["lease_expires_at"] else None
        task = {**held, "lease_left_s": left, "lease_expired": queries_tasks.lease_expired(held, now)}
    expired = any(queries_tasks.lease_expired(h, now) for h in agent["holds"])
    why = ("lease expired" if expired else "not seen lately") if agent["stale"] else None
    return {"name": agent["name"], "task": task, "also_holds": [h["ref"] for h in agent["holds"] if h is not held],
            "paths": [lease["pattern"] for lease in leases], "stale": agent["stale"], "stale_why": why,
            "last_seen_at": agent["last_seen_at"], "last_seen_s": seen_s, "sessions": agent["sessions"]}


def _needs_person(store: Store, now: str) -> dict:
    from nerv.services.approvals import list_requests

    requests = sorted(list_requests(store, "pending", LIST_LIMIT), key=lambda r: r["created_at"])
    approvals = [{"id": r["id"], "tool": r["tool"], "summary": r["summary"], "agent": r["agent"],
                  "project": r["project"], "created_at": r["created_at"], "age_s": r["age_s"],
                  "waiting_for": r["waiting_for"]} for r in requests]
    moment = parse_iso(now)
    blocked = [{"ref": f"#{row['number']}", **row, "since_s": _seconds(moment, row["since"])}
               for row in store.dashboard.blocked_tasks(LIST_LIMIT)]
    return {"approvals": approvals, "approvals_total": store.dashboard.pending_approvals(),
            "blocked": blocked, "blocked_total": store.dashboard.blocked_count()}


def _elapsed_fraction(period: str, moment: datetime) -> float:
    """How much of the current daily or monthly period has gone by (0..1], for burn rates."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    day_s = max((moment - midnight).total_seconds(), 1.0)
    if period == "daily":
        return day_s / 86400
    days = calendar.monthrange(moment.year, moment.month)[1]
    return ((moment.day - 1) * 86400 + day_s) / (days * 86400)


def _spend(store: Store, moment: datetime) -> dict:
    from nerv.services.budgets import status as budget_states

    today, month = period_start("daily", moment), period_start("monthly", moment)
    spent_today, spent_month = store.budgets.spent_since(None, today), store.budgets.spent_since(None, month)
    day_part, month_part = _elapsed_fraction("daily", moment), _elapsed_fraction("monthly", moment)
    budgets = []
    for state in budget_states(store):
        part = {"daily": day_part, "monthly": month_part}.get(state["period"])
        projected = round(state["spent_usd"] / part, 6) if part else None
        budgets.append({**state, "projected_usd": projected})
    return {"today_usd": round(spent_today, 6), "month_usd": round(spent_month, 6),
            "burn_usd_per_hour": round(spent_today / (day_part * 24), 6),
            "burn_usd_per_day": round(spent_month / (month_part * calendar.monthrange(moment.year, moment.month)[1]),
                                      6),
            "month_projected_usd": round(spent_month / month_part, 6), "budgets": budgets,
            "unpriced_since": month, "unpriced": store.dashboard.unpriced_models(month)}


def _database(store: Store, moment: datetime) -> dict:
    health = store.dashboard.database_health(str(store.path), str(paths.backups_dir()))
    mtime = health.pop("last_backup_mtime")
    backup_at = None if mtime is None else datetime.fromtimestamp(mtime, moment.tzinfo)
    return {**health, "latest_version": latest_shipped_version(),
            "last_backup_at": None if backup_at is None else to_iso(backup_at),
            "last_backup_age_s": None if backup_at is None else round((moment - backup_at).total_seconds(), 3)}
