"""The base of the store's areas (`store.tasks`, `store.search`, ...): the seam a second backend implements. Stdlib only.

An area holds the store's connection so that services never see one. Its read methods run on that
connection (inside `store.read` or a write body they see that transaction's snapshot); a method that only
makes sense inside a write transaction takes the body's `tx` first.
"""

from __future__ import annotations

import sqlite3


class Area:
    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
