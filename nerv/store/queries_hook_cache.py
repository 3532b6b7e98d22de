"""The SQL of the hook's local cache (team mode, docs/teams.md "How it fails"). Stdlib only.

On the server: a version marker of everything the cache holds, cheap enough for every hook call, and the
rows themselves, read in one snapshot. On the machine: those rows loaded into an in-memory SQLite database
with the columns the hook's own lookups read (nerv.store.lookups, nerv.store.queries_approvals), so a
decision from the cache runs the very queries and matcher the live path runs.
"""

from __future__ import annotations

import sqlite3

from nerv.store import postgres

# The settings the hook reads to decide a tool call; the cache holds these keys only.
HOOK_KEYS = ("hook.mode", "hook.on_error", "hook.approval_tools", "hook.cache_max_age_s", "budget.enforce")


def _version(table: str, where: str = "") -> str:
    # count and the sum of the rows' xmin (the id of the transaction that wrote each row version): an insert,
    # an update or a delete changes one of them, so an equal marker means the same rows.
    return f"(SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM {table}{where})"


MARKER_SQL = "SELECT " + " || ' ' || ".join([
    _version("approval_rules"), _version("settings"), _version("projects"), _version("project_repos"),
    _version("budgets"), _version("path_leases", " WHERE released_at IS NULL")])


def marker(conn) -> str:
    """The server's version of what the cache holds (one query): equal markers, equal cached rows."""
    return conn.execute(MARKER_SQL).fetchone()[0]


# hook_state's version (migration 0020) with the database's identity: a database dropped and made again under
# the same name starts its counter again, and must not look like the rows a replica of the old one holds.
STATE_VERSION_SQL = ("SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text || ':' ||"
                     " version FROM hook_state WHERE id = 1")


def schema_and_state(conn) -> tuple[int | None, str | None]:
    """(the schema's migration number, hook_state's version) in one round trip: what the hook daemon asks on
    every checkout of a pooled connection. (None, None) when either cannot be read (no schema yet, one older
    than 0020, a broken connection): the schema is then not this nerv's."""
    import psycopg2

    try:
        return tuple(conn.execute(f"SELECT (SELECT max(version) FROM schema_migrations), ({STATE_VERSION_SQL})")
                     .fetchone())
    except psycopg2.Error:
        return None, None


def snapshot(conn, *, every_setting: bool = False, version_sql: str = MARKER_SQL) -> dict:
    """Everything the hook needs to decide without the server, with its marker and the server's time, read in
    one repeatable-read snapshot (so the marker is exactly the rows'). Leaves no transaction open.

    The local cache keeps the settings the hook reads (HOOK_KEYS) under MARKER_SQL; the hook daemon's replica
    every setting under hook_state's version (STATE_VERSION_SQL)."""
    postgres.begin_read(conn)
    try:
        server_time, version = conn.execute(f"SELECT {postgres.NOW_SQL}, ({version_sql})").fetchone()
        marks = ", ".join("?" for _ in HOOK_KEYS)
        body = {
            "rules": [list(r) for r in conn.execute(
                "SELECT id, project_id, tool, pattern, rule, action, source, literal_prefix FROM approval_rules"
                " ORDER BY id")],
            "settings": [list(r) for r in (
                conn.execute("SELECT project_id, key, value FROM settings") if every_setting else
                conn.execute(f"SELECT project_id, key, value FROM settings WHERE key IN ({marks})", HOOK_KEYS))],
            "projects": [list(r) for r in conn.execute("SELECT id, name FROM projects")],
            "repos": [list(r) for r in conn.execute("SELECT project_id, path FROM project_repos")],
            "hard_budgets": conn.execute("SELECT 1 FROM budgets WHERE hard = 1 LIMIT 1").fetchone() is not None,
            # How long the latest open path lease had left at the read (None: no open lease).
            "lease_left_s": conn.execute(
                "SELECT CAST(EXTRACT(EPOCH FROM max(expires_at) - now()) AS double precision) FROM path_leases"
                " WHERE released_at IS NULL").fetchone()[0],
        }
    finally:
        conn.execute("ROLLBACK")
    return {"marker": version, "server_time": server_time, "body": body}


_MEMORY_SCHEMA = """
CREATE TABLE approval_rules (id INTEGER PRIMARY KEY, project_id TEXT, tool TEXT NOT NULL, pattern TEXT,
                             rule TEXT NOT NULL, action TEXT NOT NULL, source TEXT, literal_prefix TEXT);
CREATE TABLE settings (project_id TEXT, key TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE project_repos (project_id TEXT NOT NULL, path TEXT NOT NULL);
-- The ledger's own index of the Bash allow lookup (0003): without it each decision scans every rule.
CREATE INDEX ix_rules_tool_prefix ON approval_rules(tool, literal_prefix);
"""


class FrozenLedger(sqlite3.Connection):
    """A memory ledger nobody writes to once it is filled: what is worked out from its rows may be kept with it
    (`kept`, nerv.store.rule_area.RuleArea.kept), and goes with it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept: dict = {}


def memory_ledger(body: dict, *, shared: bool = False) -> sqlite3.Connection:
    """An in-memory database holding the cached rows, for the hook's lookups. Raises (sqlite3.Error, KeyError,
    TypeError, ValueError) on a body of the wrong shape: the caller then treats the cache as absent.

    `shared`: the hook daemon's replica, a FrozenLedger read by several threads at once (sqlite3 built
    serialized, sqlite3.threadsafety 3, which the daemon checks; nobody writes to it after this function)."""
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=not shared,
                           factory=FrozenLedger if shared else sqlite3.Connection)
    try:
        conn.executescript(_MEMORY_SCHEMA)
        conn.executemany("INSERT INTO approval_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?)", body["rules"])
        conn.executemany("INSERT INTO settings VALUES (?, ?, ?)", body["settings"])
        conn.executemany("INSERT INTO projects VALUES (?, ?)", body["projects"])
        conn.executemany("INSERT INTO project_repos VALUES (?, ?)", body["repos"])
    except BaseException:
        conn.close()
        raise
    return conn
