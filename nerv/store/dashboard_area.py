"""`store.dashboard`: the aggregate reads behind `nerv dashboard` (nerv.store.queries_dashboard). Stdlib only."""

from __future__ import annotations

from nerv.store import queries_dashboard as q
from nerv.store.area import Area


class DashboardArea(Area):
    def queues(self, now: str) -> list[dict]:
        return q.queues(self._conn, now)

    def task_projects(self, task_ids: list[str]) -> dict[str, str]:
        return q.task_projects(self._conn, task_ids)

    def blocked_tasks(self, limit: int) -> list[dict]:
        return q.blocked_tasks(self._conn, limit)

    def blocked_count(self) -> int:
        return q.blocked_count(self._conn)

    def pending_approvals(self) -> int:
        return q.pending_approvals(self._conn)

    def unpriced_models(self, since: str) -> list[dict]:
        return q.unpriced_models(self._conn, since)

    def database_health(self, path: str, backups_dir: str) -> dict:
        return q.database_health(self._conn, path, backups_dir)

