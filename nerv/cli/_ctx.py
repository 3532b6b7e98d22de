"""Per-process access to the store for commands (opened lazily, once)."""

from __future__ import annotations

from nerv.store.db import Store

_store: Store | None = None


def store(*, orm: bool = True) -> Store:
    """The opened, migrated store; bound to peewee when `orm` (services that use models need it)."""
    global _store
    if _store is None:
        from nerv.store.db import open_store

        _store = open_store()
    if orm:
        from nerv.store.orm import bind

        bind(_store)
    return _store


def close() -> None:
    global _store
    if _store is not None:
        _store.close()
        _store = None
