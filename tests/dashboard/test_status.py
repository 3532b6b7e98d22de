"""`nerv status`: the dashboard's data (JSON) and its 80-column rendering, on a real ledger."""

from __future__ import annotations

import re

from tests.dashboard.conftest import LONG_TITLE

HEADERS = {"agent", "task", "lease", "seen", "paths", "what", "detail", "who", "since"}


def snapshot(cli):
    result = cli("status", "--json")
    assert result.code == 0 and result.stderr == "", result.stderr
    return result.data


def test_json_shape_is_plain_lists_and_objects(cli, ledger):
    data = snapshot(cli)
    assert set(data) == {"now", "agents", "idle_agents", "needs_person", "queues", "spend", "database"}
    assert set(data["needs_person"]) == {"approvals", "approvals_total", "blocked", "blocked_total"}
    assert {"today_usd", "month_usd", "burn_usd_per_hour", "burn_usd_per_day", "month_projected_usd",
            "budgets", "unpriced", "unpriced_since"} <= set(data["spend"])
    assert {"size_bytes", "wal_bytes", "schema_version", "latest_version", "last_backup_at",
            "last_backup_age_s"} <= set(data["database"])


def test_agents_show_what_they_hold_lease_paths_and_staleness(cli, ledger):
    agents = {a["name"]: a for a in snapshot(cli)["agents"]}
    assert set(agents) >= {"alice", "bob"}
    alice, bob = agents["alice"], agents["bob"]
    assert (alice["task"]["ref"], alice["task"]["title"], alice["task"]["project"]) == ("#1", LONG_TITLE, "demo")
    assert 0 < alice["task"]["lease_left_s"] <= 30 * 60 and alice["paths"] == ["src/auth/**"]
    assert not alice["stale"] and alice["last_seen_s"] < 600
    assert bob["task"]["ref"] == "#2" and bob["task"]["lease_left_s"] < 0
    assert bob["stale"] and bob["stale_why"] == "lease expired" and bob["paths"] == []


def test_needs_a_person_lists_the_approval_and_the_blocked_task(cli, ledger):
    need = snapshot(cli)["needs_person"]
    assert need["approvals_total"] == 1 and need["blocked_total"] == 1
    [request] = need["approvals"]
    assert (request["tool"], request["summary"], request["agent"]) == ("Bash", "npm publish --access public", "carol")
    assert request["age_s"] >= 0
    [blocked] = need["blocked"]
    assert (blocked["ref"], blocked["reason"], blocked["project"]) == ("#3", "waiting for the release window", "demo")


def test_queue_counts_ready_and_waiting(cli, ledger):
    [queue] = snapshot(cli)["queues"]
    # #2's lease ran out, so it can be claimed again; #4 waits on the blocked #3.
    assert (queue["project"], queue["ready"], queue["waiting"]) == ("demo", 1, 1)
    assert (queue["todo"], queue["in_progress"], queue["blocked"]) == (1, 2, 1)


def test_spend_budgets_and_the_unpriced_model(cli, ledger):
    spend = snapshot(cli)["spend"]
    expected = (1000 * 3 + 2000 * 15) / 1e6  # sonnet 4.5; the unknown model counts as $0
    assert abs(spend["today_usd"] - expected) < 1e-9 and abs(spend["month_usd"] - expected) < 1e-9
    assert spend["burn_usd_per_hour"] >= expected / 24 and spend["month_projected_usd"] >= expected
    assert spend["unpriced"] == [{"model": "gpt-mystery", "calls": 1}]
    [daily] = spend["budgets"]
    assert (daily["period"], daily["limit_usd"], daily["state"]) == ("daily", 10.0, "ok")
    assert daily["projected_usd"] >= daily["spent_usd"]


def test_database_health_is_one_cheap_line(cli, ledger, nerv_home):
    db = snapshot(cli)["database"]
    assert db["schema_version"] == db["latest_version"] and db["size_bytes"] > 0
    assert db["last_backup_at"] is None
    assert cli("db", "backup").code == 0
    db = snapshot(cli)["database"]
    assert db["last_backup_at"] is not None and 0 <= db["last_backup_age_s"] < 600


def rendered(cli, *options, width=80):
    import os

    os.environ["COLUMNS"] = str(width)
    try:
        result = cli("status", *options)
    finally:
        del os.environ["COLUMNS"]
    assert result.code == 0, result.stderr
    return result.stdout.splitlines()


def test_80_columns_no_long_line_no_split_header(cli, ledger):
    lines = rendered(cli)
    assert lines and max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    assert "#1 Fix the login" in text and "…" in text and LONG_TITLE not in text
    assert re.search(r"bob .*expired", text) and "src/auth/**" in text  # its lease ran out
    assert "approval 1" in text and "npm publish" in text and "carol" in text
    assert "blocked #3" in text and "gpt-mystery" in text and "schema" in text
    assert re.search(r"\d+[smhd] ago", text)
    for line in lines:
        words = set(line.split())
        if words and words <= HEADERS:  # a header row: each header whole, on one line
            assert line.split() == [w for w in line.split() if w in HEADERS]
    headers = [line.split() for line in lines if line.split() and set(line.split()) <= HEADERS]
    assert ["agent", "task", "lease", "seen", "paths"] in headers and ["what", "detail", "who", "since"] in headers


def test_narrow_terminal_still_fits(cli, ledger):
    assert max(len(line) for line in rendered(cli, width=50)) <= 50


def test_utc_and_wide_give_the_full_form(cli, ledger):
    text = "\n".join(rendered(cli, "--utc", "--wide"))
    assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", text) and " ago" not in text
    assert " ".join(LONG_TITLE.split()) in " ".join(text.split())


def test_empty_ledger_renders(cli):
    result = cli("status")
    assert result.code == 0 and "no open tasks" in result.stdout and "none yet" in result.stdout
    assert cli("status", "--json").data["agents"] == []


def test_status_only_reads(cli, ledger, db_hash):
    before = db_hash()
    assert cli("status").code == 0 and cli("status", "--json").code == 0
    assert db_hash() == before


def test_db_status_keeps_the_table_counts(cli, ledger):
    data = cli("db", "status", "--json").data
    assert data["counts"]["tasks"] == 4 and data["counts"]["approval_requests"] == 1 and data["size_bytes"] > 0
