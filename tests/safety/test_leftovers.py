"""Leftovers of a killed or out-of-space backup, export, import or restore are removed once stale and ownerless."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.conftest import ON_POSTGRESQL


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _plant(path, *, age_s: float, folder: bool = False):
    if folder:
        path.mkdir(parents=True)
        (path / "staging.db").write_bytes(b"x" * 10)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def planted(cli, project, nerv_home, dead_pid):
    """Stale ownerless leftovers (to remove) and ones that must stay: fresh, owned by a live process, not nerv's."""
    day, backups = 86400, nerv_home / "backups"
    stale = [
        _plant(backups / f".state-1.db.{dead_pid}.partial", age_s=day),
        _plant(backups / f".state-1.db.{dead_pid}.partial-journal", age_s=day),
        _plant(nerv_home / f".import-{dead_pid}-k2j3h4", age_s=day, folder=True),
        _plant(nerv_home / ".restore-ab12cd", age_s=day, folder=True),  # an older nerv's name: age alone
        _plant(nerv_home / "search" / f".x.json.{dead_pid}.tmp", age_s=day),
    ]
    kept = [
        _plant(backups / f".state-2.db.{dead_pid}.partial", age_s=60),  # may still be written
        _plant(nerv_home / f".import-{os.getpid()}-live01", age_s=day, folder=True),  # its owner runs
        _plant(backups / "notes.partial", age_s=day),
        _plant(nerv_home / ".profile.tmp", age_s=day),
    ]
    return stale, kept


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: `db integrity` checks the local file (on PostgreSQL it does "
                    "not apply, docs/teams.md)")
def test_db_integrity_removes_only_stale_ownerless_leftovers(cli, planted):
    stale, kept = planted
    result = cli("db", "integrity", "--json")
    assert result.code == 0, result.stderr
    assert sorted(result.data["leftovers_removed"]) == sorted(str(p) for p in stale)
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


def test_doctor_reports_the_leftovers_it_removed(cli, planted):
    stale, kept = planted
    result = cli("doctor", "--no-run", "--json")
    data = result.data if result.stdout else None
    assert data is not None, result.stderr
    assert sorted(data["database"]["leftovers_removed"]) == sorted(str(p) for p in stale)
    assert any("stale leftover" in w for w in data["warnings"])
    assert all(p.exists() for p in kept)


def test_a_backup_clears_the_partial_copies_of_a_killed_backup(cli, planted):
    stale, kept = planted
    assert cli("db", "backup").code == 0
    assert not any(p.exists() for p in stale if p.parent.name == "backups")
    assert all(p.exists() for p in kept)


def test_an_import_clears_scratch_folders_of_a_killed_import(cli, planted, tmp_path):
    stale, kept = planted
    export = tmp_path / "all.json"
    assert cli("export", "--output", str(export)).code == 0
    assert cli("import", str(export), "--mode", "merge").code == 0
    assert not any(p.exists() for p in stale if p.name.startswith((".import-", ".restore-")))
    assert all(p.exists() for p in kept)
    assert [p.name for p in export.parent.iterdir() if p.name.startswith(".")] == []
