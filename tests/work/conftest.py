"""Helpers for the work-tracking tests: make tasks through the real CLI and read them back."""

from __future__ import annotations


import pytest

from tests.conftest import from_template


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
    """A plain connection to the test database, for setting up states the CLI cannot (past leases)."""
    from tests.conftest import raw_connection

    conn = raw_connection(nerv_home)
    yield conn
    conn.close()


def status_of(cli, ref) -> str:
    result = cli("task", "show", ref, "--json")
    assert result.code == 0, result.stderr
    return result.data["status"]


@pytest.fixture
def seeded(cli, nerv_home, project):
    """Project `demo` (current) with tasks #1 `existing` and #2 `second`."""

    def build():
        assert cli("task", "add", "existing").code == 0
        assert cli("task", "add", "second").code == 0

    from_template("seeded", nerv_home, build)
    return "demo"
