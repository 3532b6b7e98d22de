"""What a budget's spend means: its period's start, its state (warning from 80 %, exceeded past the limit)
and the sentence a person or an agent reads. Stdlib only: `nerv budget` and the hook's budget guard share it."""

from __future__ import annotations

from datetime import datetime, timezone


WARN_AT = 0.8  # share of the limit from which a budget is in `warning`
PERIOD_WORDS = {"daily": "daily", "monthly": "monthly", "per_task": "per-task"}


def period_start(period: str, now: datetime | None = None) -> str:
    """The ISO prefix from which a daily or monthly budget counts (UTC)."""
    now = now or datetime.now(timezone.utc)
    if period == "monthly":
        return now.strftime("%Y-%m-01")
    return now.strftime("%Y-%m-%d")


def state_of(spent: float, limit: float) -> str:
    if spent > limit:
        return "exceeded"
    return "warning" if spent >= WARN_AT * limit else "ok"


def budget_states(budgets, *, project_id: str | None = None, all_projects: bool = True,
                  task_id: str | None = None, now: datetime | None = None) -> list[dict]:
    """Every budget in scope with what was spent against it; `budgets` is the store's budget area
    (nerv.store.budget_area.BudgetArea: `store.budgets`, or `BudgetArea(conn)` on the hook's connection).

    all_projects: every budget; otherwise the global ones plus those of `project_id`. Per-task budgets are
    measured on `task_id` when given (the hook's session task), else on the costliest task in scope.
    """
    states = []
    for budget_id, scope_id, scope_name, period, limit, hard in budgets.budget_rows(project_id, all_projects):
        state = {"id": budget_id, "project_id": scope_id, "project": scope_name or "(all projects)",
                 "period": period, "limit_usd": limit, "hard": bool(hard), "task_id": None}
        if period == "per_task":
            if task_id is not None:
                state["task_id"], spent = task_id, budgets.task_spend(task_id)
            else:
                state["task_id"], spent = budgets.costliest_task(scope_id)
        else:
            state["since"] = period_start(period, now)
            spent = budgets.spent_since(scope_id, state["since"])
        state["spent_usd"] = round(spent, 6)
        state["used"] = round(spent / limit, 4)
        state["state"] = state_of(spent, limit)
        states.append(state)
    return states


def session_states(budgets, project_id: str | None, task_id: str | None) -> list[dict]:
    """The budgets a session answers to: global ones and its project's; a per-task budget only with a task."""
    states = budget_states(budgets, project_id=project_id, all_projects=False, task_id=task_id)
    return [s for s in states if s["period"] != "per_task" or task_id is not None]


def describe_budget(state: dict) -> str:
    """One line a person or an agent reads: `daily budget of demo: $8.12 of $10.00 (81%)`."""
    return (f"{PERIOD_WORDS[state['period']]} budget of {state['project']}: ${state['spent_usd']:.2f} of"
            f" ${state['limit_usd']:.2f} ({state['used'] * 100:.0f}%)")
