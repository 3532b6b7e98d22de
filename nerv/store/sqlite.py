"""Opening the SQLite database: every dialect detail of the connection lives here. Stdlib only.

The hook path opens the database through this module on every agent tool call, so it stays
import-light: sqlite3, os, random, time, pathlib and contextlib only.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from nerv.errors import NervError, from_os_error
from nerv.store import fastpath

# One definition of each, shared with the hook's cheap open.
from nerv.store.fastpath import BUSY_TIMEOUT_MS, set_connection_pragmas, set_wal_durability
from nerv.store.retry import RETRY_DEADLINE_S, retry_while


def is_lock_error(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


RESTORE_HINT = ("restore the newest good backup with `nerv db restore BACKUP --force` (backups are in "
                "NERV_HOME/backups; the damaged file is kept aside, named in the output)")


def explain_error(exc: BaseException, path: Path | None = None) -> NervError | None:
    """The NervError an SQLite failure means when it has a code of its own (corruption, disk full,
    read-only, permission), else None. Keyed on SQLite's primary result code (Python 3.11+)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    primary = name.split("_")[1] if name.count("_") >= 1 else ""
    where = path or Path(fastpath.db_file())
    text = str(exc)
    if primary == "CORRUPT":
        return NervError("corrupt", f"{where} is damaged: {text}", RESTORE_HINT)
    if primary == "FULL" or (primary == "IOERR" and _no_space_left(where)):
        return NervError("disk_full", f"the disk holding {where} is full: {text}",
                         "free space on that disk, then retry; the change was rolled back")
    if primary == "READONLY":
        return NervError("read_only", f"{where} is read-only here: {text}",
                         "read commands work on it; to write, make the file and its folder writable or use a copy")
    if primary in ("CANTOPEN", "PERM", "AUTH"):
        return NervError("permission", f"cannot open {where}: {text}",
                         "check the owner and permissions of the file and of its folder")
    return None


def explain_failure(exc: BaseException | None) -> NervError | None:
    """What an exception that escaped a command means when it is the disk's or the database file's doing
    (corrupt, full, read-only, permission), or a value the server cannot hold (a NUL), rather than a bug. Follows the chain, since the ORM re-raises
    the driver's error as its own type."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.Error):
            return explain_error(exc)
        if getattr(exc, "pgcode", None):
            from nerv.store import postgres

            return postgres.explain_error(exc)
        if isinstance(exc, OSError):
            return from_os_error(exc)
        if isinstance(exc, ValueError):
            from nerv.store import postgres

            nul = postgres.explain_nul(exc)
            if nul is not None:
                return nul
        wrapped = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = exc.__cause__ or wrapped or exc.__context__
    return None


@contextmanager
def as_nerv_errors():
    """Raise a backend failure that has a meaning of its own (corrupt, disk full, read-only, permission) as
    that NervError, so that services catch nerv's codes and never a driver's exception; anything else as is."""
    try:
        yield
    except NervError:
        raise
    except Exception as exc:
        known = explain_failure(exc)
        if known is None:
            raise
        raise known from exc


def _no_space_left(path: Path) -> bool:
    """Whether the disk holding `path` is full: SQLite reports a failed -shm or -wal write as an I/O error."""
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False


def _explain_open_failure(path: Path, exc: Exception) -> NervError:
    text = str(exc)
    if path.is_dir():
        return NervError("database", f"{path} is a directory, not a database file",
                         "point NERV_DB at a file, or unset it to use NERV_HOME/state.db")
    if "not a database" in text:
        return NervError("database", f"{path} is not a nerv/SQLite database ({text})",
                         "check NERV_DB / NERV_HOME; nerv never overwrites a file it cannot read")
    known = explain_error(exc, path) or (from_os_error(exc, str(path)) if isinstance(exc, OSError) else None)
    if known is not None:
        return known
    return NervError("database", f"cannot use {path}: {text}")


def open_connection(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open `path` with nerv's pragmas; raise NervError('database') with an explanation when it cannot be used.

    A writable open creates the file (mode 0600) and its folder (mode 0700) when missing. A read-only
    open never creates anything.
    """
    path = Path(path)
    if path.is_dir():
        raise _explain_open_failure(path, IsADirectoryError(str(path)))
    if readonly:
        if not path.exists():
            raise NervError("database", f"{path} does not exist yet", "run any nerv command (e.g. `nerv status`) to create it")
        try:
            conn = sqlite3.connect(_readonly_uri(path), uri=True, isolation_level=None,
                                   timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _explain_open_failure(path, exc) from exc
    else:
        _create_private_file(path)
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise _explain_open_failure(path, exc) from exc
    try:
        set_connection_pragmas(conn)
        # Reading the schema cookie fails fast on a file that is not SQLite, before anything is written.
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise _explain_open_failure(path, exc) from exc
    return conn


def _readonly_uri(path: Path) -> str:
    """`mode=ro`, plus `immutable=1` when SQLite could not create the WAL's shared-memory file: in a folder
    this process cannot write (a read-only mount) with no `-shm` left beside the file, a WAL database does
    not open `mode=ro` alone. No writer can be at work there (it would have made the `-shm`)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    shm = path.with_name(path.name + "-shm")
    if not os.access(path.parent, os.W_OK | os.X_OK) and not shm.exists():
        uri += "&immutable=1"
    return uri


def write_marker(conn: sqlite3.Connection):
    """A value that changes once this connection has changed a row (triggers and raw SQL included).

    The write transaction compares it before and after its body to refuse a change without its audit
    row. Asked in SQL, so every backend can answer: SQLite counts changed rows (`total_changes()`);
    PostgreSQL sums its per-transaction row counters (nerv.store.postgres.write_marker).
    """
    return conn.execute("SELECT total_changes()").fetchone()[0]



# How often a writer waiting for the lock tries again. SQLite's own busy handler sleeps up to 100 ms between
# tries, so against a writer whose transactions follow each other with gaps of ~10 ms (a large import's
# batches) it could miss gap after gap: a hook's write waited 0.7-1.1 s in the transcript bench's lock probe.
LOCK_POLL_S = (0.001, 0.003)


def begin_write(conn: sqlite3.Connection) -> None:
    """Start a write transaction holding the write lock from its first statement, waiting for the lock up to
    the connection's busy_timeout by trying again every few milliseconds (LOCK_POLL_S).

    A deferred transaction that reads and then writes cannot be retried by SQLite's busy handler once
    another writer committed in between (SQLITE_BUSY_SNAPSHOT); taking the lock first makes every write
    transaction serialisable.
    """
    patience_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + patience_ms / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_lock_error(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(random.uniform(*LOCK_POLL_S))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(patience_ms)}")


def begin_read(conn: sqlite3.Connection) -> None:
    """Start a read transaction: every query until ROLLBACK sees one snapshot."""
    conn.execute("BEGIN")


def pages(conn: sqlite3.Connection, sql: str, params=(), size: int = 1000):
    """The rows of a query, `size` at a time (SQLite steps its cursor: memory stays bounded by a page)."""
    cursor = conn.execute(sql, params)
    while page := cursor.fetchmany(size):
        yield page


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """`table`'s column names in order; empty when there is no such table."""
    return [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))]


