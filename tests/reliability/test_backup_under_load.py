"""Backups taken while 8 writers change tasks satisfy an application invariant, not just integrity_check:
in every copy, each task's audit history replays exactly to its current row.

Larger setting: python tests/bench/backup_load.py --backups 50
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, backup_connection, raw_connection, run_cli, run_proc

pytestmark = pytest.mark.slow  # several processes

WORKERS = Path(__file__).with_name("workers.py")


def replay_problems(conn) -> list[str]:
    """Replay the audit log's task rows and compare with the tasks table of `conn`; [] when they agree."""
    if not ON_POSTGRESQL:  # the copied file's pages (pg_restore restores a dump whole or refuses it)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    columns = [column[0] for column in conn.execute("SELECT * FROM tasks LIMIT 0").description]
    state: dict[str, dict] = {}
    for entity_id, before, after in conn.execute(
            "SELECT entity_id, before, after FROM audit_log WHERE entity='task' ORDER BY id").fetchall():
        change = json.loads(after) if after else None
        if change is None:
            state.pop(entity_id, None)
        elif before is None:
            state[entity_id] = dict(change)
        else:
            state.setdefault(entity_id, {}).update(change)
    current = {row[0]: dict(zip(columns, row))
               for row in conn.execute(f"SELECT {', '.join(columns)} FROM tasks").fetchall()}
    problems = [f"task {t} exists without its audit history" for t in current.keys() - state.keys()]
    problems += [f"task {t} is in the audit history but not in the table" for t in state.keys() - current.keys()]
    for task_id in current.keys() & state.keys():
        replayed = {k: v for k, v in state[task_id].items() if k in current[task_id]}
        differing = {k for k in columns if replayed.get(k) != current[task_id][k]}
        if differing:
            problems.append(f"task {task_id}: {sorted(differing)} differ from the replayed audit history")
    return problems


def backups_under_load(home: Path, writers: int, backups: int) -> list[dict]:
    assert run_cli("project", "add", "load").code == 0
    env = {**os.environ, "NERV_HOME": str(home)}
    procs = [subprocess.Popen([sys.executable, str(WORKERS), "tasks", "-"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(writers)]
    results = []
    try:
        time.sleep(1.0)
        for index in range(backups):
            dest = home.parent / f"copy-{index}.db"
            made = run_proc("--json", "db", "backup", str(dest), env={"NERV_HOME": str(home)}, timeout=120)
            assert made.code == 0, made.stderr
            with backup_connection(dest) as conn:
                tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
                results.append({"backup": dest.name, "tasks": tasks, "problems": replay_problems(conn)})
            time.sleep(0.2)
    finally:
        for p in procs:
            p.kill()
            p.wait()
    for p in procs:
        stderr = p.stderr.read().decode()
        assert_not_a_bug(stderr)
    return results


def test_every_backup_taken_under_load_replays_consistently(nerv_home):
    results = backups_under_load(nerv_home, writers=8, backups=6)
    print("backup under load:", [(r["backup"], r["tasks"]) for r in results])
    assert all(r["problems"] == [] for r in results), [r["problems"][:3] for r in results]
    assert results[-1]["tasks"] > results[0]["tasks"]  # the writers kept writing between backups


def test_the_invariant_check_catches_a_task_changed_without_audit(nerv_home):
    """The check above must be able to fail: a direct UPDATE breaks it."""
    assert run_cli("project", "add", "load").code == 0
    assert run_cli("task", "add", "one", "--project", "load").code == 0
    conn = raw_connection(nerv_home)
    try:
        assert replay_problems(conn) == []
        conn.execute("UPDATE tasks SET priority = 4")
        problems = replay_problems(conn)
    finally:
        conn.close()
    assert problems and "priority" in problems[0]
