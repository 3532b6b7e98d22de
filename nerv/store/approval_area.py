"""`store.approvals`: waiting for an approval request's end (nerv.store.approval_wait). Stdlib only."""

from __future__ import annotations

from nerv.store import approval_wait, queries_approvals as q
from nerv.store.area import Area


class ApprovalArea(Area):
    def wait_for_end(self, request_id: int, timeout_s: float) -> tuple[str, str | None] | None:
        """(status, reason) once the request is no longer pending, or None after `timeout_s` seconds.

        Each read is its own statement outside any transaction, so it sees what other connections committed."""
        return approval_wait.wait_until(self._conn, request_id, timeout_s, lambda: q.end_state(self._conn, request_id))
