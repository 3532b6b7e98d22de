"""The hook daemon's replica of the rows it decides from (nerv.hook.replica, migration 0020's hook_state): every
change to rules, settings, projects and their folders bumps hook_state's version in its own transaction; the
pool reads the rows again only when the version moved; and a decision made right after a change sees it,
through the real daemon and real `nerv hook` processes."""

from __future__ import annotations

import os

import pytest

from tests.conftest import assert_not_a_bug
from tests.pg.test_hook_daemon import SERVED, daemon, decision, event, run_hook  # noqa: F401 (daemon: a fixture)


def state_version() -> str:
    import psycopg2

    from nerv.store.queries_hook_cache import STATE_VERSION_SQL

    conn = psycopg2.connect(os.environ["NERV_DATABASE_URL"])
    try:
        cursor = conn.cursor()
        cursor.execute(STATE_VERSION_SQL)
        return cursor.fetchone()[0]
    finally:
        conn.close()


def counter() -> int:
    return int(state_version().split(":")[1])


def test_every_change_the_hook_decides_from_bumps_the_version_and_nothing_else_does(pg_database, cli, tmp_path):
    assert cli("project", "add", "demo").code == 0
    repo = tmp_path / "repo"
    repo.mkdir()
    changes = [("rule", "add", "Bash(rm *)", "--action", "deny", "--global"),
               ("settings", "set", "hook.mode", "strict"),
               ("project", "add", "shop", "--path", str(repo)),
               ("rule", "rm", "1")]
    for change in changes:
        before = counter()
        assert cli(*change).code == 0, change
        assert counter() > before, change
    unrelated = [("task", "add", "write the docs", "--project", "demo"), ("rule", "list"), ("settings", "list")]
    for change in unrelated:
        before = counter()
        assert cli(*change).code == 0, change
        assert counter() == before, change


def test_a_refused_change_bumps_nothing(pg_database, cli):
    assert cli("project", "add", "demo").code == 0
    before = counter()
    refused = cli("rule", "add", "Bash(", "--action", "deny", "--global")
    assert refused.code != 0
    assert_not_a_bug(refused)
    assert counter() == before


def test_the_pool_reads_the_rows_again_only_when_they_changed(pg_database, cli):
    from nerv.hook.daemon import Pool
    from nerv.store.queries_hook_cache import FrozenLedger

    assert cli("project", "add", "demo").code == 0
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow", "--global").code == 0
    pool = Pool()
    try:
        for _ in range(5):
            store = pool.store()
            assert isinstance(store.reference, FrozenLedger)
            rules = [r[0] for r in store.reference.execute("SELECT rule FROM approval_rules")]
            store.close()
        assert pool.replica.reads == 1 and rules == ["Bash(npm test *)"]
        assert cli("rule", "add", "Bash(npm test --bail*)", "--action", "deny", "--global").code == 0
        store = pool.store()
        rules = sorted(r[0] for r in store.reference.execute("SELECT rule FROM approval_rules"))
        store.close()
        assert pool.replica.reads == 2 and rules == ["Bash(npm test *)", "Bash(npm test --bail*)"]
    finally:
        pool.close()


def test_a_decision_right_after_a_change_sees_it(daemon, cli, tmp_path):  # noqa: F811 (the fixture)
    repo = tmp_path / "repo"
    repo.mkdir()
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow", "--global").code == 0

    def pre(command: str, cwd: str = "/tmp") -> str | None:
        done = run_hook(event(command, cwd=cwd))
        assert SERVED in done.stderr, done.stderr
        return decision(done)

    for round_ in range(3):
        assert pre("npm test -q") == "allow"
        added = cli("rule", "add", "Bash(npm test -q)", "--action", "deny", "--global", "--json")
        assert added.code == 0
        assert pre("npm test -q") == "deny", round_
        assert cli("rule", "rm", str(added.data["id"])).code == 0
        assert pre("npm test -q") == "allow", round_
    # A project's folder and its own rule, each seen by the very next call.
    assert cli("project", "add", "shop", "--path", str(repo)).code == 0
    assert cli("rule", "add", "Bash(npm test *)", "--action", "deny", "--project", "shop").code == 0
    assert pre("npm test -q", cwd=str(repo)) == "deny"
    assert pre("npm test -q") == "allow"
    # A setting: strict mode asks for a call no rule decides.
    assert pre("make build") is None
    assert cli("settings", "set", "hook.mode", "strict").code == 0
    assert pre("make build") == "ask"


@pytest.mark.parametrize("event_name", ["PreToolUse", "PermissionRequest"])
def test_the_daemon_still_answers_what_the_hook_answers_by_itself(daemon, cli, event_name):  # noqa: F811
    assert cli("rule", "add", "Bash(git push *)", "--action", "ask", "--global").code == 0
    assert cli("settings", "set", "hook.mode", "strict").code == 0
    name = "pre-tool-use" if event_name == "PreToolUse" else "permission-request"
    for command in ("git push origin main", "make build"):
        served, direct = (run_hook(event(command, hook_event=event_name), daemon=mode, name=name)
                          for mode in ("auto", "off"))
        assert SERVED in served.stderr and SERVED not in direct.stderr
        assert decision(served) == decision(direct)


def test_the_pool_opens_connections_for_concurrent_requests_and_closes_the_unused_ones(pg_database, cli):
    from nerv.hook import daemon

    assert cli("project", "add", "demo").code == 0
    pool = daemon.Pool()
    try:
        held = [pool.store() for _ in range(daemon.KEEP_IDLE + 3)]  # as many requests at once
        assert len({id(store.conn) for store in held}) == len(held)
        for store in held:
            store.close()
        assert len(pool.idle) == len(held)
        assert pool.prune() == 0  # all just used
        import time

        assert pool.prune(time.monotonic() + daemon.IDLE_CLOSE_S) == 3 and len(pool.idle) == daemon.KEEP_IDLE
        again = pool.store()  # the most recently used of those kept
        assert again.conn.raw.closed == 0
        again.close()
    finally:
        pool.close()
