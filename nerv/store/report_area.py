"""`store.report`: the reads behind `nerv report`'s page (nerv.store.queries_report). Stdlib only."""

from __future__ import annotations

from nerv.store import queries_report as q
from nerv.store.area import Area


class ReportArea(Area):
    def usage_summary(self, start: str | None, end: str, project_id: str | None, top_sessions: int):
        """(cost rows, top sessions) of the range."""
        return q.usage_summary(self._conn, start, end, project_id, top_sessions)

    def approvals(self, start: str | None, end: str, project_id: str | None) -> list[tuple]:
        return q.approvals(self._conn, start, end, project_id)

    def cycles(self, project_id: str) -> list[dict]:
        return q.cycles(self._conn, project_id)

    def done_per_day(self, project_id: str) -> list[tuple]:
        return q.done_per_day(self._conn, project_id)

    def board(self, project_id: str, per_column: int) -> tuple[dict, list[dict]]:
        return q.board(self._conn, project_id, per_column)

    def time_in_status(self, start: str | None, end: str, project_id: str | None, statuses) -> list[tuple]:
        return q.time_in_status(self._conn, start, end, project_id, statuses)
