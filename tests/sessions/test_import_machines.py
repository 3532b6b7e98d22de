"""Usage from many machines: the same transcript imported on two machines, from two paths, or twice, is one
set of usage rows (keyed on the API call, never on the machine or the file), and every row names a machine."""

from __future__ import annotations

import shutil

from tests.sessions.conftest import copy_own

TOTALS_SQL = ("SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens),"
              " SUM(cache_write_1h_tokens), SUM(cache_read_tokens), SUM(cost_usd) FROM usage")
CALLS_SQL = "SELECT message_id, request_id, session_id, input_tokens, output_tokens FROM usage ORDER BY 1, 2, 3"


def ledger_figures(store_conn) -> tuple:
    calls = store_conn.execute(CALLS_SQL).fetchall()
    sessions = store_conn.execute("SELECT id, input_tokens, output_tokens, cache_read_tokens, cost_usd"
                                  " FROM claude_sessions ORDER BY id").fetchall()
    totals = store_conn.execute(TOTALS_SQL).fetchone()
    return ((*totals[:-1], round(totals[-1], 9)), [tuple(c) for c in calls],
            [(*s[:-1], round(s[-1], 9)) for s in sessions])


def figures():
    from nerv.store.db import open_store

    store = open_store()
    try:
        return ledger_figures(store._conn), sorted(set(r[0] for r in store._conn.execute(
            "SELECT machine_id FROM usage")))
    finally:
        store.close()


def import_as(cli, monkeypatch, machine: str, folder) -> dict:
    monkeypatch.setenv("NERV_MACHINE_ID", machine)
    result = cli("session", "import", folder, "--json")
    assert result.code == 0, result.stderr
    return result.data


def test_two_machines_two_paths_and_a_second_import_count_each_call_once(cli, monkeypatch, tmp_path, repo_dir):
    laptop = copy_own(tmp_path / "laptop" / "projects", repo_dir)
    runner = tmp_path / "ci-runner" / "somewhere-else"
    shutil.copytree(laptop, runner)

    first = import_as(cli, monkeypatch, "laptop", laptop)
    assert first["new_usage_rows"] > 0
    once, machines = figures()
    assert machines == ["laptop"]

    second = import_as(cli, monkeypatch, "ci-runner", runner)
    assert second["files_read"] == first["files_read"] and second["new_usage_rows"] == 0
    assert figures()[0] == once

    again = import_as(cli, monkeypatch, "ci-runner", runner)
    assert again["files_unchanged"] == again["files"] and again["new_usage_rows"] == 0
    again = import_as(cli, monkeypatch, "laptop", laptop)
    assert again["new_usage_rows"] == 0
    after, machines = figures()
    assert after == once
    assert set(machines) <= {"laptop", "ci-runner"} and None not in machines


def test_the_machine_id_is_made_once_and_kept_in_nerv_home(nerv_home, monkeypatch):
    from nerv import machine

    monkeypatch.delenv("NERV_MACHINE_ID", raising=False)
    made = machine.machine_id()
    assert len(made) == 32 and (nerv_home / machine.FILE_NAME).read_text().strip() == made
    assert (nerv_home / machine.FILE_NAME).stat().st_mode & 0o077 == 0
    assert machine.machine_id() == made
    monkeypatch.setenv("NERV_MACHINE_ID", "runner-7")
    assert machine.machine_id() == "runner-7"
