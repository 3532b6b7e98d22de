"""The migration runner: checked plan, atomic migrations, refusal of newer or tampered databases."""

from __future__ import annotations

import sqlite3
import pytest

from nerv.errors import NervError
from nerv.store import migrate
from nerv.store.db import open_store
from nerv.store.sqlite import open_connection
from tests.conftest import ON_POSTGRESQL, assert_not_a_bug

# PostgreSQL's migrations, advisory lock and refusals: tests/pg and tests/store/test_migration_dialects.py.
pytestmark = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the local file's migrations, its pre-migration copy")


def write_plan(folder, files: dict[str, str]):
    folder.mkdir(exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


def test_fresh_home_applies_every_migration_once_with_history_and_audit(fresh_home, nerv_home):
    store = open_store()
    plan = migrate.load_plan()
    assert [m.version for m in store.migrated] == [m.version for m in plan]
    history = migrate.applied_migrations(store._conn)
    assert [h["checksum"] for h in history] == [m.checksum for m in plan]
    audits = store._conn.execute("SELECT count(*) FROM audit_log WHERE action='migrate'").fetchone()[0]
    assert audits == len(plan)
    store.close()
    again = open_store()
    assert again.migrated == []
    again.close()


@pytest.mark.parametrize("files, message", [
    ({"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"}, "duplicate migration number 0001"),
    ({"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"}, "0002 is missing"),
    ({"0001_a.sql": "SELECT 1;", "2_bad.sql": "SELECT 1;"}, "not named NNNN_slug.sql"),
])
def test_bad_plans_are_refused_before_anything_runs(tmp_path, files, message):
    with pytest.raises(NervError) as err:
        migrate.load_plan(write_plan(tmp_path / "m", files))
    assert message in err.value.message


def test_changed_checksum_of_an_applied_migration_is_refused(nerv_home):
    store = open_store()
    store._conn.execute("UPDATE schema_migrations SET checksum='x' WHERE version=1")
    store.close()
    with pytest.raises(NervError) as err:
        open_store()
    assert err.value.code == "migration" and "changed" in err.value.message


def test_a_failing_migration_leaves_the_previous_version(tmp_path):
    plan = migrate.load_plan(write_plan(tmp_path / "m", {
        "0001_ok.sql": "-- fine\nCREATE TABLE a (x INTEGER);\nCREATE TABLE audit_log (id INTEGER PRIMARY KEY, ts, actor,"
                       " action, entity, entity_id, project_id, before, after, prev_hash, hash);",
        "0002_bad.sql": "-- breaks halfway\nCREATE TABLE b (y INTEGER);\nINSERT INTO nope VALUES (1);",
    }))
    conn = open_connection(tmp_path / "db.sqlite")
    with pytest.raises(NervError) as err:
        migrate.apply_pending(conn, plan)
    assert "0002_bad.sql failed at statement 2" in err.value.message
    assert [h["version"] for h in migrate.applied_migrations(conn)] == [1]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "b" not in tables and "a" in tables


def test_statements_are_split_with_triggers_kept_whole():
    sql = ("-- c\nCREATE TABLE t (x);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = 1;\n"
           "  DELETE FROM t WHERE x = 2;\nEND;\n-- trailing comment\n")
    statements = migrate.split_statements(sql)
    assert len(statements) == 2 and statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_newer_database_is_refused_and_left_untouched(nerv_home, cli):
    assert cli("status").code == 0
    db = nerv_home / "state.db"
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_migrations VALUES (999, '0999_future', 'abc', '2030-01-01')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = {p.name: p.read_bytes() for p in nerv_home.iterdir() if p.is_file()}
    result = cli("--json", "status")
    assert result.code == 1
    assert result.error["code"] == "schema_newer"
    assert_not_a_bug(result)
    after = {p.name: p.read_bytes() for p in nerv_home.iterdir() if p.is_file()}
    assert after == before


def test_database_with_data_is_backed_up_before_migrating(fresh_home, nerv_home, tmp_path):
    plan = migrate.load_plan()
    if len(plan) < 2:
        pytest.skip("needs at least two migrations")
    conn = open_connection(nerv_home / "state.db")
    migrate.apply_pending(conn, plan[:1])
    conn.execute("INSERT INTO projects VALUES ('p1', 'old', NULL, 't', 't')")
    conn.close()
    store = open_store()
    assert store.pre_migration_backup is not None and store.pre_migration_backup.exists()
    copy = sqlite3.connect(store.pre_migration_backup)
    assert copy.execute("SELECT name FROM projects").fetchall() == [("old",)]
    assert copy.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 1
    copy.close()
    assert oct(store.pre_migration_backup.stat().st_mode & 0o777) == "0o600"
    store.close()


def test_db_status_is_read_only_and_gates_on_pending(fresh_home, nerv_home, cli):
    result = cli("--json", "db", "status")
    assert result.code == 1  # nothing applied yet: everything pending
    assert result.data["exists"] is False and result.data["pending"]
    assert not (nerv_home / "state.db").exists()
    assert cli("db", "migrate").code == 0
    ok = cli("--json", "db", "status")
    assert ok.code == 0 and ok.data["pending"] == [] and ok.data["current_version"] == len(migrate.load_plan())
