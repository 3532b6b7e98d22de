"""The migration runner: a checked plan of `migrations/NNNN_slug.sql`, applied forward only. Stdlib only.

Layout per dialect: `NNNN_slug.sql` is SQLite's file; another backend's file for the same step sits
beside it as `NNNN_slug.<dialect>.sql` (same number and slug, so both ledgers name the step alike). A
plan reads one dialect's files; the checksum is the sha256 of the file with CRLF read as LF, and the
ledger (schema_migrations) records `NNNN_slug` without the dialect, as databases made before the layout
did.

Each migration runs in one write transaction together with its history row and audit row; SQLite's
files are split into statements with sqlite3.complete_statement because executescript() would COMMIT
first. A PostgreSQL file is sent whole (function bodies hold `;`), after the transaction took an advisory
lock (pg_advisory_xact_lock), so processes starting at once wait for the first and then find it applied.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from nerv.errors import NervError
from nerv.store import audit, fastpath
from nerv.store.clock import now_iso
from nerv.store import dialect

HISTORY_TABLE = "schema_migrations"
FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9][a-z0-9_]*)(?:\.([a-z][a-z0-9]*))?\.sql$")
# The dialect whose files carry no suffix: the one every database made before the layout used.
DEFAULT_DIALECT = "sqlite"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str
    checksum: str


def migrations_dir() -> Path:
    """The migrations shipped with this nerv (see nerv.store.fastpath.migrations_folder)."""
    return Path(fastpath.migrations_folder())


def load_plan(directory: Path | None = None, dialect: str = DEFAULT_DIALECT) -> list[Migration]:
    """Read and validate `dialect`'s migration files; raise NervError('migration') on a bad plan."""
    directory = directory or migrations_dir()
    if not directory.is_dir():
        raise NervError("migration", f"migrations folder {directory} is missing", "reinstall nerv")
    steps = _steps(directory)
    plan: list[Migration] = []
    for version, files in sorted(steps.items()):
        if dialect not in files:
            continue
        path = files[dialect]
        name = _step_name(path.name)
        default = files.get(DEFAULT_DIALECT)
        if default is not None and _step_name(default.name) != name:
            raise NervError("migration", f"{path.name} has another name than {default.name}",
                            "a dialect's file repeats the number and slug of the step it implements")
        plan.append(Migration(version, name, path, *_read(path)))
    for expected, migration in enumerate(plan, start=1):
        if migration.version != expected:
            raise NervError("migration", f"{dialect} migration number {expected:04d} is missing"
                                         f" (next is {migration.path.name})")
    return plan


# path -> (the file's identity, its SQL, its checksum). A process that opens databases many times (the
# suite's in-process CLI, `nerv doctor`) reads and hashes an unchanged file once; the plan is still
# validated, and the database's checksums still compared with it, on every open.
_READ: dict[Path, tuple[tuple[int, ...], str, str]] = {}


def _read(path: Path) -> tuple[str, str]:
    """The file's SQL with CRLF read as LF, and its checksum; read again whenever the file changed."""
    stat = path.stat()
    identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    known = _READ.get(path)
    if known is None or known[0] != identity:
        text = path.read_bytes().replace(b"\r\n", b"\n")
        known = _READ[path] = (identity, text.decode("utf-8"), hashlib.sha256(text).hexdigest())
    return known[1], known[2]


def _steps(directory: Path) -> dict[int, dict[str, Path]]:
    """version -> {dialect: file}; refuses badly named files and two files of one dialect for a number."""
    steps: dict[int, dict[str, Path]] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise NervError("migration", f"migration file {path.name} is not named NNNN_slug.sql"
                                         " (or NNNN_slug.<dialect>.sql)")
        version, dialect = int(match.group(1)), match.group(3) or DEFAULT_DIALECT
        files = steps.setdefault(version, {})
        if dialect in files:
            raise NervError("migration", f"duplicate migration number {version:04d}: {files[dialect].name} and {path.name}")
        files[dialect] = path
    return steps


