"""Opening the PostgreSQL database (team mode): every dialect detail of the connection lives here.

The twin of nerv.store.sqlite, with the same functions. The driver (psycopg2, the `nerv[postgres]` extra)
is imported only by `open_connection`, so importing this module costs the standard library alone.

The store's SQL is written once, with `?` and `:name` placeholders as sqlite3 takes them; `PgConnection`
turns them into the driver's `%s` / `%(name)s` (outside quotes) and otherwise behaves like the sqlite3
connection the store modules use: `execute` returns a cursor, `in_transaction`, explicit BEGIN/COMMIT.
Statements that differ between dialects get their own text in the store module that owns them
(`nerv.store.dialect.name(conn)` says which).
"""

from __future__ import annotations

import itertools
import os
import re
from functools import lru_cache

from nerv.env import is_postgres_url as is_url  # noqa: F401  (nerv.store.postgres.is_url for its callers)
from nerv.errors import NervError
from nerv.store import pg_rows
from nerv.store.retry import RETRY_DEADLINE_S, retry_while

DIALECT = "postgresql"
# serialization_failure, deadlock_detected, lock_not_available: the transaction lost a race, run it again.
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# How long one statement waits for a row or advisory lock before it fails with 55P03 (then retried whole).
LOCK_TIMEOUT_MS = 5000
# admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away or not yet back.
SERVER_GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# pg_advisory_xact_lock keys (two int4s: nerv's namespace, then what is locked).
LOCK_NAMESPACE = 0x6E657276  # "nerv"
MIGRATION_LOCK = 1
AUDIT_CHAIN_LOCK = 2
# The server's clock as nerv.store.clock's text (TS_FORMAT): `now()` is the transaction's start, the same
# for every statement in it, and the same clock whichever machine asks.
NOW_SQL = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
TIMESTAMPTZ_OID = 1184
# How long the hook's connect waits for a server that does not answer (libpq's connect_timeout, 2 s at least).
HOOK_CONNECT_TIMEOUT_S = 5
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|\?(\d*)|(?<![\w:]):([A-Za-z_]\w*)|%""")


# What peewee tries to import at its own import time: psycopg2 costs ~35 ms, psycopg 3 ~150 ms.
DRIVER_MODULES = ("psycopg2", "psycopg", "psycopg2cffi")


def hide_drivers_from_peewee() -> None:
    """For a process on the local file: peewee imports every PostgreSQL driver it finds, eagerly, so a
    command that never talks to a server would pay for an installed `nerv[postgres]`. Marking the modules
    absent (None in sys.modules makes `import` raise ImportError) spares it; a driver already imported stays."""
    import sys

    for name in DRIVER_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None


@lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, bool]:
    """sqlite3's `?`, `?NNN` and `:name` placeholders as the driver's `%s`, `%(pNNN)s` and `%(name)s`, a
    literal `%` doubled (in quotes too: the driver reads them there); and whether the statement numbers its parameters (then they go as a mapping)."""
    numbered = False

    def token(match: re.Match) -> str:
        nonlocal numbered
        text = match.group(0)
        if text.startswith("?"):
            if match.group(1):
                numbered = True
                return f"%(p{match.group(1)})s"
            return "%s"
        if text == "%":
            return "%%"
        if match.group(2):
            return f"%({match.group(2)})s"
        return text.replace("%", "%%")  # a quoted string or identifier (the driver reads % in it too), or ::

    return _TOKENS.sub(token, sql), numbered


def _bind(sql: str, params):
    text, numbered = translate(sql)
    if numbered:
        params = {f"p{index}": value for index, value in enumerate(params, start=1)}
    return text, params


# Rows per multi-row INSERT, and statements per round trip otherwise, in PgConnection.executemany.
BATCH_ROWS = 1000
BATCH_STATEMENTS = 200
# `INSERT INTO t (...) VALUES (one row)` and what follows it (ON CONFLICT ...): a quoted string may hold parentheses.
_ONE_ROW_INSERT = re.compile(r"^(\s*INSERT\s+INTO\s.+?\sVALUES\s*)(\((?:[^()']|'(?:[^']|'')*')*\))(.*)$",
                             re.IGNORECASE | re.DOTALL)


def _multi_row_insert(text: str) -> tuple[bytes, str, bytes] | None:
    """(head, the row's template, tail) of a one-row INSERT that may take many rows in one statement, else None.

    Not an upsert that updates (one statement may not update a row twice), nor one whose other parts hold
    placeholders or a `%` (they are sent without interpolation)."""
    match = _ONE_ROW_INSERT.match(text)
    if match is None:
        return None
    head, row_template, tail = match.groups()
    if "%" in head or "%" in tail or "DO UPDATE" in tail.upper() or "RETURNING" in tail.upper():
        return None
    return head.encode(), row_template, tail.encode()


class _Batched:
    """What executemany returns: its callers read `rowcount`."""

    def __init__(self, rowcount: int):
        self.rowcount = rowcount


class PgConnection:
    """A psycopg2 connection in autocommit mode (nerv sends BEGIN/COMMIT itself), shaped like sqlite3's."""

    dialect = DIALECT

    def __init__(self, raw, url: str, readonly: bool = False):
        self.raw = raw
        self.url = url
        self.readonly = readonly
        self.role: str | None = None  # current_user, asked once (nerv never runs SET ROLE)

    def execute(self, sql: str, params=None):
        cursor = self.raw.cursor()
        if params:
            cursor.execute(*_bind(sql, params))
        else:
            cursor.execute(sql)
        return cursor

    def executemany(self, sql: str, rows):
        """Bulk paths (transcript import, `nerv import`, db copy) in pages rather than a round trip per row:
        an INSERT of one VALUES row becomes one INSERT of up to BATCH_ROWS rows (its `rowcount` the rows
        inserted, as sqlite3's), any other statement goes BATCH_STATEMENTS to a round trip (`rowcount` -1)."""
        rows = list(rows)
        cursor = self.raw.cursor()
        if not rows:
            return cursor
        text, numbered = translate(sql)
        params = [_bind(sql, row)[1] for row in rows] if numbered else rows
        insert = _multi_row_insert(text)
        if insert is None:
            from psycopg2.extras import execute_batch

            execute_batch(cursor, text, params, page_size=BATCH_STATEMENTS)
            return _Batched(-1)
        head, row_template, tail = insert
        if self._copied(cursor, head, row_template, tail, numbered, params):
            return _Batched(cursor.rowcount)
        render = self._row_renderer(cursor, row_template, numbered)
        inserted = 0
        for start in range(0, len(params), BATCH_ROWS):
            values = b",".join(render(row) for row in params[start:start + BATCH_ROWS])
            cursor.execute(head + values + tail)
            inserted += cursor.rowcount
        return _Batched(inserted)

    def _copied(self, cursor, head: bytes, row_template: str, tail: bytes, numbered: bool, rows) -> bool:
        """Send the rows of a plain INSERT (no ON CONFLICT, no RETURNING) as one COPY FROM STDIN, if every value
        is one COPY reads as the INSERT would (nerv.store.pg_rows.copy_text): the server parses COPY's text
        far faster than a VALUES list (measured: the import's usage inserts in about half the time), and the
        statement's triggers fire once. False: nothing was sent, the caller inserts."""
        target = None if numbered or not self._renders_text() else pg_rows.copy_target(head.decode(), row_template,
                                                                                        tail.decode())
        if target is None:
            return False
        table, columns = target
        text = pg_rows.copy_text(rows, len(columns), self._float_columns(table, columns, rows))
        if text is None:
            return False
        import io

        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text))
        return True

    def _float_columns(self, table: str, columns: list[str], rows) -> list[bool]:
        """Which of `columns` take a float as COPY writes it (real, double precision, numeric); asked of the
        server only when a row holds a float (COPY refuses 1.5 for an integer, where INSERT rounds it)."""
        if not any(type(value) is float for row in rows for value in row):
            return [False] * len(columns)
        floating = {name for (name,) in self.execute(
            "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(?) AND NOT attisdropped"
            " AND atttypid IN ('real'::regtype, 'double precision'::regtype, 'numeric'::regtype)", (table,))}
        return [column.strip('"') in floating for column in columns]

    def _renders_text(self) -> bool:
        """The server reads text as nerv renders it: backslashes as they are in literals, UTF-8."""
        return (self.raw.get_parameter_status("standard_conforming_strings") == "on"
                and self.raw.encoding in ("UTF8", "UNICODE"))

    def _row_renderer(self, cursor, row_template: str, numbered: bool):
        """One VALUES row as SQL bytes: the driver's mogrify, or for a row of plain placeholders `(%s, ...)` the
        same literals rendered here (nerv.store.pg_rows.literals: mogrify was measured at ~60 µs a row of 25
        values, a third of an import's client time)."""
        if numbered or not pg_rows.PLAIN_ROW.match(row_template) or not self._renders_text():
            return lambda row: cursor.mogrify(row_template, row)

        def render(row) -> bytes:
            text = pg_rows.literals(row)
            return cursor.mogrify(row_template, row) if text is None else text.encode()

        return render

    def execute_batch(self, sql: str, rows, page_size: int = 1000) -> None:
        """executemany in pages of `page_size` statements per round trip (bulk loads; no rowcount)."""
        from psycopg2.extras import execute_batch

        text, numbered = translate(sql)
        if numbered:
            rows = [_bind(sql, row)[1] for row in rows]
        execute_batch(self.raw.cursor(), text, rows, page_size=page_size)

    @property
    def in_transaction(self) -> bool:
        from psycopg2 import extensions

        return self.raw.get_transaction_status() != extensions.TRANSACTION_STATUS_IDLE

    def close(self) -> None:
        self.raw.close()

    def commit(self) -> None:
        """As sqlite3's: COMMIT the open transaction, if any."""
        if self.in_transaction:
            self.execute("COMMIT")

    def __enter__(self) -> "PgConnection":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        """As sqlite3's `with conn:`: end an open transaction, COMMIT on success, ROLLBACK on an exception."""
        if self.in_transaction:
            self.execute("ROLLBACK" if kind else "COMMIT")

    @property
    def broken(self) -> bool:
        """The server dropped this connection (a restart, pg_terminate_backend): every statement fails now."""
        return self.raw.closed != 0

    def reopen(self) -> bool:
        """Connect again in place of a broken connection; False while the server cannot be reached. Only
        between transactions (what a broken one did is lost either way): a waiter that outlives a restart."""
        try:
            fresh = open_connection(self.url, readonly=self.readonly)
        except NervError:
            return False
        self.raw = fresh.raw
        return True

    def notifications(self, timeout_s: float) -> list[str] | None:
        """Payloads of the NOTIFYs heard on the channels this connection LISTENs to, waiting up to `timeout_s`
        for the first (none queued); None when the connection broke, since what was sent meanwhile is lost."""
        import select

        import psycopg2

        try:
            if not self.raw.notifies:
                select.select([self.raw], [], [], max(timeout_s, 0.0))
            self.raw.poll()
        except (psycopg2.Error, OSError, ValueError):  # ValueError: select on a closed socket (fd -1)
            return None
        payloads = [notice.payload for notice in self.raw.notifies]
        self.raw.notifies.clear()
        return payloads


