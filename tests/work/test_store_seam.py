"""The store seam: claims as compare-and-swaps, counters for numbers, the search generation per
transaction, and the per-dialect migration layout that keeps old databases opening unchanged."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest

from nerv.errors import NervError
from nerv.store import migrate
from nerv.store.db import open_store
from tests.conftest import ON_POSTGRESQL, nerv_executable

FIXTURES = Path(__file__).parent.parent / "fixtures" / "databases"


def _racers(count: int, args: list[str], go: Path, env: dict) -> list[subprocess.Popen]:
    """`count` real CLI processes that each run `nerv <args> --json` as soon as `go` exists."""
    script = 'while [ ! -e "$GO" ]; do sleep 0.01; done; exec "$@"'
    return [subprocess.Popen(["sh", "-c", script, "sh", *nerv_executable(), *args, "--json"],
                             env={**env, "GO": str(go), "NERV_AGENT": f"racer-{i}"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(count)]


def _race(tmp_path, count: int, args: list[str]) -> list[tuple[int, str, str]]:
    go = tmp_path / "go"
    procs = _racers(count, args, go, {**os.environ, "NERV_PROJECT": "demo"})
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]


@pytest.mark.slow  # starts concurrent processes
def test_processes_claiming_the_same_task_exactly_one_wins(cli, project, tmp_path):
    assert cli("task", "add", "contested").code == 0
    results = _race(tmp_path, 6, ["task", "claim", "1"])
    winners = [json.loads(out)["data"] for code, out, _ in results if code == 0]
    losers = [json.loads(err)["error"]["code"] for code, _, err in results if code != 0]
    assert len(winners) == 1 and winners[0]["status"] == "in_progress"
    assert losers == ["conflict"] * 5
    shown = cli("--json", "task", "show", "1").data
    assert shown["assignee"] == winners[0]["assignee"]
    audit = cli("--json", "audit", "list", "--limit", "50").data
    assert sum(1 for row in audit if row["action"] == "task.claim") == 1


def test_a_claim_whose_row_changed_under_it_changes_nothing(cli, project, nerv_home):
    """The swap itself, without SQLite's single writer: a second connection's claim sees the row taken."""
    assert cli("task", "add", "once").code == 0
    where = None if ON_POSTGRESQL else nerv_home / "state.db"
    first, second = open_store(where), open_store(where)
    try:
        task_id = first._conn.execute("SELECT id FROM tasks WHERE number = 1").fetchone()[0]
        fields = {"status": "in_progress", "assignee": "a", "lease_expires_at": "2999-01-01T00:00:00.000000Z"}

        def take(store, agent):
            def body(tx):
                won = store.tasks.claim(tx, task_id, {**fields, "assignee": agent, "updated_at": tx.now})
                if won:
                    tx.audit("task.claim", "task", task_id)
                return won
            return store.write(body)

        assert take(first, "a") is True
        assert take(second, "b") is False
        assert second._conn.execute("SELECT assignee FROM tasks WHERE id = ?", (task_id,)).fetchone() == ("a",)
    finally:
        first.close()
        second.close()


@pytest.mark.slow  # starts concurrent processes
def test_concurrent_task_adds_never_share_a_number(cli, project, tmp_path):
    results = []
    for _ in range(3):
        results += _race(tmp_path, 5, ["task", "add", "parallel"])
        (tmp_path / "go").unlink()
    assert [code for code, _, _ in results] == [0] * 15, [err for _, _, err in results]
    numbers = sorted(json.loads(out)["data"]["number"] for _, out, _ in results)
    assert numbers == list(range(1, 16))


def test_numbers_are_never_reused_and_follow_rows_written_by_any_path(cli, project, nerv_home, raw_db):
    assert cli("task", "add", "a").code == 0
    # A row that arrived without the counter (an import, a hand edit) still moves it.
    raw_db.execute("INSERT INTO tasks (id, project_id, number, title, created_at, updated_at)"
                   " SELECT 'imported', project_id, 40, 'x', created_at, updated_at FROM tasks WHERE number = 1")
    assert cli("--json", "task", "add", "b").data["number"] == 41
    raw_db.execute("DELETE FROM tasks WHERE number = 41")
    assert cli("--json", "task", "add", "c").data["number"] == 42


def test_the_search_generation_moves_once_per_transaction(cli, project, nerv_home, raw_db):
    before = raw_db.execute("SELECT generation FROM search_meta").fetchone()[0]
    assert cli("task", "add", "indexed", "--description", "words").code == 0
    after = raw_db.execute("SELECT generation FROM search_meta").fetchone()[0]
    assert after == before + 1
    assert raw_db.execute("SELECT seq FROM search_items WHERE kind = 'task'").fetchone() == (after,)
    assert raw_db.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)
    assert cli("task", "start", "1").code == 0  # not an indexed column: the generation stays
    assert raw_db.execute("SELECT generation FROM search_meta").fetchone()[0] == after


def test_a_database_made_by_the_previous_layout_opens_without_rerunning_anything(tmp_path):
    """tests/fixtures/databases/state_v0008.db.gz was written by nerv at schema 8, before the dialect layout."""
    db = tmp_path / "state.db"
    db.write_bytes(gzip.decompress((FIXTURES / "state_v0008.db.gz").read_bytes()))
    old_ledger = [tuple(r) for r in __import__("sqlite3").connect(db).execute(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")]
    store = open_store(db)
    try:
        assert [m.version for m in store.migrated] == [m.version for m in migrate.load_plan()][8:]
        ledger = [tuple(r) for r in store._conn.execute(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")]
        assert ledger[:8] == old_ledger
        counters = dict(store._conn.execute("SELECT kind, last FROM project_counters").fetchall())
        assert counters["task"] == 3 and counters["decision"] == 1 and counters["cycle"] == 1
    finally:
        store.close()
    again = open_store(db)
    assert again.migrated == []
    again.close()


def _plan_dir(tmp_path, files: dict[str, str]) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


def test_a_second_dialect_reads_its_own_files_with_the_same_names(tmp_path):
    folder = _plan_dir(tmp_path, {"0001_start.sql": "CREATE TABLE a (x);\n",
                                  "0001_start.postgresql.sql": "CREATE TABLE a (x integer);\n",
                                  "0002_more.sql": "CREATE TABLE b (x);\n",
                                  "0002_more.postgresql.sql": "CREATE TABLE b (x integer);\n"})
    sqlite_plan, pg_plan = migrate.load_plan(folder), migrate.load_plan(folder, "postgresql")
    assert [m.name for m in sqlite_plan] == [m.name for m in pg_plan] == ["0001_start", "0002_more"]
    assert [m.path.name for m in pg_plan] == ["0001_start.postgresql.sql", "0002_more.postgresql.sql"]
    assert sqlite_plan[0].checksum != pg_plan[0].checksum


@pytest.mark.parametrize("files, message", [
    ({"0001_start.sql": "SELECT 1;", "0001_begin.postgresql.sql": "SELECT 1;"}, "another name"),
    ({"0001_start.sql": "SELECT 1;", "0002_more.sql": "SELECT 1;", "0002_more.postgresql.sql": "SELECT 1;"},
     "postgresql migration number 0001 is missing"),
    ({"0001_start.sql": "SELECT 1;", "0001_again.sql": "SELECT 1;"}, "duplicate migration number"),
])
def test_a_dialect_plan_that_does_not_line_up_is_refused(tmp_path, files, message):
    with pytest.raises(NervError) as caught:
        migrate.load_plan(_plan_dir(tmp_path, files), "postgresql")
    assert caught.value.code == "migration" and message in caught.value.message
