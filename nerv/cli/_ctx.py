"""Per-process access to the store for commands (opened lazily, once)."""

from __future__ import annotations

from nerv.store.db import Store

_store: Store | None = None


def store() -> Store:
    """The opened, migrated store; peewee's models use it when a service first touches one."""
    global _store
    if _store is None:
        from nerv.store.db import open_store, use_for_models

        _store = open_store()
        use_for_models(_store)
    return _store


def close() -> None:
    global _store
    if _store is not None:
        from nerv.store.db import use_for_models

        use_for_models(None)
        _store.close()
        _store = None


def readonly_store() -> Store:
    """The existing database opened read-only, the one the models use: never creates, migrates or locks it.

    For views that poll (`nerv watch`); refused when migrations are pending, since the tables may not
    have the shape this nerv reads.
    """
    from nerv.errors import NervError
    from nerv.store import migrate
    from nerv.store.db import open_readonly, use_for_models
    from nerv.store.paths import db_path

    path = db_path()
    conn = open_readonly(path)
    try:
        pending = migrate.check_plan(migrate.load_plan(), migrate.applied_migrations(conn))
    except BaseException:
        conn.close()
        raise
    if pending:
        conn.close()
        raise NervError("database", f"{path} has {len(pending)} pending migration(s)",
                        "run `nerv db migrate` (or any command that writes), then watch again")
    global _store
    close()
    _store = Store(conn, path)
    use_for_models(_store)
    return _store
