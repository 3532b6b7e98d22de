"""16 processes mixing claims, status updates, rule matches and metric writes on one database.

Zero errors reach a caller, no task is claimed twice, and the audit log holds exactly one row per
successful mutation. Larger setting: python tests/bench/concurrency.py --workers 16 --seconds 60
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from nerv.store.audit import verify_chain
from tests.conftest import raw_connection, run_cli

pytestmark = pytest.mark.slow  # several processes

WORKERS = Path(__file__).with_name("workers.py")


def prepare(home: Path, tasks: int) -> None:
    assert run_cli("project", "add", "load").code == 0
    assert run_cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert run_cli("rule", "add", "Bash(rm *)", "--action", "deny").code == 0
    for n in range(tasks):
        assert run_cli("task", "add", f"job {n}", "--project", "load").code == 0


def run_mixed_load(home: Path, workers: int, seconds: float, tasks: int) -> dict:
    prepare(home, tasks)
    conn = raw_connection(home)
    audit_before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    conn.close()
    env = {**os.environ, "NERV_HOME": str(home)}
    logs = [home.parent / f"mixed-{i}.json" for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, str(WORKERS), "mixed", str(log), str(seconds)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for log in logs]
    for p in procs:
        p.wait(timeout=seconds + 120)
        assert p.returncode == 0, p.stderr.read()
    reports = [json.loads(log.read_text()) for log in logs]
    conn = raw_connection(home)
    try:
        audit_after = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        chain = verify_chain(conn)
        held = Counter(r[0] for r in conn.execute("SELECT assignee FROM tasks WHERE status='in_progress'"))
    finally:
        conn.close()
    claims = Counter(task_id for r in reports for task_id in r["claimed"])
    return {
        "errors": [e for r in reports for e in r["errors"]],
        "double_claims": [t for t, n in claims.items() if n > 1],
        "mutations": sum(r["mutations"] for r in reports),
        "audit_rows_added": audit_after - audit_before,
        "claims": sum(claims.values()),
        "matches": sum(r["matches"] for r in reports),
        "chain_ok": chain["ok"],
        "agents_holding": len(held),
    }


def test_sixteen_processes_mixed_load(nerv_home):
    result = run_mixed_load(nerv_home, workers=16, seconds=6, tasks=150)
    print(f"concurrency: {result}")
    assert result["errors"] == []
    assert result["double_claims"] == []
    assert result["audit_rows_added"] == result["mutations"]
    assert result["chain_ok"]
    assert result["claims"] > 16 and result["matches"] > 16  # the load really happened
