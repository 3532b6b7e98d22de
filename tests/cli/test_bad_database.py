"""A NERV_DB that cannot be used gets one clear line, a non-zero exit, and nothing is modified."""

from __future__ import annotations

import pytest

from tests.conftest import assert_not_a_bug, run_as_user, sqlite_only

# NERV_DB names a file: what a directory, a non-SQLite file or a read-only path there does.
pytestmark = sqlite_only


def _snapshot(folder):
    return {p.name: (p.read_bytes() if p.is_file() else None) for p in folder.iterdir()}


def test_nerv_db_pointing_at_a_directory(cli, tmp_path, monkeypatch):
    folder = tmp_path / "adir"
    folder.mkdir()
    monkeypatch.setenv("NERV_DB", str(folder))
    result = cli("--json", "status")
    assert result.code == 1 and result.error["code"] == "database" and "directory" in result.error["message"]
    assert list(folder.iterdir()) == []


def test_nerv_db_pointing_at_a_non_sqlite_file(cli, tmp_path, monkeypatch):
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"this is not a database\n" * 200)
    before = _snapshot(tmp_path)
    monkeypatch.setenv("NERV_DB", str(junk))
    result = cli("status")
    assert result.code == 1 and "not a nerv/SQLite database" in result.stderr
    assert_not_a_bug(result)
    assert _snapshot(tmp_path) == before


@pytest.mark.slow  # nerv as a process under setpriv
def test_nerv_db_in_a_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("NERV_DB", str(folder / "state.db"))
    try:
        result = run_as_user("--json", "status")
    finally:
        folder.chmod(0o700)
    assert result.code == 1 and result.error["code"] == "permission", result.stderr
    assert_not_a_bug(result)
    assert list(folder.iterdir()) == []


def test_nerv_db_on_a_read_only_filesystem_path(cli, monkeypatch):
    # /proc is read-only even for root: creating a database there must fail cleanly.
    monkeypatch.setenv("NERV_DB", "/proc/nerv-test/state.db")
    result = cli("--json", "status")
    assert result.code == 1 and result.error["code"] == "database"
    assert_not_a_bug(result)


def test_a_nerv_db_in_a_missing_folder_is_an_error_not_a_new_ledger(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("NERV_DB", str(tmp_path / "typo" / "state.db"))
    for args in (("--json", "status"), ("--json", "task", "list")):
        result = cli(*args)
        assert result.code == 1 and result.error["code"] == "database", args
        assert "does not exist" in result.error["message"]
        assert_not_a_bug(result)
    assert not (tmp_path / "typo").exists()
    monkeypatch.delenv("NERV_DB")
    monkeypatch.setenv("NERV_HOME", str(tmp_path / "new-home"))  # a home is created on first use, as before
    assert cli("status").code == 0 and (tmp_path / "new-home" / "state.db").is_file()
