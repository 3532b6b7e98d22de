"""Connections, write transactions and the audit rule."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from nerv.errors import NervError
from nerv.store import audit
from nerv.store.db import open_store
from tests.conftest import ON_POSTGRESQL


@pytest.fixture
def store(nerv_home):
    s = open_store()
    yield s
    s.close()


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the connection's pragmas")
def test_every_connection_has_the_pragmas(store):
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the database file's mode")
def test_home_is_0700_and_database_0600(store, nerv_home):
    assert oct(nerv_home.stat().st_mode & 0o777) == "0o700"
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"


def test_a_change_without_audit_row_is_refused_and_rolled_back(store):
    def sneaky(tx):
        tx.conn.execute("INSERT INTO projects VALUES ('p', 'sneaky', NULL, 't', 't')")

    with pytest.raises(NervError) as err:
        store.write(sneaky)
    assert err.value.code == "internal"
    assert store._conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0


def test_a_change_with_its_audit_row_commits_both(store):
    def honest(tx):
        tx.conn.execute("INSERT INTO projects VALUES ('p', 'honest', NULL, 't', 't')")
        tx.audit("project.add", "project", "p", project_id="p", after={"name": "honest"})

    store.write(honest)
    row = store._conn.execute("SELECT actor, action, after FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert row == ("tester", "project.add", '{"name":"honest"}')
    assert audit.verify_chain(store._conn)["ok"]


def test_an_error_inside_the_body_rolls_everything_back(store):
    def failing(tx):
        tx.conn.execute("INSERT INTO projects VALUES ('p', 'x', NULL, 't', 't')")
        tx.audit("project.add", "project", "p")
        raise NervError("conflict", "changed my mind")

    count = store._conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(NervError):
        store.write(failing)
    assert store._conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0
    assert store._conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == count


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the file lock and busy_timeout (tests/pg: lock_timeout and SQLSTATE retries)")
def test_writes_wait_for_a_lock_held_longer_than_busy_timeout(store, monkeypatch):
    """A writer holding the lock past busy_timeout must not surface 'database is locked' to the user."""
    monkeypatch.setattr("nerv.store.sqlite.BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA busy_timeout = 50")
    store._conn.execute("PRAGMA busy_timeout = 50")
    other.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.4, lambda: other.execute("COMMIT"))
    releaser.start()
    started = time.monotonic()

    def body(tx):
        tx.conn.execute("INSERT INTO projects VALUES ('p', 'late', NULL, 't', 't')")
        tx.audit("project.add", "project", "p")

    store.write(body)
    releaser.join()
    other.close()
    assert time.monotonic() - started >= 0.3
    assert store._conn.execute("SELECT name FROM projects").fetchall() == [("late",)]


def test_audit_chain_detects_an_edited_row(store):
    for name in ("a", "b", "c"):
        store.write(lambda tx, n=name: (tx.conn.execute("INSERT INTO projects VALUES (?, ?, NULL, 't', 't')", (n, n)),
                                        tx.audit("project.add", "project", n)))
    assert audit.verify_chain(store._conn)["ok"]
    target = store._conn.execute("SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET 1").fetchone()[0]
    store._conn.execute("UPDATE audit_log SET actor='mallory' WHERE id=?", (target,))
    result = audit.verify_chain(store._conn)
    assert not result["ok"] and result["first_broken"]["id"] == target


def test_actor_comes_from_nerv_actor_then_agent_then_os_user(monkeypatch):
    assert audit.current_actor("agent-7") == "tester"
    monkeypatch.delenv("NERV_ACTOR")
    assert audit.current_actor("agent-7") == "agent-7"
    import getpass

    assert audit.current_actor() == getpass.getuser()