def has_tables(conn: sqlite3.Connection) -> bool:
    """Whether the database holds any table of its own (SQLite's internal tables do not count)."""
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' LIMIT 1").fetchone() is not None


def database_size(conn: sqlite3.Connection, path: Path | str) -> tuple[int, int]:
    """The bytes of the database file and of its WAL (0 for one that is absent), from the file system."""
    return _file_size(path), _file_size(f"{path}-wal")


def _file_size(path: Path | str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch to WAL (persistent in the file) and set the per-connection durability level
    (nerv.store.fastpath.set_wal_durability)."""
    try:
        retry_on_lock(lambda: _set_wal(conn))
    except sqlite3.Error as exc:
        raise _explain_open_failure(path, exc) from exc


def _set_wal(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode.lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
    set_wal_durability(conn)


def _create_private_file(path: Path) -> None:
    if path.exists():
        return
    parent = path.parent
    if not parent.exists():
        if os.environ.get("NERV_DB"):
            # A mistyped NERV_DB must not quietly start a fresh, empty ledger beside the real one.
            raise NervError("database", f"NERV_DB is {path}, in a folder that does not exist ({parent})",
                            "fix NERV_DB, or create the folder first if a new ledger there is what you want")
        from nerv.store.paths import ensure_private_dir

        try:
            ensure_private_dir(parent)
        except OSError as exc:
            raise from_os_error(exc, f"folder {parent}") or NervError(
                "database", f"cannot create folder {parent}: {exc.strerror}",
                "check NERV_HOME / NERV_DB and the permissions of the parent folder") from exc
    try:
        # Create the file ourselves so it is 0600 from the first byte; SQLite copies this mode to -wal/-shm.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise from_os_error(exc, str(path)) or NervError(
            "database", f"cannot create {path}: {exc.strerror}",
            "check the permissions of its folder, or point NERV_DB elsewhere") from exc


def retry_on_lock(fn, *, deadline_s: float = RETRY_DEADLINE_S):
    """Call `fn()` until it does not fail with 'database is locked/busy', with jittered backoff."""
    return retry_while(fn, is_lock_error, deadline_s=deadline_s)
