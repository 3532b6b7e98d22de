"""Per-process access to the store for commands (opened lazily, once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store modules cost ~40 ms to import: shell completion and --help never open it
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

    For views that poll (`nerv watch`); refused when migrations are pending (nerv.store.db.open_readonly_store).
    """
    from nerv.store.db import open_readonly_store, use_for_models

    store_ = open_readonly_store()  # no path: in team mode the server (NERV_DATABASE_URL), else NERV_HOME's file
    global _store
    close()
    _store = store_
    use_for_models(_store)
    return _store
