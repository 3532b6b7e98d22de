"""`nerv db backup|restore|vacuum|integrity`: verified online copies, safe restores, refusals that change nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug
from tests.safety.seed import seed_state

# `db backup` on PostgreSQL is a pg_dump (tests/pg/test_team_moving.py); these read or edit the copy as a SQLite file.
local_copy = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: `db backup` and `db restore` of the local file (the backup API)")

WRITER = r"""
import json, sys
from nerv.store.db import open_store

store = open_store()
for _ in range(int(sys.argv[1])):
    def body(tx):
        row = tx.conn.execute("SELECT value FROM settings WHERE project_id IS NULL AND key = 'x.counter'").fetchone()
        value = json.loads(row[0]) + 1
        tx.conn.execute("UPDATE settings SET value = ? WHERE project_id IS NULL AND key = 'x.counter'", (json.dumps(value),))
        tx.conn.execute("INSERT INTO metrics (name, value, recorded_at) VALUES ('counter', ?, ?)", (value, tx.now))
        tx.audit("counter.inc", "setting", "x.counter", before={"value": value - 1}, after={"value": value})
    store.write(body)
store.close()
"""


def _invariant(path: Path) -> tuple[int, int, int]:
    """In every consistent state: counter value == audit rows of its increments == metric rows written with it."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        value = json.loads(conn.execute("SELECT value FROM settings WHERE key = 'x.counter'").fetchone()[0])
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'counter.inc'").fetchone()[0]
        metrics = conn.execute("SELECT count(*), coalesce(max(value), 0) FROM metrics WHERE name = 'counter'").fetchone()
        return value, audited, metrics[0]
    finally:
        conn.close()


@local_copy
@pytest.mark.slow
def test_backups_while_several_processes_write_are_consistent(cli, nerv_home, tmp_path):
    assert cli("settings", "set", "x.counter", "0").code == 0
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, "120"], env=dict(os.environ)) for _ in range(3)]
    copies = []
    try:
        while any(w.poll() is None for w in writers) or len(copies) < 3:
            dest = tmp_path / f"copy-{len(copies)}.db"
            result = cli("db", "backup", str(dest), "--json")
            assert result.code == 0, result.stderr
            assert result.data["verified"]
            copies.append(dest)
            time.sleep(0.02)
    finally:
        for w in writers:
            w.wait(timeout=60)
    assert all(w.returncode == 0 for w in writers)
    seen = set()
    for copy in copies:
        value, audited, metrics = _invariant(copy)
        assert value == audited == metrics, copy
        seen.add(value)
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    assert _invariant(nerv_home / "state.db")[0] == 360
    assert len(seen) >= 2  # copies were taken at different moments of the writing


def test_default_destination_rotation_and_verification(cli, nerv_home):
    seed_state(projects=1)
    made = []
    for _ in range(3):
        result = cli("db", "backup", "--keep", "2", "--json")
        assert result.code == 0, result.stderr
        made.append(result.data)
    suffix = ".dump" if ON_POSTGRESQL else ".db"  # a pg_dump of the server, a copy of the SQLite file
    names = sorted(p.name for p in (nerv_home / "backups").iterdir())
    assert len(names) == 2 and all(n.startswith("state-") and n.endswith(suffix) for n in names)
    assert made[-1]["removed"] == [made[0]["path"]]
    data = made[-1]
    assert data["counts"]["tasks"] == 4 and data["schema_version"] >= 5
    path = Path(data["path"])
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not Path(str(path) + "-wal").exists()