def open_connection(url: str, *, readonly: bool = False, connect_timeout_s: int | None = None) -> PgConnection:
    """Connect to the server at `url`; raise NervError('database') when the driver or the server is missing.

    `connect_timeout_s` bounds the connect unless the URL or PGCONNECT_TIMEOUT sets libpq's own bound."""
    import sys

    if "psycopg2" in sys.modules and sys.modules["psycopg2"] is None:
        del sys.modules["psycopg2"]  # hidden from peewee by a command on the local file that now needs a server
    try:
        import psycopg2
    except ImportError as exc:
        raise NervError("database", "NERV_DATABASE_URL names a PostgreSQL server, and its driver is not installed",
                        "pip install 'nerv[postgres]' (or unset NERV_DATABASE_URL to use the local file)") from exc
    _register_adapters()
    options = f"-c lock_timeout={LOCK_TIMEOUT_MS}"
    if readonly:
        options += " -c default_transaction_read_only=on"
    bound = {}
    if connect_timeout_s and "connect_timeout" not in url and not os.environ.get("PGCONNECT_TIMEOUT"):
        bound["connect_timeout"] = connect_timeout_s
    try:
        raw = psycopg2.connect(url, application_name=f"nerv:{os.getpid()}", options=options, **bound)
    except psycopg2.Error as exc:
        raise NervError("database", f"cannot connect to the PostgreSQL server: {str(exc).strip()}",
                        "check NERV_DATABASE_URL (host, database, role) and that the server runs") from exc
    raw.autocommit = True
    _load_numeric_as_sqlite_does(raw)
    _load_timestamps_as_text(raw)
    return PgConnection(raw, url, readonly)


