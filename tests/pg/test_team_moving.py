"""Moving a ledger in and out of PostgreSQL (`db copy`, export/import across backends) and what the
SQLite-era `db` commands and checkpoints do on a server, on a real server through the real CLI."""

from __future__ import annotations

import os
import sqlite3

import pytest

from tests.conftest import assert_not_a_bug


@pytest.fixture
def new_database(pg_server):
    """new_database() -> the URL of a new empty database on the session's server (dropped after the test)."""
    from nerv.cli import _ctx

    names = []

    def make() -> str:
        names.append(pg_server.create_database())
        return pg_server.url(names[-1])

    yield make
    _ctx.close()
    for name in names:
        pg_server.drop_database(name)


@pytest.fixture
def on(monkeypatch, nerv_home):
    """on(url) points the CLI at that server, on(None) at the local file (migrated on first use: with
    NERV_TEST_BACKEND=postgresql the suite's home holds no local file of its own)."""
    from nerv.store.db import open_store

    def point(url: str | None) -> None:
        if url is None:
            monkeypatch.delenv("NERV_DATABASE_URL", raising=False)
            if not (nerv_home / "state.db").exists():
                open_store(nerv_home / "state.db").close()
        else:
            monkeypatch.setenv("NERV_DATABASE_URL", url)

    return point



@pytest.fixture(autouse=True)
def start_on_the_local_file(on):
    """Each test starts on a local ledger file and names the servers it moves to, whatever backend the suite's
    home was given (NERV_TEST_BACKEND)."""
    on(None)

def _build_ledger(cli) -> None:
    assert cli("project", "add", "demo", "--goal", "moving").code == 0
    assert cli("project", "use", "demo").code == 0
    assert cli("task", "add", "parent").code == 0
    assert cli("task", "add", "child", "--parent", "1").code == 0
    assert cli("task", "add", "third").code == 0
    assert cli("task", "dep", "add", "3", "2").code == 0
    assert cli("task", "claim", "--agent", "a1").code == 0
    assert cli("decision", "add", "Use PostgreSQL", "--decision", "for teams").code == 0
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0


def _digest(target) -> str:
    """The state digest (nerv.store.admin.state_digest) of an SQLite file or a server database."""
    from nerv.store import postgres
    from nerv.store.admin import state_digest
    from nerv.store.db import open_readonly

    conn = postgres.open_connection(target) if str(target).startswith("postgresql://") else open_readonly(target)
    try:
        return state_digest(conn)
    finally:
        conn.close()


def assert_copy_refused(cli, target: str) -> None:
    """`db copy --to target` without --force is refused (`conflict`) and leaves the target as it was."""
    before = _digest(target)
    refused = cli("db", "copy", "--to", target, "--json")
    assert refused.code == 1 and refused.error["code"] == "conflict" and "--force" in refused.error["hint"]
    assert_not_a_bug(refused)
    assert _digest(target) == before


def _tasks(cli) -> list[tuple]:
    return [(t["number"], t["title"], t["status"], t["assignee"]) for t in cli("task", "list", "--json").data]


def test_a_ledger_moves_to_postgresql_and_back_verified(cli, on, new_database, nerv_home, tmp_path, monkeypatch):
    _build_ledger(cli)
    source_head = cli("audit", "verify", "--json").data["head"]
    source_tasks = _tasks(cli)
    url = new_database()

    copied = cli("db", "copy", "--to", url, "--json")
    assert copied.code == 0, copied.stderr
    data = copied.data
    assert data["audit_head"] == data["source_audit_head"] == source_head and data["audit_chain_ok"]
    assert data["tables"]["tasks"] == 3 and data["tables"]["task_deps"] == 1 and data["replaced_rows"] > 0
    assert _digest(url) == _digest(nerv_home / "state.db")

    on(url)
    assert _tasks(cli) == source_tasks
    assert cli("audit", "verify", "--json").data["head"] == source_head
    child = cli("task", "show", "2", "--json").data
    assert child["parent_id"] == cli("task", "show", "1", "--json").data["id"]
    # The identity sequences moved past the copied ids: new audit rows and tasks follow them.
    assert cli("task", "add", "made on the server", "--json").data["number"] == 4
    verified = cli("audit", "verify", "--json").data
    assert verified["ok"] and verified["head"]["id"] > source_head["id"]

    back = tmp_path / "back" / "state.db"
    returned = cli("db", "copy", "--to", str(back), "--json")
    assert returned.code == 0, returned.stderr
    assert _digest(back) == _digest(url)
    on(None)
    monkeypatch.setenv("NERV_DB", str(back))
    assert [t[1] for t in _tasks(cli)] == ["parent", "child", "third", "made on the server"]
    assert cli("audit", "verify", "--json").data["ok"]


