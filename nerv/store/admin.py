"""Database-level inspection and maintenance (the SQL behind `nerv db ...` and `nerv status`). Stdlib only."""

from __future__ import annotations

import sqlite3

from nerv.errors import NervError, invalid

CHECKPOINT_MODES = ("passive", "full", "restart", "truncate")


def user_tables(conn: sqlite3.Connection) -> list[str]:
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


def health(conn: sqlite3.Connection) -> dict:
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    foreign_keys = bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    quick = [r[0] for r in conn.execute("PRAGMA quick_check")]
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
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    fk = [dict(zip(("table", "rowid", "parent", "fkid"), r)) for r in conn.execute("PRAGMA foreign_key_check")]
    return {"ok": problems == ["ok"] and not fk, "integrity_check": problems[:100], "foreign_key_violations": fk[:100]}
