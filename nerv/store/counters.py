"""Per-project numbers (task #12, decision 3, cycle 2, …) from the project_counters table. Stdlib only.

One upsert takes the next number: atomic under concurrent writers on any backend with
INSERT … ON CONFLICT … RETURNING, where MAX(number)+1 is only safe while one writer at a time exists.
Numbers are never reused, also after a delete (migrations/0009 explains the triggers behind it).
"""

from __future__ import annotations

import sqlite3

KINDS = ("task", "decision", "cycle", "learning", "checkpoint")


def next_number(conn: sqlite3.Connection, project_id: str, kind: str) -> int:
    """Take the next `kind` number of a project. Inside the write transaction that inserts the row."""
    if kind not in KINDS:
        raise ValueError(f"no counter for {kind!r}")
    return conn.execute(
        "INSERT INTO project_counters (project_id, kind, last) VALUES (?, ?, 1)"
        " ON CONFLICT (project_id, kind) DO UPDATE SET last = project_counters.last + 1 RETURNING last",
        (project_id, kind)).fetchone()[0]