def test_a_copy_between_two_server_databases(cli, on, new_database, nerv_home):
    _build_ledger(cli)
    first, second = new_database(), new_database()
    assert cli("db", "copy", "--to", first).code == 0
    on(first)
    source_head = cli("audit", "verify", "--json").data["head"]

    into_empty = cli("db", "copy", "--to", second, "--json")
    assert into_empty.code == 0, into_empty.stderr
    assert into_empty.data["audit_head"] == source_head and into_empty.data["safety_backup"] is None
    assert _digest(second) == _digest(first)

    assert cli("task", "add", "only on the first").code == 0
    before = _digest(second)
    assert_copy_refused(cli, second)

    forced = cli("db", "copy", "--to", second, "--force", "--json")
    assert forced.code == 0, forced.stderr
    assert _digest(second) == _digest(first) != before
    assert os.path.exists(forced.data["safety_backup"]) and forced.data["replaced_rows"] > 0

    # The other way: the second, changed on its own, replaces the first.
    on(second)
    assert cli("task", "add", "only on the second").code == 0
    back = cli("db", "copy", "--to", first, "--force", "--json")
    assert back.code == 0, back.stderr
    assert _digest(first) == _digest(second)
    on(first)
    assert [t[1] for t in _tasks(cli)][-2:] == ["only on the first", "only on the second"]
    assert cli("audit", "verify", "--json").data["head"] == back.data["audit_head"]


# Text keys whose order differs between bytes ("C": "Zeta" < "_beta" < "alpha") and English
# ("_beta" < "alpha" < "Zeta").
MODEL_NAMES = ("Zeta-model", "alpha-model", "_beta-model", "émile-model", "Émile-model")


@pytest.fixture
def english_database(pg_server):
    """The URL of a new database whose text sorts by ICU's English collation, not byte by byte."""
    import uuid

    import psycopg2

    name = "t_icu_" + uuid.uuid4().hex[:12]
    admin = pg_server.admin()
    try:
        admin.cursor().execute(f"CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'en' TEMPLATE template0")
    except psycopg2.Error as exc:
        pytest.skip(f"the test server has no ICU collations: {exc}")
    finally:
        admin.close()
    yield pg_server.url(name)
    from nerv.cli import _ctx

    _ctx.close()
    pg_server.drop_database(name)


def test_the_digest_is_the_same_on_both_backends_whatever_the_servers_collation(cli, nerv_home, english_database):
    from nerv.store import postgres

    _build_ledger(cli)
    for model in MODEL_NAMES:
        assert cli("pricing", "set", model, "--input", "1", "--output", "5").code == 0
    copied = cli("db", "copy", "--to", english_database, "--json")  # compares the digests before it commits
    assert copied.code == 0, copied.stderr
    assert _digest(english_database) == _digest(nerv_home / "state.db") == copied.data["digest"]
    conn = postgres.open_connection(english_database)
    try:
        served = [r[0] for r in conn.execute(
            "SELECT model FROM model_prices WHERE model LIKE '%-model' ORDER BY model")]
    finally:
        conn.close()
    assert served != sorted(MODEL_NAMES)  # the server's own order is not the bytes' order


def test_a_copy_between_two_files(cli, nerv_home, tmp_path):
    _build_ledger(cli)
    target = tmp_path / "other.db"
    result = cli("db", "copy", "--to", str(target), "--json")
    assert result.code == 0, result.stderr
    assert _digest(target) == _digest(nerv_home / "state.db")
    assert result.data["audit_head"] == cli("audit", "verify", "--json").data["head"]