@local_copy
def test_backup_verifies_with_quick_check_unless_the_full_check_is_asked_for(cli, nerv_home, monkeypatch):
    from nerv.store import sqlite as nerv_sqlite

    seed_state(projects=1)
    opened = nerv_sqlite.open_connection
    statements = []

    def traced(*args, **kwargs):
        conn = opened(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(nerv_sqlite, "open_connection", traced)
    quick = cli("db", "backup", "--json")
    assert quick.code == 0 and quick.data["check"] == "quick_check"
    assert "PRAGMA quick_check" in statements and "PRAGMA integrity_check" not in statements
    statements.clear()
    full = cli("db", "backup", "--full-check", "--json")
    assert full.code == 0 and full.data["check"] == "integrity_check"
    assert "PRAGMA integrity_check" in statements and "PRAGMA quick_check" not in statements
    assert "backup verified (quick_check)" in cli("db", "backup").stdout


def test_bad_destinations_change_nothing(cli, nerv_home, tmp_path, db_hash):
    seed_state(projects=1)
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    before = db_hash()
    if os.geteuid() == 0:
        unwritable = Path("/proc/nerv-backup-test.db")  # root ignores permission bits; /proc refuses new files
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        unwritable = locked / "b.db"
    for dest, expected in ((existing, "already exists"), (tmp_path, "directory"), (unwritable, "write"),
                           (tmp_path / "missing" / "b.db", "does not exist")):
        result = cli("db", "backup", str(dest))
        assert result.code == 1 and expected in result.stderr, (dest, result.stderr)
        assert_not_a_bug(result)
    assert existing.read_text() == "keep me"
    assert db_hash() == before
    assert cli("db", "backup", "--keep", "0").code == 2


@local_copy
def test_restore_brings_back_the_state_and_audits_it(cli, nerv_home, tmp_path):
    seed_state(projects=1)
    backup = cli("db", "backup", str(tmp_path / "b.db"), "--json").data
    cli("project", "add", "after-backup")
    assert cli("db", "restore", str(tmp_path / "b.db")).code == 2  # --yes required
    result = cli("db", "restore", str(tmp_path / "b.db"), "--yes", "--json")
    assert result.code == 0, result.stderr
    assert result.data["audit_chain_ok"]
    assert Path(result.data["safety_backup"]).exists()
    from nerv.cli import _ctx

    _ctx.close()
    # A fresh process-level view: no stale WAL frames may bring the later project back.
    conn = sqlite3.connect(nerv_home / "state.db")
    names = {r[0] for r in conn.execute("SELECT name FROM projects")}
    last = conn.execute("SELECT action, after FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert names == {"proj0"}
    assert last[0] == "db.restore" and json.loads(last[1])["rows"] == sum(backup["counts"].values())
    assert cli("audit", "verify", "--json").data["ok"]
    assert cli("db", "integrity", "--json").code == 0
    # The safety backup holds the state that was replaced.
    safety = sqlite3.connect(result.data["safety_backup"])
    assert "after-backup" in {r[0] for r in safety.execute("SELECT name FROM projects")}
    safety.close()


@local_copy
def test_restore_refuses_bad_sources_and_changes_nothing(cli, nerv_home, tmp_path, db_hash):
    seed_state(projects=1)

    def altered_backup(name: str, sql: str) -> Path:
        path = tmp_path / name
        assert cli("db", "backup", str(path)).code == 0
        conn = sqlite3.connect(path)
        conn.execute(sql)
        conn.commit()
        conn.close()
        return path

    newer = altered_backup("newer.db", "INSERT INTO schema_migrations VALUES (999, 'future', 'x', '2030-01-01')")
    tampered = altered_backup("tampered.db", "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    text = tmp_path / "notes.txt"
    text.write_text("hello, I am not a database\n" * 100)
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    cli("project", "add", "later")
    before = db_hash()
    files_before = sorted(os.listdir(nerv_home))
    for source, expected in ((text, "not"), (newer, "newer"), (tampered, "audit chain"), (plain, "not a nerv"),
                             (tmp_path / "missing.db", "does not exist"), (tmp_path, "directory")):
        result = cli("db", "restore", str(source), "--yes")
        assert result.code != 0 and expected in result.stderr, (source, result.stderr)
        assert_not_a_bug(result)
        assert db_hash() == before, source
    assert sorted(os.listdir(nerv_home)) == files_before


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: `db integrity` and `db vacuum` of the local file (not applicable on PostgreSQL)")
def test_integrity_and_vacuum(cli, nerv_home):
    seed_state(projects=1)
    assert cli("db", "integrity").code == 0
    result = cli("db", "vacuum", "--json")
    assert result.code == 0 and result.data["size_after"] > 0
    from nerv.cli import _ctx

    _ctx.close()
    conn = sqlite3.connect(nerv_home / "state.db")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO task_deps (task_id, depends_on_id, created_at) VALUES ('nope', 'nada', 'x')")
    conn.commit()
    conn.close()
    result = cli("db", "integrity", "--json")
    assert result.code == 1
    assert result.data["foreign_key_violations"][0]["table"] == "task_deps"
    assert cli("db", "integrity").code == 1


@local_copy
def test_restore_of_an_older_schema_is_migrated(cli, nerv_home, tmp_path):
    from nerv.store import migrate
    from nerv.store.sqlite import open_connection

    old = tmp_path / "old.db"
    conn = open_connection(old)
    plan = migrate.load_plan()
    migrate.apply_pending(conn, plan[:2])
    conn.execute("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('p1', 'legacy', 'x', 'x')")
    conn.close()
    cli("project", "add", "current")
    result = cli("db", "restore", str(old), "--yes", "--json")
    assert result.code == 0, result.stderr
    assert result.data["source_schema_version"] == 2
    assert result.data["migrated"] == [m.version for m in plan[2:]]
    assert result.data["schema_version"] == plan[-1].version and result.data["audit_chain_ok"]
    assert [p["name"] for p in cli("project", "list", "--json").data] == ["legacy"]
