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
