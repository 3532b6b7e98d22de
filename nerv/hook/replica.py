"""The hook daemon's replica of the rows PreToolUse and PermissionRequest decide from: rules, settings,
projects and their folders, in an in-memory SQLite database (nerv.store.queries_hook_cache.memory_ledger, the
local cache's shape), so a decision runs the very lookups and matcher of the live path without a round trip
per lookup. Stdlib only. docs/teams.md, "The hook daemon".

It is exact, not eventually right: every change to those tables bumps hook_state's version in its own
transaction (migration 0020), the daemon reads that version on each checkout of a pooled connection (in the
round trip that checks the schema), and a replica of another version is read again before it is used. So a
decision sees the rows as of that read, as a hook process reading them live would. What is live by nature
(budgets and their spend, path leases, approval requests) is still read on the server.
"""

from __future__ import annotations

import threading


class Replica:
    """The replica of one server's database, shared by the daemon's request threads.

    Readers never write to it, and a new version is a new database: a thread still deciding from the old one
    keeps it until it is done, and the old one goes when the last thread drops it.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.version: str | None = None
        self.conn = None
        self.reads = 0  # how many times the rows were read from the server (tests and the bench look)

    def reader(self, server_conn, version: str):
        """The in-memory database holding the rows of `version`, read from `server_conn` first when this one is
        of another version. Raises what the server raises (the caller then decides on the server)."""
        with self.lock:
            if self.conn is None or self.version != version:
                self._read(server_conn)
            return self.conn

    def _read(self, server_conn) -> None:
        from nerv.store import queries_hook_cache as q

        read = q.snapshot(server_conn, every_setting=True, version_sql=q.STATE_VERSION_SQL)
        conn = q.memory_ledger(read["body"], shared=True)
        # The version comes from the rows' own snapshot: a change committed after the checkout's read is in the
        # rows and in this version, so the next checkout (newer version or this one) finds it.
        self.conn, self.version = conn, read["marker"]
        self.reads += 1