def test_a_target_holding_a_ledger_is_refused_and_left_untouched(cli, on, new_database, nerv_home, tmp_path):
    _build_ledger(cli)
    url = new_database()
    assert cli("db", "copy", "--to", url).code == 0
    assert cli("task", "add", "after the first copy").code == 0
    assert_copy_refused(cli, url)

    other_home = tmp_path / "other-home" / "state.db"
    on(url)
    assert cli("db", "copy", "--to", str(other_home)).code == 0
    on(None)
    file_before = _digest(other_home)
    refused = cli("db", "copy", "--to", str(other_home), "--json")
    assert refused.code == 1 and refused.error["code"] == "conflict"
    assert _digest(other_home) == file_before

    forced = cli("db", "copy", "--to", url, "--force", "--json")
    assert forced.code == 0, forced.stderr
    assert _digest(url) == _digest(nerv_home / "state.db")
    assert os.path.exists(forced.data["safety_backup"])  # what the target held, kept before it was replaced


def test_the_source_itself_is_refused(cli, nerv_home):
    result = cli("db", "copy", "--to", str(nerv_home / "state.db"), "--json")
    assert result.code == 2 and result.error["code"] == "usage"
    assert_not_a_bug(result)


def test_a_failed_copy_leaves_the_target_empty(cli, on, new_database, nerv_home, monkeypatch):
    from nerv.errors import NervError
    from nerv.store import tables_io

    _build_ledger(cli)
    url = new_database()

    def failing_check(conn, expected):
        raise NervError("integrity", "injected: the copy differs")

    monkeypatch.setattr(tables_io, "check_copy", failing_check)
    result = cli("db", "copy", "--to", url, "--json")
    assert result.code == 1 and result.error["code"] == "integrity"
    monkeypatch.undo()
    on(url)
    assert cli("task", "list", "--project", "demo", "--json").error["code"] == "not_found"
    assert cli("audit", "verify", "--json").data["ok"]


def test_a_source_with_a_broken_chain_is_not_copied(cli, on, new_database, nerv_home):
    _build_ledger(cli)
    conn = sqlite3.connect(nerv_home / "state.db")
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 20")
    conn.commit()
    conn.close()
    url = new_database()
    result = cli("db", "copy", "--to", url, "--json")
    assert result.code == 1 and result.error["code"] == "integrity"
    assert_not_a_bug(result)
    on(url)
    assert cli("project", "list", "--json").data == []


@pytest.mark.parametrize("file_format", ["json", "jsonl"])
def test_export_and_import_across_backends_both_ways(cli, on, new_database, nerv_home, tmp_path, file_format,
                                                     monkeypatch):
    _build_ledger(cli)
    source_tasks = _tasks(cli)
    from_file = tmp_path / f"from-sqlite.{file_format}"
    assert cli("export", "--format", file_format, "-o", str(from_file)).code == 0

    url = new_database()
    on(url)
    imported = cli("import", str(from_file), "--json")
    assert imported.code == 0, imported.stderr
    assert imported.data["audit"]["mode"] == "adopted"
    assert _tasks(cli) == source_tasks
    assert cli("audit", "verify", "--against", str(from_file), "--json").data["ok"]
    assert cli("task", "add", "on the server", "--json").data["number"] == 4

    from_server = tmp_path / f"from-postgresql.{file_format}"
    assert cli("export", "--format", file_format, "-o", str(from_server)).code == 0
    on(None)
    (tmp_path / "fresh").mkdir()
    monkeypatch.setenv("NERV_DB", str(tmp_path / "fresh" / "state.db"))
    assert cli("import", str(from_server)).code == 0
    assert [t[1] for t in _tasks(cli)] == ["parent", "child", "third", "on the server"]
    assert cli("audit", "verify", "--against", str(from_server), "--json").data["ok"]


