"""Eight processes starting at once on an empty home: the migrations run once and no process errors."""

from __future__ import annotations

import json
import subprocess

import pytest

from nerv.store import migrate
from tests.conftest import nerv_executable, raw_connection, use_new_database

pytestmark = pytest.mark.slow  # eight processes


def test_eight_processes_starting_at_once_migrate_once_without_errors(request, monkeypatch, fresh_home):
    use_new_database(request, monkeypatch, fresh_home)  # on PostgreSQL an empty database: nothing migrated yet
    # `db migrate` reports what this process applied, so "ran once" is checked from the callers' side too.
    cmd = nerv_executable() + ["--json", "db", "migrate"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _, _ in results), results
    assert all(err == "" for _, _, err in results), results
    ran = [m for _, out, _ in results for m in json.loads(out)["data"]["applied"]]
    plan = migrate.load_plan()
    assert sorted(m["version"] for m in ran) == [m.version for m in plan]  # each migration ran exactly once
    conn = raw_connection(fresh_home)
    try:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(plan)
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action='migrate'").fetchone()[0] == len(plan)
    finally:
        conn.close()
