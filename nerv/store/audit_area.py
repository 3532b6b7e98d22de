"""`store.audit`: reading the hash-chained audit log (rows are appended by `tx.audit`). Stdlib only."""

from __future__ import annotations

from nerv.store import audit
from nerv.store.area import Area


class AuditArea(Area):
    def verify_chain(self) -> dict:
        """{ok, rows, head, first_broken} (nerv.store.audit.verify_chain)."""
        return audit.verify_chain(self._conn)
