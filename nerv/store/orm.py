"""Peewee bound to the connection nerv opened, so ORM queries run inside nerv's own transactions.

Services build queries with the models in `nerv.store.models`; they never see SQL text. peewee costs
~30 ms to import, so only code that uses a model imports this module. The models find their connection
through `nerv.store.db.models_store()` on first use: whoever opens the store (the CLI, once per process)
says which one the models use, and nothing has to know in advance whether a service will need peewee.
"""

from __future__ import annotations

import peewee

from nerv.store.db import Store


class NervDatabase(peewee.SqliteDatabase):
    """A peewee database whose connection is the one `open_store` prepared (pragmas, migrations)."""

    def __init__(self):
        super().__init__(None, thread_safe=False, autoconnect=True)
        self._nerv_conn = None
        self.nerv_store: Store | None = None

    def use(self, store: Store) -> None:
        if not self.is_closed():
            self._state.reset()
        self._nerv_conn = store._conn
        self.nerv_store = store
        self.init(str(store.path))

    def connect(self, reuse_if_open=False):
        if self._nerv_conn is None:  # first model query: take the store its opener named
            from nerv.store.db import models_store

            store = models_store()
            if store is None:
                raise peewee.InterfaceError("nerv store not opened")
            self.use(store)
        return super().connect(reuse_if_open)

    def _connect(self):
        return self._nerv_conn

    def _close(self, conn):
        # The Store owns the connection's lifetime.
        pass


database = NervDatabase()


def bound_store() -> Store:
    """The store the models run on (the one its opener named, taken now if no model query ran yet)."""
    database.connect(reuse_if_open=True)
    return database.nerv_store


def bind(store: Store) -> Store:
    database.use(store)
    return store