def _step_name(file_name: str) -> str:
    match = FILE_PATTERN.match(file_name)
    return f"{match.group(1)}_{match.group(2)}"


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers with BEGIN…END stay whole)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if _strip_comments(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _strip_comments(buffer):
        raise NervError("migration", "migration ends with an incomplete statement", buffer.strip()[:200])
    return statements


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--")).strip().rstrip(";").strip()


def applied_migrations(conn: sqlite3.Connection) -> list[dict]:
    if not dialect.functions(conn).table_exists(conn, HISTORY_TABLE):
        return []
    rows = conn.execute(f"SELECT version, name, checksum, applied_at FROM {HISTORY_TABLE} ORDER BY version")
    return [dict(zip(("version", "name", "checksum", "applied_at"), r)) for r in rows]


def check_plan(plan: list[Migration], applied: list[dict]) -> list[Migration]:
    """Compare what the database has with what this nerv ships; return the pending migrations."""
    known = {m.version: m for m in plan}
    newest_known = plan[-1].version if plan else 0
    for row in applied:
        if row["version"] > newest_known:
            raise NervError("schema_newer",
                            f"the database is at schema version {max(r['version'] for r in applied)}, "
                            f"newer than this nerv knows ({newest_known})",
                            "upgrade nerv; the database was left untouched")
        migration = known[row["version"]]
        if migration.checksum != row["checksum"]:
            raise NervError("migration",
                            f"applied migration {migration.path.name} has changed since it ran (checksum differs)",
                            "migrations are forward-only: restore the original file and add a new migration")
    done = {r["version"] for r in applied}
    return [m for m in plan if m.version not in done]


def has_user_data(conn: sqlite3.Connection) -> bool:
    return dialect.functions(conn).has_tables(conn)


def apply_pending(conn: sqlite3.Connection, plan: list[Migration]) -> list[Migration]:
    """Apply what is pending, each in its own transaction; safe when many processes start at once."""
    ran: list[Migration] = []
    retry = dialect.functions(conn).retry_on_lock
    for migration in plan:
        if retry(lambda: _apply_one(conn, migration)):
            ran.append(migration)
    return ran


def _create_history_table(conn) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                 " checksum TEXT NOT NULL, applied_at TEXT NOT NULL)")


def _record(conn, migration: Migration) -> None:
    """The history row and its audit row, in the migration's transaction."""
    ts = now_iso()
    conn.execute(f"INSERT INTO {HISTORY_TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                 (migration.version, migration.name, migration.checksum, ts))
    audit.append(conn, ts=ts, actor=audit.current_actor(), action="migrate", entity="schema",
                 entity_id=migration.version, after={"name": migration.name, "checksum": migration.checksum},
                 with_role=False)


def _apply_one(conn, migration: Migration) -> bool:
    """Apply one step in its own write transaction, unless another process applied it first (True: applied).
    On PostgreSQL the transaction first takes MIGRATION_LOCK, which SQLite's write lock stands for."""
    backend = dialect.functions(conn)
    backend.begin_write(conn)
    try:
        if dialect.name(conn) == dialect.POSTGRESQL:
            backend.lock_for_transaction(conn, backend.MIGRATION_LOCK)
        # Re-read under the lock: another process may have applied it since we looked.
        _create_history_table(conn)
        if conn.execute(f"SELECT 1 FROM {HISTORY_TABLE} WHERE version=?", (migration.version,)).fetchone():
            conn.execute("ROLLBACK")
            return False
        _run_statements(conn, backend, migration)
        _record(conn, migration)
        conn.execute("COMMIT")
        return True
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _run_statements(conn, backend, migration: Migration) -> None:
    """The step's SQL: one text on PostgreSQL (its functions hold `;`), statement by statement on SQLite,
    whose execute takes one. A lost race is raised as it is, for the caller's retry."""
    statements = [migration.sql] if dialect.name(conn) == dialect.POSTGRESQL else split_statements(migration.sql)
    for index, statement in enumerate(statements, start=1):
        try:
            conn.execute(statement)
        except Exception as exc:
            if backend.is_lock_error(exc) or not _is_database_error(conn, exc):
                raise
            where = f" at statement {index}" if len(statements) > 1 else ""
            raise NervError("migration", f"migration {migration.path.name} failed{where}: {str(exc).strip()}",
                            "the database was left at the previous version") from exc


def _is_database_error(conn, exc: BaseException) -> bool:
    if dialect.name(conn) == dialect.POSTGRESQL:
        from nerv.store import postgres

        return postgres.sqlstate(exc) is not None
    return isinstance(exc, sqlite3.Error)
