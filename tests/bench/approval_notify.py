"""Approval latency across connections: from the commit of an approval on one connection to the answer of a
process waiting for it on another (a queue-mode PermissionRequest hook, and `nerv approval wait`).

Side by side in one run: PostgreSQL with LISTEN (migration 0016's NOTIFY), PostgreSQL with LISTEN taken away
(the polling fallback, every 0.25 s) and SQLite (polling, as on one machine). Each round starts a waiter, waits
until it waits (its LISTEN seen in pg_stat_activity, else its request recorded plus a settle time and a
random part of the poll interval), approves
in this process and takes the time from the commit's return to the waiter's first line of output. The server
is the tests' throwaway one (tests/pg_server.py: unix socket, fsync and synchronous_commit off).

Run: PYTHONPATH=$PWD python tests/bench/approval_notify.py [--rounds 50]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import print_table  # noqa: E402
from tests.pg import approval_waiters as waiters  # noqa: E402

SETTLE_S = 0.3  # after a polling waiter's request appears: it is in its first sleep by then
# Plus a random part of one poll interval: a fixed delay would approve at the same phase of the poll every round.
JITTER_S = 0.25


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("NERV_ACTOR", "bench")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.pop("NERV_DATABASE_URL", None)
        os.environ["NERV_HOME"] = str(Path(tmp) / "home")
        rows.append(series("SQLite, polling", "hook", args.rounds, tmp, listen=False))
        rows += postgresql_series(args.rounds, tmp)
    print(f"approval latency: commit of the decision -> the waiter's answer, {args.rounds} rounds each (ms)")
    print_table(rows, ("backend, waiting", "waiter", "p50", "p90", "p99", "max"))


def postgresql_series(rounds: int, tmp: str) -> list[tuple]:
    from tests import pg_server

    why = pg_server.why_unavailable()
    if why:
        print(f"PostgreSQL skipped: {why}")
        return []
    server = pg_server.Server().start()
    try:
        os.environ["NERV_DATABASE_URL"] = server.url(server.create_database())
        return [series("PostgreSQL, LISTEN", "hook", rounds, tmp, listen=True),
                series("PostgreSQL, LISTEN", "approval wait", rounds, tmp, listen=True),
                series("PostgreSQL, polling (no LISTEN)", "hook", rounds, tmp, listen=False)]
    finally:
        os.environ.pop("NERV_DATABASE_URL", None)
        server.stop()


def series(label: str, waiter: str, rounds: int, cwd: str, *, listen: bool) -> tuple:
    from nerv.store.db import open_store

    nerv = [sys.executable, "-m", "nerv"]
    for key, value in (("hook.mode", "queue"), ("hook.queue_timeout_s", "60")):
        subprocess.run(nerv + ["settings", "set", key, value], check=True, capture_output=True)
    store = open_store()
    try:
        latencies = [one_round(store, waiter, cwd, listen) for _ in range(rounds)]
    finally:
        store.close()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return label, waiter, f"{cuts[49]:.1f}", f"{cuts[89]:.1f}", f"{cuts[98]:.1f}", f"{max(latencies):.1f}"


def one_round(store, waiter: str, cwd: str, listen: bool) -> float:
    if waiter == "hook":
        process = waiters.start_queue_hook(cwd, listen=listen)
        request_id = waiters.wait_for(lambda: newest_pending(store), what="the hook's request")
    else:
        request_id = waiters.record_pending(store)
        process = waiters.start_cli_wait(request_id, listen=listen)
    if listen:
        waiters.wait_for(lambda: waiters.listeners(store._conn), what="the waiter's LISTEN")
    else:
        time.sleep((SETTLE_S if waiter == "hook" else 1.5) + random.uniform(0, JITTER_S))
    if process.poll() is not None:
        raise SystemExit(f"the waiter ended before the decision: {process.stderr.read()}")
    committed = waiters.approve(store, request_id)
    line = process.stdout.readline()
    answered = time.perf_counter()
    process.communicate(timeout=30)
    if process.returncode != 0 or not line:
        raise SystemExit(f"the waiter failed ({process.returncode}): {process.stderr}")
    return (answered - committed) * 1000


def newest_pending(store) -> int | None:
    row = store._conn.execute("SELECT max(id) FROM approval_requests WHERE status = 'pending'").fetchone()
    return row[0]


if __name__ == "__main__":
    main()
