"""Spending budgets: daily, monthly and per-task limits, globally or per project."""

from __future__ import annotations

import math

from nerv.errors import invalid, not_found
from nerv.store.db import Store
from nerv.store.models import Budget

LIMIT_MAX = 10_000_000.0
PERIODS = ("daily", "monthly", "per_task")


def _check_limit(value: float | None, option: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or \
            not 0 < value <= LIMIT_MAX:
        raise invalid(f"{option} must be an amount in US$ above 0 and at most {LIMIT_MAX:,.0f}, got {value!r}")
    return float(value)


def set_budgets(store: Store, *, project: str | None = None, daily: float | None = None,
                monthly: float | None = None, per_task: float | None = None, soft: bool = False,
                everywhere: bool = False) -> list[dict]:
    """Create or change budgets for the command's scope (services/scope.py; global: across all projects); each
    row says the scope. A soft budget only warns, never blocks."""
    from nerv.services.scope import command_scope, scope_fields

    limits = {"daily": _check_limit(daily, "--daily"), "monthly": _check_limit(monthly, "--monthly"),
              "per_task": _check_limit(per_task, "--per-task")}
    limits = {period: value for period, value in limits.items() if value is not None}
    if not limits:
        raise invalid("no budget given", "pass --daily USD, --monthly USD and/or --per-task USD")
    target = command_scope(store, project, everywhere)
    project_id = target["id"] if target else None

    def body(tx):
        saved = []
        for period, limit in limits.items():
            scope = (Budget.project == project_id) if project_id else Budget.project.is_null()
            existing = Budget.get_or_none(scope & (Budget.period == period))
            before = existing.to_dict() if existing else None
            if existing:
                Budget.update(limit_usd=limit, hard=0 if soft else 1, updated_at=tx.now).where(
                    Budget.id == existing.id).execute()
                budget_id = existing.id
            else:
                budget_id = Budget.insert(project=project_id, period=period, limit_usd=limit, hard=0 if soft else 1,
                                          created_at=tx.now, updated_at=tx.now).execute()
            after = Budget.get_by_id(budget_id).to_dict()
            tx.audit("budget.set", "budget", budget_id, project_id=project_id, before=before, after=after)
            saved.append({**after, **scope_fields(target)})
        return saved

    return store.write(body)


def remove_budget(store: Store, period: str, *, project: str | None = None, everywhere: bool = False) -> dict:
    """Delete one budget of the command's scope (services/scope.py; raises not_found when there is none)."""
    from nerv.services import validate
    from nerv.services.scope import command_scope, scope_fields

    period = validate.choice(period.replace("-", "_"), "period", PERIODS)
    scope = command_scope(store, project, everywhere)
    project_id = scope["id"] if scope else None
    where = (Budget.project == project_id) if project_id else Budget.project.is_null()
    existing = Budget.get_or_none(where & (Budget.period == period))
    if existing is None:
        raise not_found("budget", f"{period} {'of ' + scope['name'] if scope else '(all projects)'}",
                        "see `nerv budget status`")
    before = existing.to_dict()

    def body(tx):
        Budget.delete().where(Budget.id == existing.id).execute()
        tx.audit("budget.rm", "budget", existing.id, project_id=project_id, before=before)
        return {**before, **scope_fields(scope)}

    return store.write(body)


def status(store: Store, *, project: str | None = None) -> list[dict]:
    """Every budget (or those applying to `project`) with spent US$, share used and state ok / warning / exceeded."""
    from nerv.domain.budget import budget_states, describe_budget
    from nerv.services.projects import find_project

    project_id = find_project(project).id if project else None
    states = store.read(lambda s: budget_states(s.budgets, project_id=project_id, all_projects=project_id is None))
    for state in states:
        state["summary"] = describe_budget(state)
    return states

