"""Team mode under concurrency, with real processes on a real PostgreSQL server (tests/pg_server.py):
eight first starts migrate once; sixteen claimers drain one pool and each task is claimed exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).with_name("workers.py")
pytestmark = pytest.mark.slow


def _env(url: str, home: Path) -> dict:
    # This checkout's nerv, not an installed one: the processes must run the code under test.
    return {**os.environ, "PYTHONPATH": str(ROOT), "NERV_DATABASE_URL": url, "NERV_HOME": str(home)}


def _start(argv: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(procs: list[subprocess.Popen], timeout: float = 600) -> None:
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]


def _query(url: str, sql: str):
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_eight_first_starts_migrate_once(pg_database, nerv_home):
    env = _env(pg_database, nerv_home)
    procs = [_start([sys.executable, "-m", "nerv", "db", "migrate", "--json"], env) for _ in range(8)]
    _finish(procs, timeout=300)
    from nerv.store.migrate import load_plan

    plan = load_plan(dialect="postgresql")
    ledger = _query(pg_database, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    assert ledger == [(m.version, m.name, m.checksum) for m in plan]
    assert _query(pg_database, "SELECT count(*) FROM audit_log WHERE action = 'migrate'") == [(len(plan),)]


def test_sixteen_processes_claim_each_task_exactly_once(pg_database, nerv_home, tmp_path):
    processes, claims_each, seeders = 16, 200, 4
    env = _env(pg_database, nerv_home)
    python = [sys.executable, str(WORKERS)]
    _finish([_start(python + ["project"], env)])
    _finish([_start(python + ["seed", str(processes * claims_each // seeders)], env) for _ in range(seeders)])
    numbers = [n for (n,) in _query(pg_database, "SELECT number FROM tasks ORDER BY number")]
    assert numbers == list(range(1, processes * claims_each + 1)), "concurrent adds took a number twice"

    logs = [tmp_path / f"claims-{i}.log" for i in range(processes)]
    started = time.monotonic()
    _finish([_start(python + ["claim", str(log), str(claims_each)], env) for log in logs])
    elapsed = time.monotonic() - started
    claimed = [line for log in logs for line in log.read_text().split()]
    assert len(claimed) == processes * claims_each
    assert len(set(claimed)) == len(claimed), "a task was claimed twice"
    held = _query(pg_database, "SELECT count(*), count(DISTINCT assignee) FROM tasks WHERE status = 'in_progress'")
    assert held == [(processes * claims_each, processes)]
    assert _query(pg_database, "SELECT count(*) FROM audit_log WHERE action = 'task.claim'") == [(len(claimed),)]
    verify = subprocess.run([sys.executable, "-m", "nerv", "audit", "verify", "--json"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stderr
    print(f"\n{len(claimed)} claims by {processes} processes in {elapsed:.1f} s ({len(claimed) / elapsed:.0f}/s)")
