"""Open the nerv database ready for use: checked, in WAL mode, migrated. Stdlib only."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from nerv.env import database_url
from nerv.errors import NervError
from nerv.store import dialect, migrate, paths, postgres, tx
from nerv.store.sqlite_backup import backup_to
from nerv.store.clock import now_iso
from nerv.store.sqlite import enable_wal, explain_error, open_connection

T = TypeVar("T")

# What services call instead of a connection: `store.<name>` (docs/architecture.md, "The store seam"), as
# "module:class". An area's module is imported when a command first uses it: most commands use one or two, and
# importing them all cost a warm `nerv session import` ~25 ms of CPU (0.163 -> 0.140 s, best of 8).
AREAS = {"tasks": "task_area:TaskArea", "projects": "project_area:ProjectArea",
         "settings": "project_area:SettingArea", "sessions": "session_area:SessionArea",
         "archive": "session_area:ArchiveArea", "usage": "usage_area:UsageArea", "budgets": "budget_area:BudgetArea",
         "rules": "rule_area:RuleArea", "search": "search_area:SearchArea", "audit": "audit_area:AuditArea",
         "admin": "admin_area:AdminArea", "checkpoints": "checkpoint_area:CheckpointArea",
         "dashboard": "dashboard_area:DashboardArea", "report": "report_area:ReportArea",
         "transfer": "transfer_area:TransferArea", "telemetry": "telemetry_area:TelemetryArea",
         "approvals": "approval_area:ApprovalArea"}


def area_class(name: str) -> type:
    """The class of `store.<name>` (AREAS), its module imported now."""
    from importlib import import_module

    module, class_name = AREAS[name].split(":")
    return getattr(import_module(f"nerv.store.{module}"), class_name)


@dataclass
class Store:
    """The database as services see it: transactions and areas, never a connection (only nerv.store's own
    modules use `_conn`; docs/architecture.md, "The store seam")."""

    _conn: sqlite3.Connection
    path: Path
    migrated: list = field(default_factory=list)
    pre_migration_backup: Path | None = None
    # Team mode: the PostgreSQL server's URL (then `path` is only where a local ledger would be).
    url: str | None = None
    # Opened `mode=ro` because the file or its folder cannot be written (open_store): reads work, writes are refused.
    readonly: bool = False

    def __getattr__(self, name: str):
        """`store.<area>` (AREAS), made on first use and kept."""
        if name.startswith("_") or name not in AREAS:
            raise AttributeError(name)
        area = area_class(name)(self._conn)
        setattr(self, name, area)
        return area

    def write(self, body: Callable[[tx.WriteTx], T], *, actor: str | None = None) -> T:
        """Run `body(tx)` in one audited IMMEDIATE transaction (see nerv.store.tx.write); `tx.store` is this store."""
        if self.readonly:
            raise NervError("read_only", f"{self.path} is read-only here (the file or its folder is not writable), "
                            "so this change cannot be made",
                            "read commands work on it; to write, make the file and its folder writable or use a copy")
        return tx.write(self._conn, body, actor=actor, store=self)

    def now(self) -> str:
        """The ledger's clock (nerv.store.dialect.now): what "expired?" and "still live?" are asked against."""
        return dialect.now(self._conn)

    def require_local_file(self, command: str, instead: str) -> None:
        """Refuse, with what to do instead, a command whose meaning is a local SQLite file (backup API, WAL
        checkpoint, VACUUM of the file, page checks) when this store is a team's PostgreSQL server."""
        if self.url is not None:
            raise NervError("not_applicable", f"`nerv {command}` works on a local SQLite ledger; this one is a "
                            "PostgreSQL server (NERV_DATABASE_URL)", instead)

    def read(self, body: Callable[["Store"], T]) -> T:
        """Run `body(store)` in one read transaction: every area it calls sees the same snapshot."""
        return tx.read(self._conn, lambda _conn: body(self))

    def close(self) -> None:
        self._conn.close()


_models_store: Store | None = None


def use_for_models(store: Store | None) -> None:
    """Make `store` the one peewee's models run on (nerv.store.orm reads it on first use)."""
    global _models_store
    _models_store = store
    import sys

    orm = sys.modules.get("nerv.store.orm")  # already bound to another store: move it now
    if orm is not None and store is not None:
        orm.bind(store)


def models_store() -> Store | None:
    return _models_store


def open_store(path: Path | str | None = None, *, auto_migrate: bool = True) -> Store:
    """Open (creating if needed) and migrate the database at `path` (default: the team's server when
    NERV_DATABASE_URL is set, else NERV_DB / NERV_HOME).

    Raises NervError: 'database' (unusable file or server), 'schema_newer' (left untouched), 'migration'.
    """
    if path is None and team_url() is not None:
        return open_team_store(team_url(), auto_migrate=auto_migrate)
    path = Path(path) if path else paths.db_path()
    if not_writable(path):
        return open_readonly_store(path)
    conn = open_connection(path)
    with _closed_on_failure(conn, path):
        plan = migrate.load_plan()
        applied = migrate.applied_migrations(conn)
        # Checked before anything is written, so a newer or tampered database is left untouched.
        pending = migrate.check_plan(plan, applied)
        enable_wal(conn, path)
        store = Store(conn, path)
        if pending and auto_migrate:
            if migrate.has_user_data(conn):
                store.pre_migration_backup = backup_before_migration(conn, applied)
            store.migrated = migrate.apply_pending(conn, pending)
        return store