def open_listener(url: str, channel: str) -> PgConnection | None:
    """A connection of its own that LISTENs on `channel`, or None when it cannot (driver, server): the caller polls.

    Its own because notifications are read between statements, and the caller's connection may sit in a
    transaction for as long as it likes."""
    try:
        listener = open_connection(url)
    except NervError:
        return None
    import psycopg2

    try:
        listener.execute(f"LISTEN {channel}")
    except psycopg2.Error:
        listener.close()
        return None
    return listener


def open_current(url: str) -> PgConnection | None:
    """The team's database when its schema is exactly this nerv's, else None: the hook's cheap open, the twin
    of nerv.store.fastpath.open_current (one query, and none of nerv.store.db's imports).

    None sends the caller to the full `nerv.store.db.open_store`, which migrates or explains why it cannot.
    An unreachable server raises NervError('database') here, once, rather than a second connect attempt, after
    at most HOOK_CONNECT_TIMEOUT_S when the server does not answer: the hook then decides from its cache.
    """
    conn = open_connection(url, connect_timeout_s=HOOK_CONNECT_TIMEOUT_S)
    if schema_is_current(conn):
        return conn
    conn.close()
    return None


def schema_is_current(conn: PgConnection) -> bool:
    """The server's schema is exactly this nerv's migrations (False too when there is none yet, or the
    connection broke)."""
    from nerv.store.fastpath import latest_shipped_version

    import psycopg2

    try:
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except psycopg2.Error:  # no schema yet (open_store creates it), or a broken connection
        return False
    return bool(row) and row[0] == latest_shipped_version()


