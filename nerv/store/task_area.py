"""`store.tasks`: the claims/tasks area of the store, the seam a second backend implements. Stdlib only.

Services call these methods with the write transaction they run in (`tx`) and never see a connection;
each method is one statement whose guard states what correctness relies on (a compare-and-swap), so
the outcome does not depend on the backend admitting one writer at a time.
"""

from __future__ import annotations

from nerv.store import queries_leases, queries_tasks
from nerv.store.area import Area


class TaskArea(Area):
    def ready(self, tx, project_id: str, limit: int | None = None) -> list[dict]:
        """Ready tasks of a project in claim order (nerv.store.queries_tasks.ready_tasks)."""
        return queries_tasks.ready_tasks(tx.conn, project_id, tx.now, limit)

    def expired_leases(self, tx, project_id: str) -> list[dict]:
        return queries_tasks.expired_leases(tx.conn, project_id, tx.now)

    def claim(self, tx, task_id: str, fields: dict) -> bool:
        """Apply `fields` if the task is claimable at this instant; False when another writer got there first
        or it is not claimable."""
        return queries_tasks.claim(tx.conn, task_id, fields, tx.now)

    def heartbeat(self, tx, task_id: str, agent: str, fields: dict) -> bool:
        """Apply `fields` if `agent` holds the task in progress; False otherwise."""
        return queries_tasks.heartbeat(tx.conn, task_id, agent, fields)

    def release(self, tx, task_id: str, agent: str | None, fields: dict) -> bool:
        """Apply `fields` if the task is in progress (held by `agent` when given); False otherwise."""
        return queries_tasks.release(tx.conn, task_id, agent, fields)

    def ready_at(self, project_id: str, now: str, limit: int | None = None) -> list[dict]:
        """`ready` outside a write transaction, as of `now`."""
        return queries_tasks.ready_tasks(self._conn, project_id, now, limit)

    def is_claimable(self, task_id: str, now: str) -> bool:
        return queries_tasks.is_claimable(self._conn, task_id, now)

    def held_task_id(self, agent: str | None, project_id: str | None = None) -> str | None:
        return queries_tasks.held_task_id(self._conn, agent, project_id)

    def blocks_edges(self, project_id: str) -> list[tuple[str, str]]:
        return queries_tasks.blocks_edges(self._conn, project_id)

    def record_holding(self, tx, task_id: str, before: str | None, after: str | None) -> list[dict]:
        """Keep the task's holding history; the session links it moved (nerv.store.queries_tasks.record_holding)."""
        return queries_tasks.record_holding(tx.conn, task_id, before, after, tx.now)

    def live_leases(self, now: str | None = None) -> list[dict]:
        """Path leases not yet expired at `now` (nerv.store.queries_leases)."""
        return queries_leases.live_leases(self._conn, now)
