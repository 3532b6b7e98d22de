"""`store.audit`: reading the hash-chained audit log (rows are appended by `tx.audit`). Stdlib only."""

from __future__ import annotations

from nerv.store import audit
from nerv.store.area import Area
from nerv.store.sqlite import as_nerv_errors


class AuditArea(Area):
    def verify_chain(self) -> dict:
        """{ok, rows, head, first_broken} (nerv.store.audit.verify_chain); NervError('corrupt') when the
        file's damage stops the reading."""
        with as_nerv_errors():
            return audit.verify_chain(self._conn)

    def chain_head(self) -> dict | None:
        """The newest row's id and hash and the row count: what an anchor records."""
        return audit.chain_head(self._conn)

    def check_anchor(self, anchor: dict) -> str | None:
        """Why the log no longer holds the anchored head, or None when it does."""
        return audit.check_anchor(self._conn, anchor)

    def replay(self) -> dict:
        """The state the log implies compared with the tables (nerv.store.audit_replay.replay)."""
        from nerv.store.audit_replay import replay

        return replay(self._conn)
