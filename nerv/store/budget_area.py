"""`store.budgets`: budgets and the spend measured against them (nerv.store.queries_budgets). Stdlib only: the
hook's budget guard and the status line read budgets through it too (`BudgetArea(conn)`); what a spend means is
nerv.domain.budget."""

from __future__ import annotations

from nerv.store import queries_budgets as q
from nerv.store.area import Area


class BudgetArea(Area):
    def budget_rows(self, project_id: str | None, all_projects: bool) -> list[tuple]:
        """(id, project id, project name, period, limit, hard) of the budgets in scope."""
        return q.budget_rows(self._conn, project_id, all_projects)

    def spent_since(self, project_id: str | None, since: str) -> float:
        """US$ spent since `since`, in one project or (None) everywhere."""
        return q.spent_since(self._conn, project_id, since)

    def task_spend(self, task_id: str) -> float:
        return q.task_spend(self._conn, task_id)

    def costliest_task(self, project_id: str | None) -> tuple[str | None, float]:
        return q.costliest_task(self._conn, project_id)
