"""Helpers for the work-tracking tests: make tasks through the real CLI and read them back."""

from __future__ import annotations

import sqlite3

import pytest


@pytest.fixture
def add_task(cli, project):
    """add_task(title, *options) -> the created task's data (asserts success)."""

    def make(title: str, *options) -> dict:
        result = cli("task", "add", title, *options, "--json")
        assert result.code == 0, result.stderr
        return result.data

    return make


@pytest.fixture
def raw_db(nerv_home):
    """A plain sqlite3 connection to the test database, for setting up states the CLI cannot (past leases)."""
    conn = sqlite3.connect(nerv_home / "state.db", isolation_level=None)
    yield conn
    conn.close()


def status_of(cli, ref) -> str:
    result = cli("task", "show", ref, "--json")
    assert result.code == 0, result.stderr
    return result.data["status"]


_TEMPLATES: dict[str, bytes] = {}


def _from_template(name: str, nerv_home, build) -> None:
    """Copy a database built once per session by `build()`; a fresh one (migrations, project) costs ~0.2 s."""
    db = nerv_home / "state.db"
    if name in _TEMPLATES:
        nerv_home.mkdir(parents=True, exist_ok=True)
        db.write_bytes(_TEMPLATES[name])
        return
    build()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _TEMPLATES[name] = db.read_bytes()


@pytest.fixture
def project(cli, nerv_home):
    """Project `demo` made current (same state as tests/conftest.py's fixture, copied from a template)."""

    def build():
        assert cli("project", "add", "demo", "--goal", "testing").code == 0
        assert cli("project", "use", "demo").code == 0

    _from_template("project", nerv_home, build)
    return "demo"


@pytest.fixture
def seeded(cli, nerv_home):
    """Project `demo` (current) with tasks #1 `existing` and #2 `second`."""

    def build():
        assert cli("project", "add", "demo", "--goal", "testing").code == 0
        assert cli("project", "use", "demo").code == 0
        assert cli("task", "add", "existing").code == 0
        assert cli("task", "add", "second").code == 0

    _from_template("seeded", nerv_home, build)
    return "demo"
