"""Team mode under concurrency, with real processes on a real PostgreSQL server (tests/pg_server.py):
eight first starts migrate once; sixteen claimers drain one pool and each task is claimed exactly once;
writers killed with SIGKILL mid-transaction lose no acknowledged write and leave the chain valid."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).with_name("workers.py")
CRASH_WORKERS = ROOT / "tests" / "reliability" / "workers.py"
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


def _writer_backends(url: str, pids: list[int]) -> list:
    names = ", ".join(f"'nerv:{pid}'" for pid in pids)
    return _query(url, f"SELECT pid FROM pg_stat_activity WHERE application_name IN ({names})")


def test_sigkilled_writers_lose_no_acknowledged_write_and_keep_the_chain(pg_database, nerv_home, tmp_path):
    """tests/reliability/test_crash.py's writers on the server: killed at random moments, mostly inside a
    transaction (each operation is a few statements and an audit append under the chain's advisory lock)."""
    from tests.reliability.test_crash import acknowledged, wait_for_acks

    rounds, writers, rng = 5, 8, random.Random(11)
    env = _env(pg_database, nerv_home)
    _finish([_start([sys.executable, "-m", "nerv", "db", "migrate", "--json"], env)])
    logs = tmp_path / "acks"
    logs.mkdir()
    rollbacks_sql = "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    [(rollbacks_before,)] = _query(pg_database, rollbacks_sql)
    started = time.monotonic()
    for round_no in range(rounds):
        procs = [subprocess.Popen([sys.executable, str(CRASH_WORKERS), "crash", str(logs / f"r{round_no}-w{i}.log")],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for i in range(writers)]
        wait_for_acks(logs, f"r{round_no}-", at_least=writers, timeout=60)
        time.sleep(rng.uniform(0, 0.5))
        for proc in rng.sample(procs, len(procs)):
            time.sleep(rng.uniform(0, 0.05))
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            proc.wait(timeout=30)
            proc.stderr.close()
        # The server ends a killed client's backend and rolls its transaction back, locks included.
        deadline = time.monotonic() + 30
        while _writer_backends(pg_database, [p.pid for p in procs]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _writer_backends(pg_database, [p.pid for p in procs])

    elapsed = time.monotonic() - started
    [(rollbacks_after,)] = _query(pg_database, rollbacks_sql)
    projects, settings = acknowledged(logs)
    present = {name for (name,) in _query(pg_database, "SELECT name FROM projects")}
    assert not projects - present, f"acknowledged projects lost: {sorted(projects - present)[:5]}"
    stored = dict(_query(pg_database, "SELECT key, value FROM settings WHERE project_id IS NULL"))
    for key, value in settings.items():
        assert key in stored and json.loads(stored[key]) >= value, f"setting {key} lost its acknowledged {value}"
    verify = subprocess.run([sys.executable, "-m", "nerv", "audit", "verify", "--json"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stderr
    chain = json.loads(verify.stdout)["data"]
    assert chain["ok"], chain
    status = subprocess.run([sys.executable, "-m", "nerv", "status", "--json"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert status.returncode == 0, status.stderr  # no lock left behind by a killed transaction
    print(f"\ncrash on PostgreSQL: {rounds} rounds x {writers} writers in {elapsed:.1f} s, "
          f"{len(projects) + len(settings)} acknowledged writes present, {chain['rows']} audit rows, chain ok, "
          f"{rollbacks_after - rollbacks_before} transactions rolled back (killed ones among them)")


def test_two_people_deciding_one_request_at_once_make_one_decision(pg_database, nerv_home):
    """Machine A's decision holds the request's row when machine B's arrives: B must wait for it and then
    refuse (`conflict`), not overwrite it (a hook may already have acted on A's answer)."""
    import psycopg2

    from nerv.store.db import open_store
    from tests.pg.approval_waiters import record_pending

    store = open_store()
    try:
        request_id = record_pending(store)
    finally:
        store.close()
    holder = psycopg2.connect(pg_database)
    try:
        cursor = holder.cursor()  # machine A, mid-decision: the row is locked, the denial not committed yet
        cursor.execute("SELECT status FROM approval_requests WHERE id = %s FOR UPDATE", (request_id,))
        approving = _start([sys.executable, "-m", "nerv", "approval", "approve", str(request_id), "--json"],
                           _env(pg_database, nerv_home))
        deadline = time.monotonic() + 60
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        while _query(pg_database, waiting) != [(1,)]:  # B has reached the locked row (to read it, or to write it)
            assert approving.poll() is None and time.monotonic() < deadline, approving.communicate()
            time.sleep(0.05)
        cursor.execute("UPDATE approval_requests SET status = 'denied', decided_by = 'machine-a' WHERE id = %s",
                       (request_id,))
        holder.commit()
        out, err = approving.communicate(timeout=120)
    finally:
        holder.close()
    assert approving.returncode == 1, (out, err)
    assert json.loads(err)["error"]["code"] == "conflict"
    assert _query(pg_database, f"SELECT status, decided_by FROM approval_requests WHERE id = {request_id}") == \
        [("denied", "machine-a")]
