"""Database status, migration, health and checkpoints (`nerv db ...`)."""

from __future__ import annotations

from pathlib import Path

from nerv.store import migrate, paths
from nerv.store.db import Store, open_readonly_store, open_store


def _describe(m: migrate.Migration) -> dict:
    return {"version": m.version, "name": m.name, "checksum": m.checksum}


def status() -> dict:
    """Read-only view of the migration state, the file size and each table's row count; never creates or
    changes the database file."""
    from nerv.store.db import open_team_store, team_url

    url = team_url()
    if url is not None:
        return _server_status(open_team_store(url, auto_migrate=False))
    path = paths.db_path()
    plan = migrate.load_plan()
    if not path.exists():
        return {"path": str(path), "exists": False, "current_version": 0, "latest_version": len(plan),
                "applied": [], "pending": [_describe(m) for m in plan]}
    store = open_readonly_store(path, any_schema=True)
    try:
        applied = store.admin.applied_migrations()
        pending = migrate.check_plan(plan, applied)
        counts = store.admin.table_counts()
    finally:
        store.close()
    counts.pop(migrate.HISTORY_TABLE, None)
    size = sum(p.stat().st_size for p in _db_files(path) if p.exists())
    return {"path": str(path), "exists": True, "current_version": applied[-1]["version"] if applied else 0,
            "latest_version": len(plan), "applied": applied, "pending": [_describe(m) for m in pending],
            "size_bytes": size, "counts": counts}


def _server_status(store: Store) -> dict:
    """`status` of the team's database: the migration ledger, its size on the server and each table's rows."""
    from nerv.store.postgres import describe

    try:
        applied = store.admin.applied_migrations()
        pending = store.admin.pending_migrations()
        counts = store.admin.table_counts()
        size = store.admin.health()["database_size_bytes"]
    finally:
        store.close()
    counts.pop(migrate.HISTORY_TABLE, None)
    return {"path": describe(store.url), "exists": True, "current_version": applied[-1]["version"] if applied else 0,
            "latest_version": len(applied) + len(pending), "applied": applied,
            "pending": [_describe(m) for m in pending], "size_bytes": size, "counts": counts}


def run_migrations() -> dict:
    """Open (and so migrate) the database; report what ran and where the pre-migration backup went."""
    store = open_store()
    try:
        return {"path": str(store.path), "applied": [_describe(m) for m in store.migrated],
                "backup": str(store.pre_migration_backup) if store.pre_migration_backup else None,
                "schema_version": store.admin.schema_version()}
    finally:
        store.close()


def health(store: Store) -> dict:
    """The file's WAL mode, pragmas and quick_check; on PostgreSQL the server's views instead (`database`)."""
    if store.url is not None:
        from nerv.store.postgres import describe

        return {"database": describe(store.url), **store.admin.health()}
    return {"path": str(store.path), **store.admin.health()}


def checkpoint(store: Store, mode: str) -> dict:
    store.require_local_file("db checkpoint", "PostgreSQL checkpoints its write-ahead log itself")
    return store.admin.checkpoint(mode)


def _db_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
