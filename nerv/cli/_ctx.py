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