_adapters_registered = False


def _register_adapters() -> None:
    """Flags are INTEGER 0/1 columns on both backends (the same SQL and models): send bool as 0/1."""
    global _adapters_registered
    if _adapters_registered:
        return
    from psycopg2.extensions import AsIs, register_adapter

    register_adapter(bool, lambda value: AsIs(int(value)))
    _adapters_registered = True


def _load_numeric_as_sqlite_does(raw) -> None:
    """SUM() of integers is numeric in PostgreSQL: read it as int (float when it has a fraction), like SQLite."""
    from decimal import Decimal

    from psycopg2.extensions import new_type, register_type

    def load(value, cursor):
        if value is None:
            return None
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)

    register_type(new_type((1700,), "NERV_NUMERIC", load), raw)


def _load_timestamps_as_text(raw) -> None:
    """timestamptz columns (leases and expiries, migration 0018) read as the TS_FORMAT text SQLite stores, so
    the services, comparisons in Python and JSON output are the same on both backends."""
    from psycopg2.extensions import new_type, register_type

    from nerv.store.clock import parse_iso, to_iso

    def load(value, cursor):
        return None if value is None else to_iso(parse_iso(value))

    register_type(new_type((TIMESTAMPTZ_OID,), "NERV_TIMESTAMPTZ", load), raw)


_CURSOR_NAMES = itertools.count()


def pages(conn: PgConnection, sql: str, params=(), size: int = 1000):
    """The rows of a query, `size` at a time. Inside a transaction through a server cursor (DECLARE, FETCH), so
    memory stays bounded by a page: the driver's own cursor takes the whole result at once. A cursor left
    open by a caller that stops early ends with its transaction. Outside one, the whole result, in pages."""
    if not conn.in_transaction:
        cursor = conn.execute(sql, params)
        while page := cursor.fetchmany(size):
            yield page
        return
    name = f"nerv_pages_{next(_CURSOR_NAMES)}"
    conn.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
    while page := conn.execute(f"FETCH {int(size)} FROM {name}").fetchall():
        yield page
    conn.execute(f"CLOSE {name}")


