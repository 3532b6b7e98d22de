"""`nerv prune`: old rows go, recent and pending ones stay, the audit log is never touched, counts are audited."""

from __future__ import annotations


from nerv.store import queries_retention
from nerv.store.clock import new_id
from tests.conftest import assert_not_a_bug, raw_connection
from tests.safety.seed import insert, seed_state

OLD, RECENT = "2020-01-01T00:00:00.000000Z", "2999-01-01T00:00:00.000000Z"


def _history(nerv_home):
    from nerv.store.db import open_store

    seed_state(projects=1, tasks=1)
    store = open_store()

    def body(tx):
        for ts in (OLD, OLD, RECENT):
            insert(tx, "metrics", {"name": "m", "value": 1.0, "recorded_at": ts})
        for status, ts in (("approved", OLD), ("pending", OLD), ("denied", RECENT)):
            insert(tx, "approval_requests", {"tool": "Bash", "tool_input": "{}", "status": status, "created_at": ts})
        for status, ended in (("ended", OLD), ("active", None)):
            insert(tx, "claude_sessions", {"id": new_id(), "status": status, "ended_at": ended, "last_activity_at": OLD,
                                           "created_at": OLD, "updated_at": OLD})

    store.write(body)
    store.close()


def _count(home, sql):
    conn = raw_connection(home)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_prune_deletes_only_old_finished_rows(cli, nerv_home, db_hash):
    _history(nerv_home)
    audit_before = _count(nerv_home, "SELECT count(*) FROM audit_log")
    before = db_hash()
    dry = cli("prune", "--older-than", "30d", "--dry-run", "--json")
    assert dry.code == 0 and db_hash() == before
    assert dry.data["kinds"]["metrics"]["rows"] == 2  # the seeded metric is recent
    result = cli("prune", "--older-than", "30d", "--yes", "--json")
    assert result.code == 0, result.stderr
    kinds = result.data["kinds"]
    assert kinds["approvals"]["rows"] == 1 and kinds["sessions"]["rows"] == 1
    assert _count(nerv_home, "SELECT count(*) FROM metrics WHERE recorded_at = '2020-01-01T00:00:00.000000Z'") == 0
    assert _count(nerv_home, "SELECT count(*) FROM metrics WHERE recorded_at > '2998'") == 1
    assert _count(nerv_home, "SELECT count(*) FROM approval_requests WHERE status = 'pending'") == 1
    assert _count(nerv_home, "SELECT count(*) FROM claude_sessions WHERE status = 'active'") == 2  # + the seeded one
    # The audit log only grew, by exactly the prune's own row, which carries the counts.
    assert _count(nerv_home, "SELECT count(*) FROM audit_log") == audit_before + 1
    last = cli("audit", "list", "--limit", "1", "--json").data[0]
    assert last["action"] == "prune" and last["after"]["deleted"]["approvals"] == 1
    assert cli("audit", "verify").code == 0


def test_defaults_come_from_settings(cli, nerv_home):
    _history(nerv_home)
    assert cli("settings", "set", "retention.metrics", "never").code == 0
    result = cli("prune", "--what", "metrics,approvals", "--yes", "--json")
    assert result.code == 0, result.stderr
    assert result.data["skipped"] == {"metrics": "retention setting is `never`"}
    assert result.data["kinds"]["approvals"]["older_than"] == "90d"
    assert result.data["kinds"]["approvals"]["rows"] == 1


def test_missing_tables_are_skipped(cli, nerv_home, monkeypatch):
    cli("project", "list")
    monkeypatch.setitem(queries_retention.TARGETS, "future", queries_retention.Target("not_there_yet", "ts"))
    result = cli("prune", "--what", "future,metrics", "--older-than", "2d", "--yes", "--json")
    assert result.code == 0, result.stderr
    assert "does not exist" in result.data["skipped"]["future"]


def test_bad_input(cli, nerv_home, db_hash):
    cli("project", "list")
    before = db_hash()
    for args in (("--older-than", "ninety days"), ("--what", "audit"), ("--what", "audit_log,metrics"),
                 ("--what", ",")):
        result = cli("prune", *args)
        assert result.code == 1, args
        assert_not_a_bug(result)
    assert db_hash() == before


def test_prune_says_what_it_would_delete_and_deletes_only_with_yes(cli, nerv_home, db_hash):
    _history(nerv_home)
    before = db_hash()
    refused = cli("prune", "--older-than", "30d", "--json")
    assert refused.code == 1 and refused.error["code"] == "conflict" and db_hash() == before
    assert "would delete" in refused.error["message"] and "--yes" in refused.error["hint"]
    assert refused.error["details"]["kinds"]["approvals"]["rows"] == 1
    plain = cli("prune", "--older-than", "30d")
    assert plain.code == 1 and "would delete" in plain.stderr and db_hash() == before


def test_a_cut_off_under_a_day_needs_force(cli, nerv_home, db_hash):
    _history(nerv_home)
    before = db_hash()
    for age in ("0d", "12h"):
        result = cli("prune", "--older-than", age, "--yes", "--json")
        assert result.code == 1 and result.error["code"] == "invalid" and db_hash() == before
        assert_not_a_bug(result)
    assert cli("prune", "--older-than", "0d", "--dry-run", "--json").code == 0  # looking is always allowed
    forced = cli("prune", "--older-than", "0d", "--yes", "--force", "--json")
    assert forced.code == 0 and forced.data["kinds"]["metrics"]["rows"] >= 2
