"""Writers killed with SIGKILL at random moments lose no acknowledged write and leave nothing broken.

Larger setting: python tests/bench/crash.py --rounds 50
"""

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

from nerv.store.audit import verify_chain
from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, raw_connection, run_proc

pytestmark = pytest.mark.slow  # processes killed mid-write

WORKERS = Path(__file__).with_name("workers.py")


def acknowledged(log_dir: Path) -> tuple[set[str], dict[str, int]]:
    projects, settings = set(), {}
    for log in log_dir.glob("*.log"):
        for line in log.read_text().splitlines(keepends=True):
            if not line.endswith("\n"):
                continue  # killed mid-write of the ack: the commit may or may not be there; both are fine
            kind, *rest = line.split()
            if kind == "project":
                projects.add(rest[0])
            else:
                settings[rest[0]] = max(settings.get(rest[0], 0), int(rest[1]))
    return projects, settings


def check_database(home: Path, log_dir: Path) -> dict:
    projects, settings = acknowledged(log_dir)
    conn = raw_connection(home)
    try:
        if not ON_POSTGRESQL:  # the file's pages; a server's storage is not the killed clients' to damage
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        present = {r[0] for r in conn.execute("SELECT name FROM projects")}
        missing = projects - present
        assert not missing, f"acknowledged projects lost: {sorted(missing)[:5]}"
        for key, value in settings.items():
            stored = conn.execute("SELECT value FROM settings WHERE project_id IS NULL AND key=?", (key,)).fetchone()
            assert stored and json.loads(stored[0]) >= value, f"setting {key} lost its acknowledged value {value}"
        chain = verify_chain(conn)
        assert chain["ok"], chain
        return {"acked": len(projects) + len(settings), "rows": chain["rows"]}
    finally:
        conn.close()


def wait_for_acks(log_dir: Path, prefix: str, at_least: int, timeout: float) -> None:
    """Wait until this round's writers have acknowledged something (startup time varies with load)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = sum(log.read_text().count("\n") for log in log_dir.glob(f"{prefix}*.log"))
        if count >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"writers acknowledged nothing within {timeout} s")


def run_rounds(home: Path, rounds: int, writers: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    env = {**os.environ, "NERV_HOME": str(home)}
    log_dir = home.parent / "acks"
    log_dir.mkdir(exist_ok=True)
    assert run_proc("db", "migrate", env={"NERV_HOME": str(home)}).code == 0
    results = []
    for round_no in range(rounds):
        procs = [subprocess.Popen([sys.executable, str(WORKERS), "crash", str(log_dir / f"r{round_no}-w{i}.log")],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for i in range(writers)]
        wait_for_acks(log_dir, f"r{round_no}-", at_least=writers, timeout=30)
        time.sleep(rng.uniform(0, 0.5))  # then kill at a random moment of steady writing
        for p in rng.sample(procs, len(procs)):
            time.sleep(rng.uniform(0, 0.05))
            p.send_signal(signal.SIGKILL)
        for p in procs:
            p.wait(timeout=30)
            stderr = p.stderr.read().decode()
            assert_not_a_bug(stderr)
        results.append(check_database(home, log_dir))
        # No lock file or WAL state may stop the next command.
        status = run_proc("--json", "status", env={"NERV_HOME": str(home)}, timeout=30)
        assert status.code == 0, status.stderr
    return results


def test_sigkilled_writers_lose_no_acknowledged_write(tmp_path):
    results = run_rounds(tmp_path / "home", rounds=10, writers=8)
    total = results[-1]["acked"]  # the logs accumulate across rounds
    print(f"crash: 10 rounds x 8 writers, {total} acknowledged writes checked, final audit rows {results[-1]['rows']}")
    assert total >= 10 * 8  # every round waited for acknowledged writes before killing
