"""Every state a database file can be in gets a clear answer: read-only (file, folder, mount), older and
read-only, unreadable, damaged, on a full disk. Each is reported by its own error code, never `internal`.

CI runs as root, and root ignores permission bits: the permission cases run the real CLI under `setpriv`
with the capabilities that let root override them dropped, and the mount cases use a tmpfs mounted by
root (read-only, or too small). Where neither is possible the test says so when it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, db_content_hash, run_as_user, run_proc

pytestmark = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: states of the database file (read-only, unreadable, damaged, disk full)")

IS_ROOT = os.geteuid() == 0
READ_COMMANDS = [
    ("status",), ("db", "status"), ("db", "health"), ("db", "integrity"), ("task", "list"), ("task", "show", "1"),
    ("task", "board"), ("task", "ready"), ("task", "blocked"), ("learnings",), ("search", "alpha"),
    ("export",), ("audit", "verify"), ("project", "list"), ("cost",), ("session", "list"),
    ("decision", "list"), ("cycle", "list"), ("approval", "list"), ("rule", "list"),
]


def as_user(*args: str, env: dict | None = None):
    return run_as_user(*args, "--json", env=env)


@pytest.fixture
def ledger(cli, nerv_home, project):
    """A ledger with a few tasks, a learning and a dependency, its file path returned."""
    for title in ("alpha", "beta", "gamma"):
        assert cli("task", "add", title).code == 0
    assert cli("task", "dep", "add", "3", "1").code == 0
    assert cli("learn", "alpha is slow on cold caches").code == 0
    return nerv_home / "state.db"


@contextmanager
def read_only_permissions(db: Path):
    """The database file 0400 and its folder 0500; restored afterwards so the test can clean up."""
    db.chmod(0o400)
    db.parent.chmod(0o500)
    try:
        yield
    finally:
        db.parent.chmod(0o700)
        db.chmod(0o600)


@contextmanager
def tmpfs(size: str):
    """A fresh tmpfs (root only) under /tmp; yields its path, unmounted afterwards."""
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    point = Path(tempfile.mkdtemp(prefix="nerv-mount-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)
        point.rmdir()


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def _checkpointed(db: Path) -> None:
    """Fold the WAL into the file and drop -wal/-shm, as a last clean close leaves it."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _assert_reads_work(env: dict | None = None, runner=as_user) -> None:
    for args in READ_COMMANDS:
        result = runner(*args, env=env)
        assert result.code == 0, (args, result.stderr[-800:])
        assert_not_a_bug(result, args)


# ---- read-only ------------------------------------------------------------------------------------------------
@pytest.mark.slow  # every read command as a process under setpriv
def test_every_read_command_works_on_a_read_only_file_and_folder(ledger):
    _checkpointed(ledger)
    before = db_content_hash(ledger)
    with read_only_permissions(ledger):
        _assert_reads_work()
        result = as_user("task", "add", "delta")
        assert result.code == 1 and result.error["code"] == "read_only", result.stderr
        assert "read commands work" in result.error["hint"]
        search = as_user("search", "alpha")
        assert "read-only" in search.data["note"] and search.data["results"]
    assert db_content_hash(ledger) == before
    assert sorted(os.listdir(ledger.parent)) == sorted(p.name for p in ledger.parent.iterdir())  # nothing left


@pytest.mark.slow  # every read command as a process on a read-only mount
def test_every_read_command_works_on_a_read_only_mount(ledger, tmp_path):
    _checkpointed(ledger)
    with tmpfs("16m") as point:
        home = point / "home"
        shutil.copytree(ledger.parent, home)
        remount_read_only(point)
        env = {"NERV_HOME": str(home)}
        _assert_reads_work(env, runner=lambda *a, env: run_proc(*a, "--json", env=env))
        health = run_proc("db", "health", "--json", env=env)
        assert health.data["wal_mode"] is True  # from the file header: an immutable open reports `delete`
        result = run_proc("--json", "task", "add", "delta", env=env)
        assert result.code == 1 and result.error["code"] == "read_only", result.stderr
        created = run_proc("--json", "status", env={"NERV_DB": str(home / "other.db")})
        assert created.code == 1 and created.error["code"] == "read_only", created.stderr  # EROFS
        assert_not_a_bug(created)


@pytest.mark.slow  # processes under setpriv
def test_a_read_only_database_older_than_this_nerv_needs_a_write_to_migrate(tmp_path, monkeypatch):
    from nerv.store import migrate
    from nerv.store.sqlite import open_connection

    folder = tmp_path / "old"
    folder.mkdir()
    old = folder / "state.db"
    conn = open_connection(old)
    migrate.apply_pending(conn, migrate.load_plan()[:3])
    conn.close()
    before = old.read_bytes()
    env = {"NERV_DB": str(old)}
    with read_only_permissions(old):
        for args in (("status",), ("task", "list", "--project", "x"), ("db", "integrity")):
            result = as_user(*args, env=env)
            assert result.code == 1 and result.error["code"] == "needs_migration", (args, result.stderr)
            assert "db migrate" in result.error["hint"]
            assert_not_a_bug(result, args)
    assert old.read_bytes() == before and sorted(os.listdir(folder)) == ["state.db"]


@pytest.mark.slow  # processes under setpriv
def test_an_unreadable_database_is_a_permission_error(ledger):
    ledger.chmod(0o000)
    try:
        for args in (("status",), ("task", "list")):
            result = as_user(*args)
            assert result.code == 1 and result.error["code"] == "permission", (args, result.stderr)
            assert "permissions" in result.error["hint"]
            assert_not_a_bug(result, args)
    finally:
        ledger.chmod(0o600)


