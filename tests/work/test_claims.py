"""Claims with leases: atomic take, heartbeat, release, expiry, agents, --mine, and many processes at once."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import time
from collections import Counter

import pytest

from tests.conftest import nerv_executable


def test_claim_takes_the_first_ready_task_with_a_lease(cli, add_task):
    add_task("later", "-p", "3")
    add_task("first", "-p", "1")
    data = cli("task", "claim", "--agent", "bot-1", "--lease", "5m", "--json").data
    assert (data["number"], data["status"], data["assignee"]) == (2, "in_progress", "bot-1")
    assert data["lease_expires_at"] > data["started_at"]
    assert cli("task", "claim", "--agent", "bot-2", "--json").data["number"] == 1
    empty = cli("task", "claim", "--agent", "bot-3", "--json")
    assert empty.code == 1 and empty.error["code"] == "nothing_ready"
    assert "no task is ready" in empty.error["message"]


def test_claim_a_named_task_or_say_why_not(cli, add_task, db_hash):
    add_task("base")
    add_task("top", "--depends-on", "1")
    before = db_hash()
    blocked = cli("task", "claim", "2", "--agent", "a", "--json")
    assert blocked.code == 1 and "waits on #1 base (todo)" in blocked.error["message"]
    assert db_hash() == before
    assert cli("task", "claim", "1", "--agent", "a").code == 0
    held = cli("task", "claim", "1", "--agent", "b", "--json")
    assert held.code == 1 and "held by a" in held.error["message"]


def test_agent_comes_from_nerv_agent_and_mine_lists_held_tasks(cli, add_task, monkeypatch):
    add_task("one")
    add_task("two")
    monkeypatch.setenv("NERV_AGENT", "envbot")
    assert cli("task", "claim", "--json").data["assignee"] == "envbot"
    assert [r["number"] for r in cli("task", "list", "--mine", "--json").data] == [1]
    assert cli("task", "list", "--mine", "--agent", "someone", "--json").data == []
    monkeypatch.delenv("NERV_AGENT")
    missing = cli("task", "list", "--mine", "--json")
    assert missing.code == 1 and "NERV_AGENT" in missing.error["hint"]
    assert cli("task", "claim", "--json").code == 1


def test_heartbeat_extends_only_for_the_holder_and_release_returns_to_queue(cli, add_task, db_hash):
    add_task("work")
    claimed = cli("task", "claim", "--agent", "a", "--lease", "1m", "--json").data
    time.sleep(0.01)
    beat = cli("task", "heartbeat", "1", "--agent", "a", "--lease", "2h", "--json").data
    assert beat["lease_expires_at"] > claimed["lease_expires_at"]
    before = db_hash()
    wrong = cli("task", "heartbeat", "1", "--agent", "b", "--json")
    assert wrong.code == 1 and "b does not hold #1 work" in wrong.error["message"]
    assert cli("task", "release", "1", "--agent", "b").code == 1
    assert db_hash() == before
    released = cli("task", "release", "1", "--agent", "a", "--json").data
    assert (released["status"], released["assignee"], released["lease_expires_at"]) == ("todo", None, None)
    assert [r["number"] for r in cli("task", "ready", "--json").data] == [1]


def test_a_heartbeat_during_a_backward_clock_step_never_shortens_the_lease(cli, add_task, monkeypatch):
    from datetime import timedelta

    from nerv.store import clock

    add_task("work")
    claimed = cli("task", "claim", "--agent", "a", "--lease", "2h", "--paths", "src/**", "--json").data
    stepped_back = clock.to_iso(clock.parse_iso(clock.now_iso()) - timedelta(hours=1))
    with monkeypatch.context() as patch:
        patch.setattr(clock, "now_iso", lambda: stepped_back)
        beat = cli("task", "heartbeat", "1", "--agent", "a", "--lease", "30m", "--json").data
    assert beat["lease_expires_at"] == claimed["lease_expires_at"]
    leases = cli("lease", "list", "--json").data
    assert [lease["expires_at"] for lease in leases] == [claimed["lease_expires_at"]]
    taken = cli("task", "claim", "1", "--agent", "b", "--json")
    assert taken.code == 1 and "held by a" in taken.error["message"]


def test_expired_lease_is_claimable_again_and_the_expiry_is_audited(cli, add_task, raw_db):
    add_task("abandoned")
    cli("task", "claim", "--agent", "crashed", "--lease", "10s")
    assert cli("task", "ready", "--json").data == []
    raw_db.execute("UPDATE tasks SET lease_expires_at = '2000-01-01T00:00:00.000000Z'")
    agents = {a["name"]: a for a in cli("agent", "list", "--json").data}
    assert agents["crashed"]["stale"] is True and agents["crashed"]["holds"][0]["ref"] == "#1"
    assert [r["number"] for r in cli("task", "ready", "--json").data] == [1]
    late = cli("task", "heartbeat", "1", "--agent", "crashed", "--json")
    assert late.code == 0  # nobody took it yet: the holder may still renew
    raw_db.execute("UPDATE tasks SET lease_expires_at = '2000-01-01T00:00:00.000000Z'")
    taken = cli("task", "claim", "--agent", "rescuer", "--json").data
    assert taken["assignee"] == "rescuer" and [e["assignee"] for e in taken["expired"]] == ["crashed"]
    rows = raw_db.execute("SELECT action, actor, before FROM audit_log WHERE entity='task' ORDER BY id").fetchall()
    actions = [r[0] for r in rows]
    assert actions[-2:] == ["task.lease_expired", "task.claim"]
    assert "crashed" in rows[-2][2]
    assert rows[-1][1] in ("tester", "rescuer")
    assert cli("task", "heartbeat", "1", "--agent", "crashed").code == 1


def test_agent_list_shows_holders_and_heartbeats(cli, add_task):
    add_task("x")
    add_task("y")
    cli("task", "claim", "--agent", "alpha")
    cli("task", "claim", "--agent", "beta")
    cli("task", "release", "2")
    agents = {a["name"]: a for a in cli("agent", "list", "--json").data}
    assert set(agents) == {"alpha", "beta"}
    assert [h["ref"] for h in agents["alpha"]["holds"]] == ["#1"] and agents["beta"]["holds"] == []
    assert agents["alpha"]["last_heartbeat_at"] and agents["alpha"]["stale"] is False
    assert "alpha" in cli("agent", "list").stdout


@pytest.mark.parametrize("lease", ["5", "0m", "8d", "soon", "-1m", "1e3s"])
def test_bad_leases_are_refused(cli, add_task, db_hash, lease):
    add_task("x")
    before = db_hash()
    result = cli("task", "claim", "--agent", "a", "--lease", lease, "--json")
    assert result.code == 1 and result.error["code"] == "invalid"
    assert db_hash() == before


# ---- concurrency -------------------------------------------------------------------------------------

def _claim_until_empty(args) -> dict:
    """Worker process: open the store, claim through the service layer until nothing is ready."""
    project_id, agent = args
    from nerv.errors import NervError
    from nerv.services import claims
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    store = bind(open_store())  # the test's database on either backend: NERV_HOME's file or NERV_DATABASE_URL
    claimed, error = [], None
    try:
        while True:
            try:
                claimed.append(claims.claim(store, agent=agent, lease="30m", project=project_id)["id"])
            except NervError as err:
                if err.code != "nothing_ready":
                    error = f"{err.code}: {err.message}"
                break
    except Exception as exc:  # any other failure must show up in the test, not kill the pool silently
        error = f"{type(exc).__name__}: {exc}"
    finally:
        store.close()
    return {"agent": agent, "claimed": claimed, "error": error}


def _pool_of_ready_tasks(cli, nerv_home, count: int) -> tuple[str, list[str]]:
    from nerv.cli import _ctx
    from nerv.services import tasks

    store = _ctx.store()
    try:
        project = tasks.resolve_project(store, None)
        ids = [tasks.add_task(store, f"job {i}", priority=i % 5)["id"] for i in range(count)]
        return project.id, ids
    finally:
        _ctx.close()


@pytest.mark.slow
def test_16_processes_claim_200_tasks_each_exactly_once(cli, project, nerv_home):
    project_id, ids = _pool_of_ready_tasks(cli, nerv_home, 200)
    started = time.monotonic()
    # fork: the workers start without re-importing nerv (spawn costs ~0.4 s of CPU per process); each one
    # still opens its own connection to the database, exactly as separate agents do.
    with multiprocessing.get_context("fork").Pool(16) as pool:
        results = pool.map(_claim_until_empty, [(project_id, f"agent-{i}") for i in range(16)])
    elapsed = time.monotonic() - started
    assert [r["error"] for r in results] == [None] * 16
    claimed = Counter(task_id for r in results for task_id in r["claimed"])
    assert sorted(claimed) == sorted(ids)
    assert set(claimed.values()) == {1}
    assert sum(1 for r in results if r["claimed"]) > 1  # the work really was shared
    board = cli("task", "board", "--json").data
    assert {c["status"]: c["count"] for c in board["columns"]}["in_progress"] == 200
    assert elapsed < 30


@pytest.mark.slow
def test_real_cli_processes_claim_concurrently(cli, project, nerv_home):
    """The console script itself, several copies at once, each looping `nerv task claim`."""
    _, ids = _pool_of_ready_tasks(cli, nerv_home, 6)
    script = ("for i in $(seq 1 40); do \"$@\" task claim --agent \"$AGENT\" --json || exit 0; done")
    env = {**os.environ, "NERV_PROJECT": "demo"}
    procs = [subprocess.Popen(["sh", "-c", script, "sh", *nerv_executable()], env={**env, "AGENT": f"p{i}"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    import json

    claimed = [json.loads(line)["data"]["id"] for out, _ in outputs for line in out.splitlines() if line.strip()]
    errors = [json.loads(line)["error"]["code"] for _, err in outputs for line in err.splitlines() if line.strip()]
    assert sorted(claimed) == sorted(ids)
    assert errors == ["nothing_ready"] * 3
