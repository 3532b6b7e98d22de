"""The budget warning and the budget guard of the hook. Stdlib only (runs on agent tool calls).

Registered in nerv.hook.extensions; each takes the open sqlite3 connection and the hook's input payload
(a dict), tolerates missing or wrong-typed fields, and does nothing when there is nothing to do.
- budget_context (SessionStart, UserPromptSubmit): a short warning once a budget is at 80 % or more.
- budget_guard (PreToolUse): a deny decision when `budget.enforce` is true and a hard budget is exceeded.
"""

from __future__ import annotations

import sqlite3

from nerv.store import lookups
from nerv.store.lookups import has_budgets

# The guard runs before every tool call: with no budget defined it must cost one indexed query, so the
# budget rules (datetime) and the settings registry (typing) are imported only past it.


def _scope(conn: sqlite3.Connection, event: dict) -> tuple[str | None, str | None]:
    """(project id, task id) of the event: the session's record first, else the project of its cwd."""
    session_id = event.get("session_id")
    if isinstance(session_id, str) and session_id:
        from nerv.store import queries_sessions

        links = queries_sessions.session_links(conn, session_id)
        if links.get("project_id"):
            return links["project_id"], links["task_id"]
    cwd = event.get("cwd")
    found = lookups.project_for_path(conn, cwd) if isinstance(cwd, str) else None
    return (found["id"] if found else None), None


def budget_context(conn: sqlite3.Connection, event_name: str, event: dict) -> str | None:
    """A one-paragraph warning for the agent's context when any budget in scope is at 80 % or more."""
    if not has_budgets(conn):
        return None
    from nerv.domain.budget import describe_budget, session_states
    from nerv.store.budget_area import BudgetArea

    near = [s for s in session_states(BudgetArea(conn), *_scope(conn, event)) if s["state"] != "ok"]
    if not near:
        return None
    lines = [("EXCEEDED " if s["state"] == "exceeded" else "") + describe_budget(s) for s in near]
    return "nerv budget warning: " + "; ".join(lines) + ". Keep the remaining work small and focused."


def budget_guard(conn: sqlite3.Connection, event: dict) -> tuple[str, str] | None:
    """("deny", reason) when `budget.enforce` is on and a hard budget is exceeded; else None (no opinion)."""
    if not has_budgets(conn):
        return None
    project_id, task_id = _scope(conn, event)
    # Checked first: this runs before every tool call, and without enforcement no spend needs summing.
    from nerv.settings_keys import KNOWN

    enforce = lookups.effective_setting(conn, "budget.enforce", project_id, KNOWN["budget.enforce"].default)
    if enforce is not True:
        return None
    from nerv.domain.budget import describe_budget, session_states
    from nerv.store.budget_area import BudgetArea

    over = [s for s in session_states(BudgetArea(conn), project_id, task_id) if s["hard"] and s["state"] == "exceeded"]
    if not over:
        return None
    return ("deny", "nerv: budget exceeded (" + "; ".join(describe_budget(s) for s in over) + "). Tool calls are "
                    "blocked while budget.enforce is true: ask a person to raise the budget (`nerv budget set`).")
