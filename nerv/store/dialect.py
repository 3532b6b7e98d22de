"""Which backend a connection talks to, and that backend's connection-level functions. Stdlib only.

nerv.store.sqlite and nerv.store.postgres define the same functions (begin_write, begin_read,
write_marker, retry_on_lock, is_lock_error, table_exists, table_columns, has_tables, database_size, pages); code that works on either asks
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


def driver_error(conn) -> type[Exception]:
    """The base class of what the connection's driver raises (sqlite3.Error, psycopg2.Error)."""
    if name(conn) == POSTGRESQL:
        import psycopg2

        return psycopg2.Error
    import sqlite3

    return sqlite3.Error


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


def full_text(conn):
    """The module of the backend's full-text search SQL: nerv.store.search_fts5 or nerv.store.search_tsvector."""
    if name(conn) == POSTGRESQL:
        from nerv.store import search_tsvector

        return search_tsvector
    from nerv.store import search_fts5

    return search_fts5


def is_distinct(conn) -> str:
    """The NULL-safe "differs" operator (SQLite's IS NOT predates its IS DISTINCT FROM)."""
    return "IS DISTINCT FROM" if name(conn) == POSTGRESQL else "IS NOT"


def greatest(conn, *values: str) -> str:
    """The largest of SQL expressions (SQLite's scalar max(), PostgreSQL's greatest())."""
    return f"{'greatest' if name(conn) == POSTGRESQL else 'max'}({', '.join(values)})"


def least(conn, *values: str) -> str:
    return f"{'least' if name(conn) == POSTGRESQL else 'min'}({', '.join(values)})"


def seconds_between(conn, later: str, earlier: str) -> str:
    """Seconds from ISO-8601 text `earlier` to `later`, as SQL (a real number)."""
    if name(conn) == POSTGRESQL:
        return f"EXTRACT(EPOCH FROM (CAST({later} AS timestamptz) - CAST({earlier} AS timestamptz)))"
    return f"((julianday({later}) - julianday({earlier})) * 86400)"


def scan_hint(conn) -> str:
    """SQLite's ` NOT INDEXED` (read the table in storage order); PostgreSQL's planner takes no such hint."""
    return "" if name(conn) == POSTGRESQL else " NOT INDEXED"


def week_start(conn, day: str) -> str:
    """The Monday on or before the 'YYYY-MM-DD' text `day`, as 'YYYY-MM-DD' text."""
    if name(conn) == POSTGRESQL:
        return f"to_char(date_trunc('week', CAST({day} AS date)), 'YYYY-MM-DD')"
    # 'weekday 0' moves to the coming Sunday (or stays), then back six days.
    return f"date({day}, 'weekday 0', '-6 days')"
