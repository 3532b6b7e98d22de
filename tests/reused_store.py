"""Test-only: the suite's in-process CLI calls (tests/conftest.py `run_cli`) keep the SQLite store of one call
open for the next call on the same, untouched file, instead of closing it and opening it again.

A fresh open costs ~4 ms of a ~14 ms in-process command (the new connection parses the schema, the migration
plan is read and compared with the database's checksums); a test makes many calls. What a call hands back is
"parked": its WAL checkpointed into the main file and truncated (so the file alone holds everything, as after
a close), and a fingerprint taken. The next call's `_ctx.store()` takes it only when nothing moved since:

- the same database path (NERV_HOME / NERV_DB), SQLite (never a team server), opened writable;
- the file and its -wal unchanged (inode, mode, owner, size and mtime: a raw edit, a replacement, a chmod or
  a removal all show), the -shm still the same file, and `PRAGMA data_version` unchanged (no other
  connection committed or checkpointed);
- the connection as a fresh open leaves it (no transaction, foreign_keys on, synchronous NORMAL, the busy
  timeout nerv sets, nothing attached or temporary);
- no function or constant of the modules that open the store replaced since (a test's monkeypatch).

Anything else closes the parked store first and opens a new one, so a test of what an open does still sees
an open. Any other SQLite connection made in the test process (`sqlite3.connect`: a test's raw connection,
`db_hash`, a second connection nerv makes) closes a parked store first, so it finds the file as a closed
store leaves it: no -wal or -shm, its connection the only one. `_ctx.close()` (what nerv calls before
replacing the file) closes a parked store too; so do the fixtures, before a template is copied over the
database and after each test. The reuse is off where the
file system cannot show every change of a file (timestamps coarser than two back-to-back writes).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

# The modules whose functions and constants decide what an open does: a test that replaces one (monkeypatch)
# gets a real open on its next call.
_OPENING_MODULES = ("nerv.store.db", "nerv.store.sqlite", "nerv.store.fastpath", "nerv.store.migrate",
                    "nerv.store.paths", "nerv.env")
_PARKED: dict = {}
_STATE = {"installed": False, "usable": None}
COUNTS = {"parked": 0, "reused": 0, "stale": 0}  # the run's summary line (tests/conftest.py)


def install() -> None:
    """Route nerv.cli.app's end-of-command close to `park`, and `_ctx.store` / `_ctx.close` through the park."""
    if _STATE["installed"]:
        return
    from nerv.cli import _ctx, app

    real_store, real_close = _ctx.store, _ctx.close

    def store():
        if _ctx._store is None:
            taken = _take()
            if taken is not None:
                from nerv.store.db import use_for_models

                _ctx._store = taken
                use_for_models(taken)
        return real_store()

    def close():
        discard()
        real_close()

    class EndOfCommand:
        """What app.main sees as `_ctx`: its `close()` in `finally` parks the store instead."""

        def __getattr__(self, name):
            return getattr(_ctx, name)

        @staticmethod
        def close():
            if not _park(_ctx._store):
                real_close()
                return
            from nerv.store.db import use_for_models

            _ctx._store = None
            use_for_models(None)

    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        discard()
        return real_connect(*args, **kwargs)

    _ctx.store, _ctx.close = store, close
    app._ctx = EndOfCommand()
    sqlite3.connect = connect
    _STATE["installed"] = True


def discard() -> None:
    """Close the parked store, if any (before the file is replaced, and after each test)."""
    parked = _PARKED.pop("store", None)
    if parked is not None:
        parked.close()


def _park(store) -> bool:
    if store is None or store.url is not None or store.readonly or not _usable():
        return False
    conn = store._conn
    try:
        if conn.in_transaction:
            return False
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        state = _connection_state(conn)
    except sqlite3.Error:  # closed by the command, or the file failed: a real close decides
        return False
    discard()
    COUNTS["parked"] += 1
    _PARKED.update(store=store, fingerprint=(_path_key(), _files(store.path), state, _opening_code()))
    return True


def _take():
    store = _PARKED.pop("store", None)
    if store is None:
        return None
    try:
        still = _PARKED.pop("fingerprint") == (_path_key(), _files(store.path), _connection_state(store._conn),
                                              _opening_code())
    except sqlite3.Error:
        still = False
    if not still:
        COUNTS["stale"] += 1
        store.close()
        return None
    COUNTS["reused"] += 1
    from nerv.store.db import Store

    return Store(store._conn, store.path)  # as a fresh open of an up-to-date database: nothing migrated


def _path_key():
    from nerv.env import database_url
    from nerv.store import paths

    return str(paths.db_path()), database_url()


def _files(path: Path) -> tuple:
    """What shows a change of the file or its WAL made past this connection. Not the ctime: every connection
    that opens the file as root changes it (SQLite gives the -wal and -shm the file's owner), and reading
    is no change; nor the -shm's mtime, which readers write to."""
    marks = []
    for name, content in ((path, True), (Path(f"{path}-wal"), True), (Path(f"{path}-shm"), False)):
        try:
            stat = os.stat(name)
        except OSError:
            marks.append(None)
            continue
        marks.append((stat.st_dev, stat.st_ino, stat.st_mode, stat.st_uid, stat.st_gid)
                     + ((stat.st_size, stat.st_mtime_ns) if content else ()))
    return tuple(marks)


def _connection_state(conn: sqlite3.Connection) -> tuple:
    if conn.in_transaction:
        raise sqlite3.OperationalError("a transaction is open")
    pragmas = tuple(conn.execute(f"PRAGMA {name}").fetchone()[0]
                    for name in ("data_version", "foreign_keys", "synchronous", "busy_timeout", "journal_mode",
                                 "query_only", "defer_foreign_keys"))
    temporary = conn.execute("SELECT count(*) FROM temp.sqlite_master").fetchone()[0]  # makes `temp` listed
    databases = tuple(row[1] for row in conn.execute("PRAGMA database_list"))
    return pragmas, databases, temporary


def _opening_code() -> tuple:
    """The functions, classes and constants of the opening modules (not their state, such as the store the
    models use), by identity."""
    return tuple((name, tuple((key, id(value)) for key, value in vars(sys.modules[name]).items()
                              if callable(value) or isinstance(value, (int, float, str, bytes, tuple))))
                 for name in _OPENING_MODULES if name in sys.modules)


def _usable() -> bool:
    """Whether two writes to a file right after each other always change its mtime here (multigrain or fine
    timestamps): otherwise a raw edit just after a park could look like no change."""
    if _STATE["usable"] is None:
        import tempfile

        with tempfile.TemporaryDirectory(dir=os.environ.get("PYTEST_DEBUG_TEMPROOT")) as folder:
            probe = Path(folder, "probe")
            seen = set()
            for _ in range(20):
                with open(probe, "ab") as file:
                    file.write(b"x")
                seen.add(os.stat(probe).st_mtime_ns)
            _STATE["usable"] = len(seen) == 20
    return _STATE["usable"]
