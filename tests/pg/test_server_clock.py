"""Leases on a shared server between machines whose clocks differ: each machine is a `nerv` process whose
clock (nerv.store.clock.now_iso, the one client clock) is an hour off, and they agree on every lease because
the server's clock computes and judges them (docs/teams.md, "Clocks")."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

HOUR_S = 3600
# From the commit of a lease to the test's query, on a loaded machine; far below the clocks' hour apart.
SLACK_S = 300
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")  # nerv.store.clock.TS_FORMAT, as SQLite stores it
SKEWED_NERV = """
import sys
from datetime import timedelta
from nerv.store import clock
real = clock.now_iso
clock.now_iso = lambda: clock.to_iso(clock.parse_iso(real()) + timedelta(seconds=float(sys.argv[1])))
from nerv.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


def on_machine(skew_s: int, *argv: str) -> subprocess.CompletedProcess:
    """`nerv ARGV --json` on a machine whose clock is `skew_s` seconds off (this process's environment)."""
    return subprocess.run([sys.executable, "-c", SKEWED_NERV, str(skew_s), *argv, "--json"], capture_output=True,
                          text=True, timeout=120)


def data(done: subprocess.CompletedProcess):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["data"]


def seconds_left(store, column_sql: str) -> float:
    """How long until the instant in `column_sql` (a query of one timestamptz), by the server's clock."""
    return store._conn.execute(f"SELECT extract(epoch FROM ({column_sql}) - now())").fetchone()[0]


@pytest.fixture
def store(pg_database, cli):
    from nerv.store.db import open_store

    assert cli("project", "add", "demo").code == 0
    assert cli("project", "use", "demo").code == 0
    for title in ("first", "second"):
        assert cli("task", "add", title).code == 0
    opened = open_store()
    yield opened
    opened.close()


def test_a_lease_from_a_slow_clock_is_not_expired_for_a_fast_one(store):
    behind, ahead = -HOUR_S, HOUR_S
    claimed = data(on_machine(behind, "task", "claim", "1", "--agent", "laptop", "--lease", "30m"))
    assert TS.match(claimed["lease_expires_at"])
    # From the laptop's clock the lease would have ended half an hour ago; the server gives it 30 minutes.
    assert 1800 - SLACK_S < seconds_left(store, "SELECT lease_expires_at FROM tasks WHERE number = 1") <= 1800

    assert [t["number"] for t in data(on_machine(ahead, "task", "ready"))] == [2]
    taken = on_machine(ahead, "task", "claim", "1", "--agent", "runner")
    assert taken.returncode == 1 and "held by laptop" in json.loads(taken.stderr)["error"]["message"]
    assert data(on_machine(ahead, "task", "claim", "--agent", "runner", "--lease", "30m"))["number"] == 2
    stale = {agent["name"]: agent["stale"] for agent in data(on_machine(ahead, "agent", "list"))}
    assert stale == {"laptop": False, "runner": False}
    # The fast machine's lease ends 30 minutes from the server's now, not 90 from its own.
    assert 1800 - SLACK_S < seconds_left(store, "SELECT lease_expires_at FROM tasks WHERE number = 2") <= 1800
    assert data(on_machine(behind, "task", "ready")) == []


def test_a_renewal_from_any_clock_never_shortens_a_lease(store):
    behind, ahead = -HOUR_S, HOUR_S
    data(on_machine(ahead, "task", "claim", "1", "--agent", "runner", "--lease", "2h"))
    first = data(on_machine(behind, "task", "show", "1"))["lease_expires_at"]
    renewed = data(on_machine(behind, "task", "heartbeat", "1", "--agent", "runner", "--lease", "10m"))
    assert renewed["lease_expires_at"] == first  # 10 minutes from now ends before the lease does
    longer = data(on_machine(behind, "task", "heartbeat", "1", "--agent", "runner", "--lease", "3h"))
    assert longer["lease_expires_at"] > first
    assert 3 * HOUR_S - SLACK_S < seconds_left(store, "SELECT lease_expires_at FROM tasks WHERE number = 1") <= 3 * HOUR_S


def test_path_leases_live_by_the_servers_clock(store):
    behind, ahead = -HOUR_S, HOUR_S
    made = data(on_machine(behind, "lease", "add", "src/**", "--agent", "laptop", "--ttl", "30m"))
    assert 1800 - SLACK_S < seconds_left(store, "SELECT max(expires_at) FROM path_leases") <= 1800
    live = data(on_machine(ahead, "lease", "list"))
    assert [(lease["pattern"], lease["state"]) for lease in live] == [("src/**", "live")]
    assert TS.match(live[0]["expires_at"]) and made


def test_a_relative_period_counts_back_from_the_server_clock(store):
    """`--since 1h` on a machine two hours ahead still covers the last hour of the ledger."""
    entries = data(on_machine(2 * HOUR_S, "audit", "list", "--since", "1h"))
    assert {entry["action"] for entry in entries} >= {"project.add", "task.add"}
    assert data(on_machine(-2 * HOUR_S, "audit", "list", "--since", "2026-01-01T00:00:00Z"))
    data(on_machine(0, "metrics", "record", "latency", "1"))
    pruned = data(on_machine(3 * 24 * HOUR_S, "prune", "--older-than", "1d", "--what", "metrics", "--dry-run"))
    assert pruned["kinds"]["metrics"]["rows"] == 0, pruned  # a machine 3 days ahead prunes nothing of today
    assert data(on_machine(0, "metrics", "list", "--since", "1h"))