def server_now(conn: PgConnection) -> str:
    """The server's clock (NOW_SQL): inside a transaction, the time it began."""
    return conn.execute(f"SELECT {NOW_SQL}").fetchone()[0]


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, also when peewee wrapped it."""
    for candidate in (exc, exc.__cause__, getattr(exc, "orig", None)):
        code = getattr(candidate, "pgcode", None)
        if code:
            return code
    return None


def is_unreachable(exc: BaseException) -> bool:
    """The server could not be reached: the connect failed (NervError('database') from open_connection), or the
    connection broke under a statement (no SQLSTATE: the server did not answer; class 08, a connection
    exception; or the server shutting down), never a refusal of the statement itself."""
    import sys

    driver = sys.modules.get("psycopg2")
    if driver is None:
        return False  # no connection was ever attempted by this process
    cause = exc.__cause__ if isinstance(exc, NervError) and exc.code == "database" else exc
    if not isinstance(cause, (driver.OperationalError, driver.InterfaceError)):
        return False
    code = sqlstate(cause)
    return code is None or code.startswith("08") or code in SERVER_GONE_SQLSTATES


def explain_error(exc: BaseException) -> NervError | None:
    """The NervError a server's refusal means when it is the role's doing (docs/teams.md, "Roles"), else None."""
    code = sqlstate(exc)
    if code == "42501":  # insufficient_privilege
        return NervError("permission", f"the database role may not do this: {str(exc).strip().splitlines()[0]}",
                         "this command writes; run it as a role granted nerv_agent or nerv_admin (docs/teams.md)")
    if code == "25006":  # read_only_sql_transaction
        return NervError("read_only", f"the server refused a write: {str(exc).strip().splitlines()[0]}",
                         "the connection or the server is read-only; writes need a writable primary")
    return None


# psycopg2 refuses, before sending, a parameter holding U+0000 (PostgreSQL's text cannot hold it; SQLite's can).
NUL_REFUSAL = "cannot contain NUL (0x00)"


def explain_nul(exc: BaseException) -> NervError | None:
    """The NervError for a value holding a NUL character that the driver refused to send, else None."""
    if not (isinstance(exc, ValueError) and NUL_REFUSAL in str(exc)):
        return None
    return NervError("invalid", "a value holds a NUL character (U+0000), which PostgreSQL cannot store or compare",
                     "remove the NUL character; nothing nerv stores can hold one")


def is_lock_error(exc: BaseException) -> bool:
    return sqlstate(exc) in RETRY_SQLSTATES


def retry_on_lock(fn, *, deadline_s: float = RETRY_DEADLINE_S):
    """Call `fn()` again while it fails with a serialization failure, a deadlock or a lock timeout."""
    return retry_while(fn, is_lock_error, deadline_s=deadline_s)


def current_role(conn: PgConnection) -> str:
    """The role this connection acts as (recorded on each audit row beside the declared actor)."""
    if conn.role is None:
        conn.role = conn.execute("SELECT current_user").fetchone()[0]
    return conn.role


def write_marker(conn: PgConnection):
    """Rows this transaction inserted, updated or deleted so far (triggers and raw SQL included), like
    SQLite's total_changes(): see nerv.store.sqlite. Not the transaction id: an UPDATE that waited for a
    row and then found its compare-and-swap guard false changed nothing, but was given one."""
    return conn.execute(_WRITE_MARKER_SQL).fetchone()[0]


# pg_stat_xact_user_tables' rows and sum, without the view's other eight counters a table: half its server time
# (0.55 ms against 1.12), asked at the start of every write transaction.
_WRITE_MARKER_SQL = ("SELECT coalesce(sum(pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid)"
                     " + pg_stat_get_xact_tuples_deleted(c.oid)), 0) FROM pg_class c"
                     " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 't', 'm', 'p')"
                     " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'")


def begin_write(conn: PgConnection) -> str:
    """READ COMMITTED: what must not interleave says so itself (compare-and-swap claims, counter upserts,
    the audit chain's advisory lock), and a lost race fails with a SQLSTATE that `retry_on_lock` retries.

    Returns the transaction's time on the server's clock (`server_now`), asked in the same round trip."""
    return conn.execute(f"BEGIN; SELECT {NOW_SQL}").fetchone()[0]


def begin_read(conn: PgConnection) -> None:
    """One snapshot for every query until ROLLBACK."""
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")


def lock_for_transaction(conn: PgConnection, key: int) -> None:
    """Hold nerv's advisory lock `key` until this transaction ends (released by COMMIT or ROLLBACK)."""
    conn.execute("SELECT pg_advisory_xact_lock(?, ?)", (LOCK_NAMESPACE, key))


def table_exists(conn: PgConnection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?",
                        (name,)).fetchone() is not None


def table_columns(conn: PgConnection, table: str) -> list[str]:
    """`table`'s column names in order; empty when there is no such table."""
    return [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema ="
                                       " current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]


def has_tables(conn: PgConnection) -> bool:
    return conn.execute("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() LIMIT 1")\
        .fetchone() is not None


def advance_identities(conn: PgConnection, tables: list[str]) -> None:
    """Move each identity column's sequence of `tables` past the highest id they hold, after rows were
    written with their ids given (a copy, an import): the next default id must not collide with them."""
    for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND is_identity = 'YES' AND table_name = ANY(?) ORDER BY 1", (list(tables),)).fetchall():
        quoted = '"' + table.replace('"', '""') + '"'
        conn.execute(f'SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max("{column}"), 0) + 1, false)'
                     f" FROM {quoted}", (quoted, column))


def database_size(conn: PgConnection, path=None) -> tuple[int, int]:
    """This database's bytes on the server (pg_database_size, from the catalog) and 0 for the WAL: the
    server's WAL is shared by all its databases, none of it this one's alone."""
    return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0], 0


def enable_wal(conn: PgConnection, path=None) -> None:
    """Nothing to do: the server's own write-ahead log and synchronous_commit decide durability."""


def describe(url: str) -> str:
    """The URL without its password, for messages and `db` listings."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def server_tool(name: str, command: str) -> str:
    """The path of PostgreSQL's client program `name`; NervError('not_applicable') naming it when absent."""
    import shutil

    found = shutil.which(name)
    if found is None:
        raise NervError("not_applicable", f"`nerv {command}` on PostgreSQL runs {name}, which is not on PATH",
                        f"install the PostgreSQL client programs ({name}, e.g. apt-get install postgresql-client), "
                        "or use the server's own backup tooling")
    return found


def _run_tool(argv: list[str], what: str, stdout=None) -> str:
    import subprocess

    done = subprocess.run(argv, stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=None)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NervError("database", f"{what} failed: {message[-1] if message else f'exit {done.returncode}'}",
                        "nothing was changed; see the message of the PostgreSQL tool")
    return done.stdout.decode("utf-8", "replace") if stdout is None else ""


def dump_to(url: str, dest) -> None:
    """`pg_dump --format=custom` of the database at `url` into `dest`: a temp file beside it, fsynced, renamed
    (nerv.atomic_file), so `dest` is a whole dump or absent. pg_dump reads one snapshot of the database."""
    from pathlib import Path

    from nerv import atomic_file
    from nerv.store import leftovers

    pg_dump = server_tool("pg_dump", "db backup")
    leftovers.sweep(Path(dest).parent)  # dumps of a killed or out-of-space earlier backup
    fd, tmp = atomic_file.create_temp(dest, 0o600)
    try:
        _run_tool([pg_dump, "--format=custom", "--no-owner", "--dbname", url], "pg_dump", stdout=fd)
    except BaseException:
        atomic_file.discard(fd, tmp)
        raise
    atomic_file.commit(fd, tmp, dest)


def dump_tables(path, command: str) -> list[str]:
    """The tables whose data a custom-format dump holds (`pg_restore --list`, for `nerv COMMAND`); NervError
    when it is not one."""
    listing = _run_tool([server_tool("pg_restore", command), "--list", str(path)], "pg_restore --list")
    return sorted({line.split()[-2] for line in listing.splitlines() if " TABLE DATA " in line})


_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)")