@contextmanager
def _closed_on_failure(conn: sqlite3.Connection, path: Path):
    """Close `conn` when opening fails; an SQLite failure with a code of its own (corrupt...) is raised as such."""
    try:
        yield
    except sqlite3.Error as exc:
        conn.close()
        raise explain_error(exc, path) or exc
    except BaseException:
        conn.close()
        raise


def not_writable(path: Path) -> bool:
    """An existing database this process cannot write: the file, or its folder (WAL writes -wal/-shm beside it)."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK))


def open_readonly_store(path: Path | str | None = None, *, any_schema: bool = False) -> Store:
    """The existing database opened `mode=ro`: never created, migrated or written (writes raise `read_only`).
    Refused with `needs_migration` when it is older than this nerv, since its tables may not have the shape
    this nerv reads; `any_schema` skips that check (`db status`, doctor: they report the schema themselves).
    Without a path in team mode (NERV_DATABASE_URL), the team's server in read-only transactions."""
    if path is None and team_url() is not None:
        return _open_team_readonly_store(team_url(), any_schema)
    path = Path(path) if path else paths.db_path()
    conn = open_readonly(path)
    if any_schema:
        return Store(conn, path, readonly=True)
    with _closed_on_failure(conn, path):
        pending = migrate.check_plan(migrate.load_plan(), migrate.applied_migrations(conn))
    if pending:
        conn.close()
        raise NervError("needs_migration", f"{path} is read-only here and {len(pending)} migration(s) behind this nerv; "
                        "migrating it needs a write",
                        "make the file and its folder writable once and run `nerv db migrate`, or use the nerv "
                        "that wrote it")
    return Store(conn, path, readonly=True)


def _open_team_readonly_store(url: str, any_schema: bool) -> Store:
    conn = postgres.open_connection(url, readonly=True)
    try:
        pending = [] if any_schema else migrate.check_plan(migrate.load_plan(dialect=postgres.DIALECT),
                                                           migrate.applied_migrations(conn))
    except BaseException:
        conn.close()
        raise
    if pending:
        conn.close()
        raise NervError("needs_migration", f"{postgres.describe(url)} is {len(pending)} migration(s) behind this nerv",
                        "run any writing nerv command (e.g. `nerv db migrate`) as the database's owner")
    store = Store(conn, paths.db_path(), readonly=True)
    store.url = url
    return store


def has_database() -> bool:
    """A database to read without creating one: the team's server (NERV_DATABASE_URL), or the local file.
    Raises NervError('usage') for a NERV_DATABASE_URL that is not a PostgreSQL URL (team_url)."""
    return team_url() is not None or paths.db_path().is_file()


def team_url() -> str | None:
    """NERV_DATABASE_URL when set; refuses a value that is not a PostgreSQL URL rather than ignore it."""
    url = database_url()
    if url is not None and not postgres.is_url(url):
        raise NervError("usage", f"NERV_DATABASE_URL is {url!r}, not a postgresql:// URL",
                        "set it to postgresql://ROLE@HOST/DATABASE, or unset it to use the local file", exit_code=2)
    return url


def open_team_store(url: str, *, auto_migrate: bool = True) -> Store:
    """The team's PostgreSQL database, migrated (docs/teams.md). No pre-migration copy: the server's
    backups (pg_dump, base backups) are the administrator's."""
    conn = postgres.open_connection(url)
    try:
        plan = migrate.load_plan(dialect=postgres.DIALECT)
        pending = migrate.check_plan(plan, migrate.applied_migrations(conn))
        store = Store(conn, paths.db_path())
        store.url = url
        if pending and auto_migrate:
            store.migrated = migrate.apply_pending(conn, pending)
        return store
    except BaseException:
        conn.close()
        raise


def backup_before_migration(conn: sqlite3.Connection, applied: list[dict]) -> Path:
    version = applied[-1]["version"] if applied else 0
    stamp = now_iso().replace(":", "").replace("-", "").replace(".", "")
    dest = paths.backups_dir() / f"pre-migrate-v{version:04d}-{stamp}.db"
    return backup_to(conn, dest)


def open_migrated_connection() -> sqlite3.Connection:
    """`open_store`'s connection alone, for the hook, which runs its stdlib queries on it directly."""
    return open_store()._conn


def open_readonly(path: Path | str | None = None) -> sqlite3.Connection:
    """Open without creating, migrating or writing anything (for status listings)."""
    return open_connection(Path(path) if path else paths.db_path(), readonly=True)
