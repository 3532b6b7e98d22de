"""Write transactions: the write lock first, retried on lock, and never without an audit row. Stdlib only.

The dialect's part (how a write transaction starts, what a lock error is) comes from nerv.store.sqlite or
nerv.store.postgres, whichever the connection belongs to (nerv.store.dialect.functions).
"""

from __future__ import annotations

import sqlite3
from typing import Callable, TypeVar

from nerv.errors import NervError
from nerv.store import audit as audit_log
from nerv.store import counters
from nerv.store.search_generation import settle as settle_search_generation
from nerv.store import dialect as dialects
from nerv.store.dialect import functions as dialect_functions

T = TypeVar("T")


class WriteTx:
    """Handle given to the body of a write transaction."""

    def __init__(self, conn: sqlite3.Connection, actor: str, store=None, now: str | None = None):
        self.conn = conn  # for nerv.store's modules and the hook; services reach data through `store`'s areas
        self.store = store
        self.actor = actor
        # The ledger's clock (the server's on PostgreSQL): leases and expiries must not depend on whose
        # machine wrote them. Read once, so every row and audit row of the transaction carries one time
        # (PostgreSQL's BEGIN hands it over as `now`, in the same round trip).
        self.now = now or dialects.now(conn)
        self.audit_rows: list[int] = []

    def audit(self, action: str, entity: str, entity_id=None, *, project_id=None, before=None, after=None) -> int:
        """Record this change in the audit log (same transaction)."""
        row_id = audit_log.append(self.conn, ts=self.now, actor=self.actor, action=action, entity=entity,
                                  entity_id=entity_id, project_id=project_id, before=before, after=after)
        self.audit_rows.append(row_id)
        return row_id

    def next_number(self, kind: str, project_id: str) -> int:
        """The project's next number for `kind` (task, decision, cycle, learning, checkpoint)."""
        return counters.next_number(self.conn, project_id, kind)


def write(conn: sqlite3.Connection, body: Callable[[WriteTx], T], *, actor: str | None = None, store=None) -> T:
    """Run `body(tx)` in one write transaction and commit; retry the whole body on lock errors.

    Keep `body` to SQL work: validation and formatting belong before it, so the lock is held briefly.
    Raises NervError('internal') and rolls back when the body changed rows without an audit row.
    """
    who = audit_log.current_actor(actor)
    dialect = dialect_functions(conn)

    def attempt() -> T:
        began_at = dialect.begin_write(conn)
        try:
            tx = WriteTx(conn, who, store, began_at)
            # Asked, not assumed 0: PostgreSQL's per-transaction counters also hold the backend's earlier
            # transactions until it reports them (at most once a second).
            marker = dialect.write_marker(conn)
            result = body(tx)
            if not tx.audit_rows and dialect.write_marker(conn) != marker:
                raise NervError("internal", "a state change was attempted without its audit row",
                                "this is a bug in nerv; nothing was written")
            settle_search_generation(conn)
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    return dialect.retry_on_lock(attempt)


def read(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """Run `body` in one read transaction so every query sees the same snapshot."""
    dialect = dialect_functions(conn)

    def attempt() -> T:
        dialect.begin_read(conn)
        try:
            return body(conn)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    return dialect.retry_on_lock(attempt)