# ---- damaged ------------------------------------------------------------------------------------------------
def _damage(db: Path) -> None:
    """Overwrite every other page after the first few: the header stays, the b-trees do not."""
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        for offset in range(4096 * 3, size, 4096 * 2):
            handle.seek(offset)
            handle.write(os.urandom(4096))


def test_a_damaged_database_is_reported_as_corrupt_and_restore_force_recovers(cli, ledger, tmp_path):
    backup = tmp_path / "good.db"
    assert cli("db", "backup", str(backup)).code == 0
    for n in range(40):  # enough pages that the damage reaches the tables
        assert cli("task", "add", f"later {n}", "--description", "x" * 2000).code == 0
    _checkpointed(ledger)
    _damage(ledger)
    for args in (("status",), ("task", "list"), ("task", "add", "more")):
        result = cli("--json", *args)
        assert result.code == 1 and result.error["code"] == "corrupt", (args, result.stderr)
        assert "nerv db restore BACKUP --force" in result.error["hint"]
        assert_not_a_bug(result, args)
    checked = cli("--json", "db", "integrity")  # checks the file read-only instead of stopping at `corrupt`
    assert (checked.code, checked.data["ok"], checked.data["corrupt"]) == (1, False, True), checked.stderr
    refused = cli("--json", "db", "restore", str(backup), "--yes")  # a safety backup of a damaged file: no
    assert refused.code == 1 and refused.error["code"] == "corrupt"
    damaged_bytes = ledger.read_bytes()
    result = cli("--json", "db", "restore", str(backup), "--force")
    assert result.code == 0, result.stderr
    aside = Path(result.data["corrupt_copy"])
    assert aside.parent == ledger.parent and aside.name.startswith("state.db.corrupt-")
    assert aside.read_bytes() == damaged_bytes
    assert [t["title"] for t in cli("task", "list", "--json").data] == ["alpha", "beta", "gamma"]
    assert cli("audit", "verify").code == 0 and cli("db", "integrity").code == 0


def _damage_last_pages(db: Path, pages: int) -> None:
    """Overwrite the bodies of the last `pages` pages (their headers kept): the b-trees of the newest rows
    break, the schema does not, so integrity_check can name what it finds."""
    import random

    noise = random.Random(pages)
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        for offset in range(max(4096 * 3, size - 4096 * pages), size, 4096):
            handle.seek(offset + 8)
            handle.write(noise.randbytes(4088))


@pytest.mark.parametrize("damage", ["last pages", "every other page"])
def test_db_integrity_on_a_damaged_file_lists_what_integrity_check_finds(cli, ledger, damage):
    for n in range(40):  # enough pages that the damage reaches the tables
        assert cli("task", "add", f"later {n}", "--description", "x" * 2000).code == 0
    _checkpointed(ledger)
    _damage_last_pages(ledger, 4) if damage == "last pages" else _damage(ledger)
    damaged_bytes = ledger.read_bytes()
    result = cli("--json", "db", "integrity")
    assert_not_a_bug(result)
    assert result.code == 1, result.stderr
    report = result.data
    assert (report["ok"], report["corrupt"]) == (False, True)
    assert report["integrity_check"] and report["integrity_check"] != ["ok"], report
    assert "nerv db restore BACKUP --force" in report["hint"]
    if damage == "last pages":  # the schema survived: integrity_check names pages, the chain check ran
        assert any("page" in line for line in report["integrity_check"]), report["integrity_check"]
        assert report["audit_chain"]["ok"] is False
    text = cli("db", "integrity")
    assert text.code == 1 and "the database is damaged; integrity_check found" in text.stdout, text.stdout
    assert report["integrity_check"][0] in text.stdout and "nerv db restore BACKUP --force" in text.stdout
    assert ledger.read_bytes() == damaged_bytes  # checked, never repaired or written


@pytest.mark.parametrize("damage", ["last pages", "every other page"])
def test_doctor_reports_a_damaged_database_as_a_problem(cli, ledger, damage):
    for n in range(40):
        assert cli("task", "add", f"later {n}", "--description", "x" * 2000).code == 0
    _checkpointed(ledger)
    _damage_last_pages(ledger, 4) if damage == "last pages" else _damage(ledger)
    result = cli("--json", "doctor")
    assert_not_a_bug(result)
    assert result.code == 1 and result.data is not None, result.stderr  # a report, not a refusal
    database = [p for p in result.data["problems"] if p["code"] == "database"]
    assert database and str(ledger) in database[0]["message"], result.data["problems"]


# ---- disk full ------------------------------------------------------------------------------------------------
@pytest.mark.slow  # processes on a full tmpfs
def test_a_full_disk_is_reported_as_disk_full_and_nothing_is_written(ledger):
    _checkpointed(ledger)
    with tmpfs("2m") as point:
        home = point / "home"
        shutil.copytree(ledger.parent, home)
        before = db_content_hash(home / "state.db")
        filler = point / "filler"
        with open(filler, "wb") as handle:  # take all the space left
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        env = {"NERV_HOME": str(home)}
        result = run_proc("--json", "task", "add", "big", "--description", "y" * 50_000, env=env)
        assert result.code == 1 and result.error["code"] == "disk_full", result.stderr
        assert "free space" in result.error["hint"]
        assert_not_a_bug(result)
        backup = run_proc("--json", "db", "backup", str(point / "copy.db"), env=env)
        assert backup.code == 1 and backup.error["code"] == "disk_full", backup.stderr
        filler.unlink()
        assert db_content_hash(home / "state.db") == before
        assert run_proc("task", "add", "small", env=env).code == 0  # space back: it works again
        assert json.loads(run_proc("task", "list", "--json", env=env).stdout)["data"][-1]["title"] == "small"