def test_merge_and_replace_imports_on_postgresql(cli, on, new_database, tmp_path):
    url = new_database()
    on(url)
    _build_ledger(cli)
    export = tmp_path / "state.json"
    assert cli("export", "-o", str(export)).code == 0
    assert cli("task", "edit", "3", "--title", "renamed").code == 0
    merged = cli("import", str(export), "--json").data
    assert merged["tables"]["tasks"]["updated"] == 1 and merged["conflicts"][0]["table"] == "tasks"
    assert cli("task", "show", "3", "--json").data["title"] == "third"
    assert cli("task", "add", "extra").code == 0
    replaced = cli("import", str(export), "--mode", "replace", "--yes", "--json")
    assert replaced.code == 0, replaced.stderr
    assert replaced.data["safety_backup"] and os.path.exists(replaced.data["safety_backup"])
    assert [t[1] for t in _tasks(cli)] == ["parent", "child", "third"]
    assert cli("audit", "verify", "--json").data["ok"]


def test_checkpoint_restore_on_postgresql_brings_back_parents_and_children(cli, pg_database):
    assert cli("project", "add", "demo").code == 0
    assert cli("project", "use", "demo").code == 0
    for title, parent in (("epic", None), ("part one", "1"), ("part two", "2")):
        assert cli("task", "add", title, *(["--parent", parent] if parent else [])).code == 0
    assert cli("checkpoint", "create", "before").code == 0
    for number in ("3", "2", "1"):
        assert cli("task", "rm", number, "--yes").code == 0
    restored = cli("checkpoint", "restore", "1", "--yes", "--json")
    assert restored.code == 0, restored.stderr
    assert restored.data["changes"]["tasks"]["added"] == 3
    shown = {n: cli("task", "show", n, "--json").data for n in ("1", "2", "3")}
    assert shown["2"]["parent_id"] == shown["1"]["id"] and shown["3"]["parent_id"] == shown["2"]["id"]
    assert cli("audit", "verify", "--json").data["ok"]


def test_backup_through_pg_dump_and_restore_into_an_empty_database(cli, on, pg_database, new_database, tmp_path):
    _build_ledger(cli)
    tasks = _tasks(cli)
    dump = tmp_path / "dumps" / "team.dump"
    dump.parent.mkdir()
    backed_up = cli("db", "backup", str(dump), "--json")
    assert backed_up.code == 0, backed_up.stderr
    assert backed_up.data["verified"] and backed_up.data["format"] == "pg_dump custom"
    assert dump.read_bytes()[:5] == b"PGDMP" and (dump.stat().st_mode & 0o777) == 0o600
    assert os.listdir(dump.parent) == ["team.dump"]  # the temp file was renamed, nothing left beside it

    empty = new_database()
    on(empty)
    restored = cli("db", "restore", str(dump), "--yes", "--json")
    assert restored.code == 0, restored.stderr
    assert restored.data["audit_chain_ok"]
    assert _tasks(cli) == tasks
    refused = cli("db", "restore", str(dump), "--yes", "--json")
    assert refused.code == 1 and refused.error["code"] == "conflict"
    assert_not_a_bug(refused)
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("not a dump\n")
    bad = cli("db", "restore", str(not_a_dump), "--yes", "--force", "--json")
    assert bad.code == 1 and bad.error["code"] == "database"
    assert_not_a_bug(bad)
    assert _tasks(cli) == tasks


def test_without_pg_dump_backup_is_not_applicable_and_names_it(cli, pg_database, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    result = cli("db", "backup", str(tmp_path / "x.dump"), "--json")
    assert result.code == 1 and result.error["code"] == "not_applicable" and "pg_dump" in result.error["message"]
    assert_not_a_bug(result)
    assert not (tmp_path / "x.dump").exists()


def test_db_health_and_status_from_the_server_and_what_does_not_apply(cli, pg_database):
    health = cli("db", "health", "--json")
    assert health.code == 0, health.stderr
    data = health.data
    assert data["healthy"] and data["connections"] >= 1 and data["database_size_bytes"] > 0
    assert data["schema_version"] >= 17 and data["max_connections"] > 0
    status = cli("db", "status", "--json")
    assert status.code == 0, status.stderr
    assert status.data["path"] == pg_database and status.data["current_version"] == status.data["latest_version"]
    assert status.data["counts"]["audit_log"] > 0 and status.data["size_bytes"] > 0
    for command in (["db", "vacuum"], ["db", "integrity"], ["db", "checkpoint"]):
        refused = cli(*command, "--json")
        assert refused.code == 1 and refused.error["code"] == "not_applicable", command
