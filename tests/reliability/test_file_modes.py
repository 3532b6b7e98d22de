"""Files nerv writes hold the user's work: home 0700; database, WAL, backups, exports and caches 0600."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import ON_POSTGRESQL


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the common default: files would be world-readable unless nerv says otherwise
    yield
    os.umask(old)


def mode(path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the modes of the database file and its -wal/-shm")
def test_every_file_nerv_writes_is_private(cli, nerv_home, tmp_path, loose_umask):
    import sqlite3

    assert cli("project", "add", "modes").code == 0
    # An open reader keeps the -wal and -shm files in place (the last connection to close removes them).
    reader = sqlite3.connect(nerv_home / "state.db")
    reader.execute("SELECT count(*) FROM projects").fetchone()
    assert cli("task", "add", "secret plan", "--project", "modes").code == 0
    assert cli("learn", "the password is in the vault", "--project", "modes").code == 0
    assert cli("search", "password").code == 0  # builds the vector cache
    backup = cli("--json", "db", "backup")
    assert backup.code == 0
    export = tmp_path / "out" / "state.jsonl"
    export.parent.mkdir()
    assert cli("export", "--format", "jsonl", "--output", str(export)).code == 0

    assert mode(nerv_home) == "0o700"
    written = [p for p in nerv_home.rglob("*") if p.is_file()] + [export]
    assert any(p.name == "state.db-wal" for p in written)
    assert any(p.suffix == ".db" and "backups" in p.parts for p in written)
    loose = {str(p.relative_to(tmp_path)): mode(p) for p in written if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert loose == {}
    folders = {str(p.relative_to(tmp_path)): mode(p) for p in nerv_home.rglob("*")
               if p.is_dir() and stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert folders == {}
    reader.close()
