"""Peewee bound to the connection nerv opened, so ORM queries run inside nerv's own transactions.

Services build queries with the models in `nerv.store.models`; they never see SQL text. peewee costs
~30 ms to import, so only code that uses a model imports this module. The models find their connection
through `nerv.store.db.models_store()` on first use: whoever opens the store (the CLI, once per process)
says which one the models use, and nothing has to know in advance whether a service will need peewee.
The models' database is a proxy: a SQLite store binds it to `NervDatabase`, a PostgreSQL one (team mode)
to `NervPostgresDatabase`, so peewee writes each dialect's SQL.
"""

from __future__ import annotations

import peewee

from nerv.store.db import Store


class _StoreConnection:
    """What both databases share: the connection is the one `open_store` prepared, owned by the Store."""

    def _nerv_init(self):
        self._nerv_conn = None
        self.nerv_store: Store | None = None

    def use(self, store: Store) -> None:
        if not self.is_closed():
            self._state.reset()
        self._nerv_conn = self._raw_connection(store)
        self.nerv_store = store
        self.init(self._database_name(store))

    def _connect(self):
        return self._nerv_conn

    def _close(self, conn):
        # The Store owns the connection's lifetime.
        pass


class NervDatabase(_StoreConnection, peewee.SqliteDatabase):
    """A peewee database whose connection is the one `open_store` prepared (pragmas, migrations)."""

    def __init__(self):
        super().__init__(None, thread_safe=False, autoconnect=True)
        self._nerv_init()

    @staticmethod
    def _raw_connection(store: Store):
        return store._conn

    @staticmethod
    def _database_name(store: Store) -> str:
        return str(store.path)


class NervPostgresDatabase(_StoreConnection, peewee.PostgresqlDatabase):
    """Team mode: the driver connection inside the store's nerv.store.postgres.PgConnection."""

    def __init__(self):
        super().__init__(None, thread_safe=False, autoconnect=True)
        self._nerv_init()

    @staticmethod
    def _raw_connection(store: Store):
        return store._conn.raw

    def cursor(self, named_cursor=None):
        current = self.nerv_store._conn.raw if self.nerv_store is not None else None
        if current is not None and current is not self._nerv_conn:
            # The store connected again after the server dropped it (PgConnection.reopen): follow it.
            self._state.reset()
            self._nerv_conn = current
        return super().cursor(named_cursor)

    @staticmethod
    def _database_name(store: Store) -> str:
        return store._conn.url


class _LazyDatabase(peewee.DatabaseProxy):
    """Bound on the first model query to the store its opener named (nerv.store.db.use_for_models)."""

    def __getattr__(self, attr):
        if self.obj is None:
            from nerv.store.db import models_store

            store = models_store()
            if store is None:
                raise peewee.InterfaceError("nerv store not opened")
            bind(store)
        return getattr(self.obj, attr)


database = _LazyDatabase()


def locked(query):
    """`query` (a model select, inside a write) with its rows locked until the write ends. PostgreSQL runs
    writes in READ COMMITTED, where a plain SELECT returns the last committed row without waiting for a
    writer that holds it: a before-image read that way may be stale by the time the UPDATE runs, and the
    audit row would miss the change made in between. SQLite's write lock already holds the whole file."""
    return query.for_update() if query.model._meta.database.for_update else query

_databases: dict[str, _StoreConnection] = {}


def bound_store() -> Store:
    """The store the models run on (the one its opener named, taken now if no model query ran yet)."""
    database.connect(reuse_if_open=True)
    return database.nerv_store


def bind(store: Store) -> Store:
    from nerv.store import dialect

    kind = dialect.name(store._conn)
    if kind not in _databases:
        _databases[kind] = NervPostgresDatabase() if kind == dialect.POSTGRESQL else NervDatabase()
    target = _databases[kind]
    target.use(store)
    database.initialize(target)
    return store
