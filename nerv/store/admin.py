"""Database-level inspection and maintenance (the SQL behind `nerv db ...` and `nerv status`). Stdlib only."""

from __future__ import annotations

import sqlite3

from nerv.errors import NervError, invalid
from nerv.store import dialect

CHECKPOINT_MODES = ("passive", "full", "restart", "truncate")


def user_tables(conn: sqlite3.Connection) -> list[str]:
    if dialect.name(conn) == dialect.POSTGRESQL:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_catalog.pg_tables"
                                           " WHERE schemaname = current_schema() ORDER BY tablename")]
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")
    names = [r[0] for r in rows]
    # FTS5 shadow tables (name_data, name_idx...) are implementation detail, not nerv tables.
    virtual = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")}
    return [n for n in names if not any(n.startswith(v + "_") for v in virtual)]


def table_counts(conn: sqlite3.Connection, tables: list[str] | None = None) -> dict[str, int]:
    tables = tables if tables is not None else user_tables(conn)
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}


def schema_version(conn: sqlite3.Connection) -> int:
    from nerv.store.migrate import applied_migrations

    applied = applied_migrations(conn)
    return applied[-1]["version"] if applied else 0


def _journal_mode(conn: sqlite3.Connection) -> str:
    """The journal mode; for a file opened `immutable` (a read-only mount), the one its header records,
    since SQLite then reports `delete` whatever the file is."""
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if journal.lower() == "wal":
        return journal
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    try:
        with open(path, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return journal
    # Bytes 18-19 are the file format's write/read versions: 2 means WAL.
    return "wal" if len(header) == 20 and header[18] == 2 and header[19] == 2 else journal


def health(conn: sqlite3.Connection) -> dict:
    journal = _journal_mode(conn)
    foreign_keys = bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    quick = integrity_problems(conn, "quick_check")
    tables = user_tables(conn)
    ok = journal.lower() == "wal" and foreign_keys and quick == ["ok"]
    return {
        "healthy": ok,
        "journal_mode": journal,
        "wal_mode": journal.lower() == "wal",
        "foreign_keys": foreign_keys,
        "synchronous": {0: "off", 1: "normal", 2: "full", 3: "extra"}.get(synchronous, synchronous),
        "schema_version": schema_version(conn),
        "tables": len(tables),
        "quick_check": quick[0] if quick == ["ok"] else quick[:20],
        "sqlite_version": sqlite3.sqlite_version,
    }


def server_health(conn) -> dict:
    """`db health` on PostgreSQL, from the server's views: this database's size, connections against
    max_connections, transactions, conflicts and deadlocks (pg_stat_database) and the server's version."""
    row = conn.execute(
        "SELECT pg_database_size(current_database()), d.numbackends, d.xact_commit, d.xact_rollback, d.deadlocks,"
        " d.conflicts, current_setting('max_connections')::int, current_setting('server_version'),"
        " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'),"
        " pg_is_in_recovery()"
        " FROM pg_stat_database d WHERE d.datname = current_database()").fetchone()
    size, connections, commits, rollbacks, deadlocks, conflicts, max_connections, version, idle_in_tx, replica = row
    tables = user_tables(conn)
    # A replica cannot take writes, and a server near max_connections refuses the next agent's hook.
    healthy = not replica and connections < max_connections * 0.9
    return {"healthy": healthy, "server_version": version, "database_size_bytes": size,
            "connections": connections, "max_connections": max_connections,
            "idle_in_transaction": idle_in_tx, "commits": commits, "rollbacks": rollbacks,
            "deadlocks": deadlocks, "conflicts": conflicts, "read_only_replica": replica,
            "schema_version": schema_version(conn), "tables": len(tables)}


def checkpoint(conn: sqlite3.Connection, mode: str = "passive") -> dict:
    mode = mode.lower()
    if mode not in CHECKPOINT_MODES:
        raise invalid(f"unknown checkpoint mode {mode!r}", f"use one of: {', '.join(CHECKPOINT_MODES)}")
    try:
        busy, log, done = conn.execute(f"PRAGMA wal_checkpoint({mode.upper()})").fetchone()
    except sqlite3.OperationalError as exc:
        raise NervError("database", f"checkpoint failed: {exc}") from exc
    return {"mode": mode, "busy": bool(busy), "log_frames": log, "checkpointed_frames": done}


def integrity(conn: sqlite3.Connection) -> dict:
    problems = integrity_problems(conn)
    try:
        fk = [dict(zip(("table", "rowid", "parent", "fkid"), r)) for r in conn.execute("PRAGMA foreign_key_check")]
    except sqlite3.DatabaseError as exc:
        fk, problems = [], [*problems, f"foreign_key_check stopped: {exc}"]
    return {"ok": problems == ["ok"] and not fk, "integrity_check": problems[:100], "foreign_key_violations": fk[:100]}


def integrity_problems(conn: sqlite3.Connection, check: str = "integrity_check") -> list[str]:
    """What PRAGMA `check` (integrity_check or quick_check) finds, one finding a line (`["ok"]` when none);
    damage that stops the check itself is its last finding."""
    problems = []
    try:
        for (row,) in conn.execute(f"PRAGMA {check}"):
            problems.extend(str(row).splitlines())
    except sqlite3.DatabaseError as exc:
        problems.append(f"{check} stopped: {exc}")
    return problems


def damaged_file_integrity(path) -> dict:
    """The integrity report of a database file too damaged to open as the store: integrity_check over a
    read-only connection (nothing is written, repaired or migrated). Foreign keys are not checked."""
    from nerv.store.sqlite import open_connection

    try:
        conn = open_connection(path, readonly=True)
    except NervError as err:
        problems = [f"cannot open it read-only: {err.message}"]
    else:
        try:
            problems = integrity_problems(conn)
        finally:
            conn.close()
    return {"ok": False, "corrupt": True, "integrity_check": problems[:100], "foreign_key_violations": []}


def vacuum(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("VACUUM")
        # VACUUM in WAL mode writes the new pages to the WAL; checkpointing is what shrinks the file.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as exc:
        raise NervError("database", f"vacuum failed: {exc}", "another process may hold the database; retry") from exc


def references_to(conn: sqlite3.Connection, parent: str, parent_id: str) -> dict[str, dict[str, int]]:
    """Rows pointing at one parent row, by what deleting the parent does to them (from the schema's
    ON DELETE clauses, so a table added by a later migration is counted without code changes)."""
    from nerv.store.schema_info import quote

    found: dict[str, dict[str, int]] = {"deleted": {}, "unlinked": {}}
    for table, column, on_delete in _foreign_keys_to(conn, parent):
        action = {"CASCADE": "deleted", "SET NULL": "unlinked"}.get(on_delete.upper())
        if action is None or table == parent:
            continue
        count = conn.execute(f"SELECT count(*) FROM {quote(table)} WHERE {quote(column)} = ?",
                             (parent_id,)).fetchone()[0]
        found[action][table] = found[action].get(table, 0) + count
    return found


# pg_constraint.confdeltype: what ON DELETE does, as SQLite's foreign_key_list spells it.
_PG_ON_DELETE = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT", "r": "RESTRICT", "a": "NO ACTION"}


def _foreign_keys_to(conn: sqlite3.Connection, parent: str) -> list[tuple[str, str, str]]:
    """(table, column, ON DELETE action) of every single-column foreign key that references `parent`."""
    if dialect.name(conn) == dialect.POSTGRESQL:
        rows = conn.execute(
            "SELECT c.conrelid::regclass::text, a.attname, c.confdeltype FROM pg_catalog.pg_constraint c"
            " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = to_regclass(?) ORDER BY 1, 2", (parent,)).fetchall()
        return [(table, column, _PG_ON_DELETE[kind]) for table, column, kind in rows]
    from nerv.store.schema_info import quote, state_table_names

    return [(table, fk[3], fk[6]) for table in state_table_names(conn)
            for fk in conn.execute(f"PRAGMA foreign_key_list({quote(table)})") if fk[2] == parent]


def content_hash(conn: sqlite3.Connection) -> str:
    """A digest of every row of every user table, independent of row order: equal digests mean equal content
    (how "a refused command changed nothing" is checked)."""
    import hashlib

    digest = hashlib.sha256()
    for name in user_tables(conn):
        digest.update(name.encode("utf-8") + b"\0")
        for row in sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"')):
            digest.update(row.encode("utf-8") + b"\n")
    return digest.hexdigest()


def state_digest(conn: sqlite3.Connection) -> str:
    """content_hash's backend-neutral twin over the state tables only (nerv.store.schema_info): columns by
    name, blobs as bytes, so a ledger and its copy on the other backend digest alike. The derived tables
    and the migration ledger differ between backends by design and are left out.

    Each table is read in primary-key order, sorted by the database (text keys byte by byte on both backends,
    `_key_order`), and hashed page by page as it arrives: memory stays bounded by a page, not the ledger."""
    import hashlib

    from nerv.store.schema_info import describe, quote, state_table_names

    digest = hashlib.sha256()
    pages = dialect.functions(conn).pages
    for name in sorted(state_table_names(conn)):
        table = describe(conn, name)
        names = sorted(table.column_names)
        digest.update(name.encode("utf-8") + b"\0" + ",".join(names).encode("utf-8") + b"\0")
        select = f"SELECT {', '.join(quote(c) for c in names)} FROM {quote(name)} ORDER BY {_key_order(conn, table)}"
        for page in pages(conn, select):
            for row in page:
                digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode("utf-8")
                              + b"\n")
    return digest.hexdigest()


def _key_order(conn: sqlite3.Connection, table) -> str:
    """ORDER BY terms of `table`'s primary key (every column where it has none) that sort alike on both
    backends: text byte by byte (SQLite's BINARY; PostgreSQL's "C", whatever the database's collation) and
    NULL first (SQLite's place for it)."""
    from nerv.store.schema_info import quote

    postgresql = dialect.name(conn) == dialect.POSTGRESQL
    terms = []
    for column in table.primary_key or sorted(table.column_names):
        collate = ""
        if not postgresql:
            collate = " COLLATE BINARY"
        elif table.column(column).affinity == "text":
            collate = ' COLLATE "C"'
        terms.append(f"{quote(column)}{collate} NULLS FIRST")
    return ", ".join(terms)