def _copy_field(text: str):
    """One field of COPY's text format (what pg_restore writes) as its text, or None for \\N."""
    if text == "\\N":
        return None

    def unescape(match: re.Match) -> str:
        code = match.group(1)
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code.isdigit():
            return chr(int(code, 8))
        return _COPY_ESCAPES.get(code, code)

    return _COPY_ESCAPE.sub(unescape, text)


def dump_table_rows(path, table: str, command: str) -> tuple[list[str], list[dict]]:
    """The columns and rows (column: value, as text but `id` as int) of `table` in the custom-format dump at
    `path`, read with `pg_restore --data-only` (for `nerv COMMAND`); NervError when it is not a dump."""
    script = _run_tool([server_tool("pg_restore", command), "--data-only", "--table", table, "--file", "-",
                        str(path)], "pg_restore")
    copy = re.compile(rf"^COPY [\w.]*\b{re.escape(table)} \((.*)\) FROM stdin;$")
    lines = iter(script.split("\n"))  # not splitlines: a value may hold U+2028 and the like, which COPY keeps
    for line in lines:
        found = copy.match(line)
        if found:
            break
    else:
        return [], []
    columns = [c.strip().strip('"') for c in found.group(1).split(",")]
    rows = []
    for line in lines:
        if line == "\\.":
            break
        rows.append(dict(zip(columns, (_copy_field(f) for f in line.split("\t")))))
    for row in rows:
        if "id" in row and row["id"] is not None:
            row["id"] = int(row["id"])
    return columns, rows


def restore_dump(url: str, path) -> None:
    """Replace the objects of the dump at `path` in the database at `url` (`pg_restore --clean`), in one
    transaction: a failure leaves the database as it was."""
    _run_tool([server_tool("pg_restore", "db restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
               "--exit-on-error", "--dbname", url, str(path)], "pg_restore")
