"""Consistent copies of a live database. Stdlib only.

`cp state.db` while agents write gives copies that pass integrity_check yet mix two states; the backup
API copies one committed snapshot. We copy into a temp file, fsync it, then rename, so a reader never
sees a half-written backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

from nerv import atomic_file
from nerv.store import leftovers
from nerv.store.paths import ensure_private_dir
from nerv.store.sqlite import table_exists


def backup_to(conn: sqlite3.Connection, dest: Path) -> Path:
    """Copy the database behind `conn` to `dest` (must not exist). Returns `dest`."""
    dest = Path(dest)
    ensure_private_dir(dest.parent)
    leftovers.sweep(dest.parent)  # copies of a killed or out-of-space earlier backup
    fd, tmp = atomic_file.create_temp(dest, 0o600)
    try:
        target = sqlite3.connect(tmp, isolation_level=None)
        try:
            # pages=-1: one step, so the copy is a single snapshot even while writers commit.
            conn.backup(target, pages=-1)
            # A backup is a standalone file: no -wal beside it to lose.
            target.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            target.close()
    except BaseException:
        atomic_file.discard(fd, tmp)
        raise
    atomic_file.commit(fd, tmp, dest)
    return dest


def snapshot_backup(conn: sqlite3.Connection, dest: Path) -> dict:
    """Copy the database to `dest` and return the row counts and schema version of the very snapshot copied.

    The counts are read and the copy is taken inside one read transaction, so they describe the same
    state even while other processes commit; the copy can then be checked against them.
    """
    from nerv.store.admin import schema_version, table_counts

    conn.execute("BEGIN")
    try:
        counts = table_counts(conn)
        version = schema_version(conn)
        backup_to(conn, dest)
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    return {"counts": counts, "schema_version": version}


def inspect_copy(path: Path, *, full_check: bool = True) -> dict:
    """Open a database file read-only and report integrity, schema version, row counts and the audit chain.

    `full_check` runs integrity_check (every index checked against its table: ~94% of a large backup's
    time); without it, quick_check (page structure and constraints, in a fraction of the time). `check`
    names the one that ran. Raises NervError('database') when the file is not an SQLite database.
    """
    from nerv.store.admin import schema_version, table_counts
    from nerv.store.audit import verify_chain
    from nerv.store.migrate import applied_migrations
    from nerv.store.sqlite import open_connection

    check = "integrity_check" if full_check else "quick_check"
    conn = open_connection(path, readonly=True)
    try:
        try:
            problems = [r[0] for r in conn.execute(f"PRAGMA {check}")]
        except sqlite3.DatabaseError as exc:
            from nerv.errors import NervError

            raise NervError("database", f"{path} is not a readable SQLite database ({exc})") from exc
        has_audit = table_exists(conn, "audit_log")
        return {
            "check": check,
            "integrity_check": problems[:20],
            "integrity_ok": problems == ["ok"],
            "schema_version": schema_version(conn),
            "applied": applied_migrations(conn),
            "counts": table_counts(conn),
            "audit_chain": verify_chain(conn) if has_audit else {"ok": False, "rows": 0,
                                                                 "first_broken": {"id": None, "problem": "no audit_log table"}},
        }
    finally:
        conn.close()


def restore_into(conn: sqlite3.Connection, source: Path) -> None:
    """Overwrite the live database behind `conn` with `source` through the backup API.

    SQLite writes every page through the live connection under its write lock, so other processes are
    locked out during the copy and the -wal/-shm files stay consistent (no stale WAL frames replayed later).
    """
    src = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        src.backup(conn, pages=-1)
    except sqlite3.Error as exc:
        from nerv.errors import NervError

        # The copy is one transaction on the live database: when it fails, nothing of it landed.
        raise NervError("database", f"restore failed: {exc}", "the database was left unchanged") from exc
    finally:
        src.close()


def prepare_restore_copy(source: Path, dest: Path, pending: list, check_rules) -> tuple[list, list[dict]]:
    """Copy `source` to `dest`, migrate the copy and check its rules: (migrations applied, what
    `check_rules(rule_area)` returns: the rules it recomputed).

    Done on a copy because the live database must never hold rows the hook would trust unchecked, not
    even between the copy and the check. `check_rules` raises (NervError('invalid')) for rules that do not
    parse (nerv.rules.rows.reconcile).
    """
    from nerv.store import migrate, search_index
    from nerv.store.rule_area import RuleArea
    from nerv.store.sqlite import open_connection

    original = open_connection(source, readonly=True)
    try:
        backup_to(original, dest)
    finally:
        original.close()
    copy = open_connection(dest)
    try:
        migrated = migrate.apply_pending(copy, pending) if pending else []
        search_index.renew_instance(copy)  # in the copy: the restore and the new identity land together
        return migrated, check_rules(RuleArea(copy))
    finally:
        copy.close()


@contextmanager
def scratch_folder(db_file: Path, prefix: str):
    """A private temporary folder (mode 0700), removed afterwards, for copies of the database at `db_file`.

    Beside the database when possible: the same file system (ATTACH and copies are cheap) and the same
    privacy as the database itself.
    """
    parent = Path(db_file).resolve().parent
    if not os.access(parent, os.W_OK):
        parent = Path(tempfile.gettempdir())
    leftovers.sweep(parent)
    folder = Path(tempfile.mkdtemp(prefix=leftovers.scratch_prefix(prefix), dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
