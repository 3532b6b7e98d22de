"""Which backend a connection talks to, and that backend's connection-level functions. Stdlib only.

nerv.store.sqlite and nerv.store.postgres define the same functions (begin_write, begin_read,
write_marker, retry_on_lock, is_lock_error, table_exists, has_tables); code that works on either asks
`functions(conn)` for the right module instead of importing one.
"""

from __future__ import annotations

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def name(conn) -> str:
    """'postgresql' for nerv.store.postgres.PgConnection, else 'sqlite' (sqlite3's connection has no `dialect`)."""
    return getattr(conn, "dialect", SQLITE)


def functions(conn):
    if name(conn) == POSTGRESQL:
        from nerv.store import postgres

        return postgres
    from nerv.store import sqlite

    return sqlite


def now(conn) -> str:
    """The ledger's clock, in nerv.store.clock's format: what leases and expiries are computed and compared
    with. PostgreSQL: the server's `now()`, one clock for every machine (inside a transaction, the time it
    began, so every row it writes carries one time); SQLite: this machine's clock (one machine, one clock)."""
    if name(conn) == POSTGRESQL:
        from nerv.store import postgres

        return postgres.server_now(conn)
    from nerv.store import clock

    return clock.now_iso()


def json_values(conn, param: str) -> str:
    """A subquery of the elements of the JSON array bound to `param` (e.g. ':prefixes' or '?'), as text."""
    if name(conn) == POSTGRESQL:
        return f"SELECT json_array_elements_text(CAST({param} AS json))"
    return f"SELECT value FROM json_each({param})"


def json_field(conn, column: str, key: str) -> str:
    """The top-level `key` of the JSON object in text `column`, as SQL (NULL when absent)."""
    if name(conn) == POSTGRESQL:
        return f"(CAST({column} AS json) ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"
