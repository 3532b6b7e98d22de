"""Where the database and the migrations are, as plain strings, and a cheap open for the hook. Stdlib only.

The hook runs on every agent tool call, and pathlib (with urllib and ipaddress behind it) and random
cost more than the whole rule lookup; this module needs only os and sqlite3. nerv.store.paths and
nerv.store.migrate build their Path answers from these functions, so there is one definition of each
location.
"""

from __future__ import annotations

import os
import sqlite3

# How long one statement waits for a lock inside SQLite before it reports SQLITE_BUSY.
BUSY_TIMEOUT_MS = 5000


def set_connection_pragmas(conn: sqlite3.Connection) -> None:
    """What every connection to nerv's database needs (per connection, not stored in the file): wait for
    locks, and enforce foreign keys."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")


def set_wal_durability(conn: sqlite3.Connection) -> None:
    """synchronous=NORMAL in WAL mode: a process crash never loses a commit; a power loss may lose the last
    commits but never corrupts the file. Per connection (journal_mode=WAL itself is stored in the file)."""
    conn.execute("PRAGMA synchronous = NORMAL")


def home_dir() -> str:
    """`NERV_HOME`, else `~/.nerv`."""
    from nerv.env import nerv_home

    return nerv_home()


def db_file() -> str:
    """`NERV_DB`, else `<home>/state.db`."""
    env = os.environ.get("NERV_DB")
    return os.path.expanduser(env) if env else os.path.join(home_dir(), "state.db")


def migrations_folder() -> str:
    """The migrations shipped with this nerv: inside the wheel (`nerv/_migrations`), else the source checkout.

    Never the working directory: a command run from any folder must see the same plan.
    """
    package_dir = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    shipped = os.path.join(package_dir, "_migrations")
    if os.path.isdir(shipped):
        return shipped
    return os.path.join(os.path.dirname(package_dir), "migrations")


_latest_by_folder: dict[str, int] = {}


def latest_shipped_version() -> int:
    """The highest migration number this nerv ships (listed once per folder and process: the hook daemon asks
    on every pooled checkout, and a nerv's shipped migrations do not change under it)."""
    folder = migrations_folder()
    latest = _latest_by_folder.get(folder)
    if latest is None:
        versions = [int(name[:4]) for name in os.listdir(folder) if name.endswith(".sql") and name[:4].isdigit()]
        latest = _latest_by_folder[folder] = max(versions, default=0)
    return latest


def open_readonly() -> sqlite3.Connection | None:
    """The existing database opened `mode=ro` (never created, migrated or locked for writing), else None."""
    path = os.path.abspath(db_file())
    if not os.path.isfile(path):
        return None
    # An SQLite URI: the characters that would end the path or start an escape are %-encoded.
    uri_path = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    try:
        conn = sqlite3.connect(f"file:{uri_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        set_connection_pragmas(conn)
    except sqlite3.Error:
        return None
    return conn


def open_current() -> sqlite3.Connection | None:
    """The existing database with nerv's pragmas, if its schema is exactly this nerv's; else None.

    None sends the caller to the full `nerv.store.db.open_store`, which creates, checks and migrates the
    file or explains why it cannot (a directory, not SQLite, a newer schema). Always None in team mode
    (NERV_DATABASE_URL): a local file left from before must never answer for the team's server.
    """
    from nerv.env import database_url

    if database_url() is not None:
        return None
    path = db_file()
    if not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    except sqlite3.Error:
        return None
    try:
        set_connection_pragmas(conn)
        set_wal_durability(conn)  # the file is in WAL already: open_store set it
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        if row and row[0] == latest_shipped_version():
            return conn
    except sqlite3.Error:
        pass
    conn.close()
    return None


def open_current_ledger():
    """open_current on the backend in use: in team mode the server's database when its schema is exactly this
    nerv's (nerv.store.postgres.open_current; NervError('database') when it cannot connect), else the local file.

    None: no up-to-date database there (or a NERV_DATABASE_URL that is not a URL, which open_store refuses)."""
    from nerv.env import database_url

    url = database_url()
    if url is None:
        return open_current()
    from nerv.store import postgres

    return postgres.open_current(url) if postgres.is_url(url) else None


def open_readonly_ledger():
    """open_readonly on the backend in use: in team mode a connection to the server in read-only transactions
    (NervError('database') when it cannot connect; None for a NERV_DATABASE_URL that is not a URL)."""
    from nerv.env import database_url

    url = database_url()
    if url is None:
        return open_readonly()
    from nerv.store import postgres

    return postgres.open_connection(url, readonly=True) if postgres.is_url(url) else None
