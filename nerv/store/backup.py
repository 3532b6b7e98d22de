"""Consistent copies of a live database. Stdlib only.

`cp state.db` while agents write gives copies that pass integrity_check yet mix two states; the backup
API copies one committed snapshot. We copy into a temp file, fsync it, then rename, so a reader never
sees a half-written backup.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from nerv.store.paths import ensure_private_dir, fsync_dir


def backup_to(conn: sqlite3.Connection, dest: Path) -> Path:
    """Copy the database behind `conn` to `dest` (must not exist). Returns `dest`."""
    dest = Path(dest)
    ensure_private_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        target = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            # pages=-1: one step, so the copy is a single snapshot even while writers commit.
            conn.backup(target, pages=-1)
            # A backup is a standalone file: no -wal beside it to lose.
            target.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            target.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
