"""The search generation: one step per write transaction that changed the index. Stdlib only (the hook writes).

The index triggers (migrations/0009) list changed items in search_pending and stamp them with the next
generation; `settle` confirms that step. The vector cache compares generations to know what it misses.
"""

from __future__ import annotations

import sqlite3


def next_generation(conn: sqlite3.Connection) -> int:
    return conn.execute("UPDATE search_meta SET generation = generation + 1 WHERE id = 1 RETURNING generation")\
        .fetchone()[0]


def settle(conn: sqlite3.Connection) -> None:
    """Move the generation once if the transaction changed indexed items; call last before COMMIT.

    The generation row is written only by transactions that changed the index and (under a backend
    with concurrent writers) held only from here to the commit, so generations become visible in
    order. Items whose provisional stamp is already right are not rewritten.
    """
    if conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is None:
        return
    generation = next_generation(conn)
    conn.execute("UPDATE search_items SET seq = ? WHERE (kind, item_id) IN (SELECT kind, item_id FROM search_pending)"
                 " AND seq <> ?", (generation, generation))
    conn.execute("DELETE FROM search_pending")


def settle_left_over(conn: sqlite3.Connection) -> None:
    """Settle what a writer that bypassed the store's wrapper (a hand edit, a script) left in search_pending.

    Derived bookkeeping, like the index itself, so it has no audit row. Outside any transaction.
    """
    if conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is None:
        return
    from nerv.store import dialect

    backend = dialect.functions(conn)

    def attempt() -> None:
        backend.begin_write(conn)
        try:
            settle(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    backend.retry_on_lock(attempt)
