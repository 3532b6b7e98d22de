"""session / pricing / cost / metrics commands through the real CLI."""

from __future__ import annotations

import csv
import io

import numpy
import pytest

from tests.conftest import assert_not_a_bug


def test_session_start_links_the_task_and_show_reports_it(cli, project):
    task = cli("task", "add", "Build login", "--json").data
    started = cli("session", "start", "--id", "s-1", "--task", str(task["number"]), "--model", "claude-opus-4-5",
                  "--json")
    assert started.code == 0, started.stderr
    assert started.data["task"] == task["id"] and started.data["status"] == "active"
    shown = cli("session", "show", "s-1", "--json").data
    assert shown["task"]["number"] == task["number"] and shown["project"] == "demo"
    assert cli("session", "end", "s-1", "--reason", "logout").code == 0
    assert cli("session", "show", "s-1", "--json").data["status"] == "ended"
    listed = cli("session", "list", "--task", str(task["number"]), "--json").data
    assert [s["id"] for s in listed] == ["s-1"]


def test_session_start_without_task_links_the_task_the_agent_holds(cli, project):
    cli("task", "add", "Held work")
    assert cli("task", "claim", "--agent", "bot-1").code == 0
    started = cli("session", "start", "--id", "s-2", "--agent", "bot-1", "--json").data
    assert started["task"] is not None and started["agent"] == "bot-1"


@pytest.mark.parametrize("args,code", [
    (("session", "show", "nope-nope"), "not_found"),
    (("session", "end", "nope-nope"), "not_found"),
    (("session", "start", "--task", "999"), "not_found"),
    (("session", "assign", "nope-nope", "--project", "demo"), "not_found"),
    (("session", "list", "--since", "yesterday-ish"), "invalid"),
    (("session", "start", "--id", "bad\x01id"), "invalid"),
])
def test_session_bad_input_is_a_clear_error_and_changes_nothing(cli, project, db_hash, args, code):
    before = db_hash()
    result = cli(*args, "--json")
    assert result.code == 1 and result.error["code"] == code
    assert_not_a_bug(result)
    assert db_hash() == before


def test_starting_a_session_twice_is_a_conflict(cli, project):
    assert cli("session", "start", "--id", "dup").code == 0
    again = cli("session", "start", "--id", "dup", "--json")
    assert again.code == 1 and again.error["code"] == "conflict"


def test_cost_groups_and_percentiles(cli, own, repo_dir):
    cli("project", "add", "alpha", "--path", repo_dir)
    cli("session", "import", own)
    report = cli("cost", "--by", "session", "--json").data
    costs = {g["key"]: g["cost_usd"] for g in report["groups"]}
    assert costs == {"sess-a": pytest.approx(0.004642), "sess-b": pytest.approx(0.501665)}
    assert report["totals"]["api_calls"] == 8
    assert report["per_session"]["p90"] == pytest.approx(float(numpy.percentile([0.004642, 0.501665], 90)))
    assert report["unpriced_models"] == {"gpt-mystery": 1}
    for by in ("day", "week", "month", "project", "model", "task", "cycle"):
        result = cli("cost", "--by", by, "--json")
        assert result.code == 0, (by, result.stderr)
        assert sum(g["api_calls"] for g in result.data["groups"]) == 8
    days = {g["key"] for g in cli("cost", "--by", "day", "--json").data["groups"]}
    assert days == {"2026-11-20", "2026-11-21"}
    one_day = cli("cost", "--since", "2026-11-21", "--until", "2026-11-22", "--json").data
    assert one_day["totals"]["cost_usd"] == pytest.approx(0.501665)
    assert cli("cost", "--project", "alpha", "--json").data["totals"]["cost_usd"] == pytest.approx(0.004642)


def test_cost_rolls_up_to_tasks_and_cycles(cli, project, own):
    task = cli("task", "add", "Costly", "--json").data
    cli("session", "import", own)
    assert cli("session", "assign", "sess-a", "--task", str(task["number"])).code == 0
    by_task = cli("cost", "--by", "task", "--json").data
    keys = {g["key"]: g["cost_usd"] for g in by_task["groups"]}
    assert keys[f"demo #{task['number']} Costly"] == pytest.approx(0.004642)
    assert by_task["per_task"]["count"] == 1


def test_cost_csv_and_chart(cli, own):
    cli("session", "import", own)
    result = cli("cost", "--by", "model", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["key"] for r in rows} >= {"claude-sonnet-4-5-20250929", "gpt-mystery"}
    assert float(next(r for r in rows if r["key"] == "custom-model")["cost_usd"]) == 0.5
    chart = cli("cost", "--by", "day", "--chart")
    assert chart.code == 0 and "█" in chart.stdout


@pytest.mark.parametrize("args", [("--by", "year"), ("--since", "soon"), ("--since", "2026-02-01", "--until",
                                                                          "2026-01-01"), ("--project", "ghost")])
def test_cost_bad_options_fail_cleanly(cli, project, args, db_hash):
    before = db_hash()
    result = cli("cost", *args, "--json")
    assert result.code == 1 and db_hash() == before
    assert_not_a_bug(result)
    refused = cli("cost", "--recompute", *args, "--json")  # nothing re-priced for a report that is refused
    assert refused.code == 1 and db_hash() == before
    assert_not_a_bug(refused)


def test_pricing_set_and_recompute_change_stored_costs(cli, own, nerv_home):
    cli("session", "import", own)
    assert cli("pricing", "set", "gpt-mystery", "--input", "1", "--output", "1").code == 0
    before = cli("cost", "--json").data["totals"]["cost_usd"]
    recomputed = cli("cost", "--recompute", "--json")
    assert recomputed.code == 0 and "gpt-mystery" not in recomputed.data["unpriced_models"]
    with_report = cli("cost", "--recompute", "--by", "model", "--json").data
    assert with_report["recomputed"]["rows"] == recomputed.data["rows"] and with_report["groups"]
    after = cli("cost", "--json").data
    assert after["totals"]["cost_usd"] == pytest.approx(before + 14 / 1_000_000)
    assert after["unpriced_models"] == {}
    listed = {r["model"]: r for r in cli("pricing", "list", "--json").data}
    assert listed["gpt-mystery"]["source"] == "override" and listed["gpt-mystery"]["cache_read"] == pytest.approx(0.1)
    # The old build's costUSD stays for a model nerv still cannot price.
    assert cli("session", "show", "sess-b", "--json").data["cost_usd"] == pytest.approx(0.501665 + 14e-6)


@pytest.mark.parametrize("args", [("--input", "-1", "--output", "1"), ("--input", "nan", "--output", "1"),
                                  ("--input", "1", "--output", "1e12"), ("--input", "1")])
def test_pricing_bad_values_are_refused(cli, args, db_hash):
    cli("status")
    before = db_hash()
    result = cli("pricing", "set", "m", *args, "--json")
    assert result.code in (1, 2) and db_hash() == before
    assert_not_a_bug(result)


def test_metrics_record_list_and_summary(cli, project):
    for value in (1, 2, 3, 4, 100):
        assert cli("metrics", "record", "build_s", str(value), "--unit", "s").code == 0
    cli("metrics", "record", "other", "7", "--meta", '{"branch": "main"}')
    summary = cli("metrics", "summary", "build_s", "--by", "day", "--json").data
    values = numpy.array([1, 2, 3, 4, 100], dtype=float)
    assert summary["count"] == 5 and summary["sum"] == 110 and summary["mean"] == 22 and summary["min"] == 1
    assert summary["max"] == 100 and summary["p90"] == pytest.approx(float(numpy.percentile(values, 90)))
    assert summary["unit"] == "s" and len(summary["days"]) == 1 and summary["days"][0]["count"] == 5
    listed = cli("metrics", "list", "other", "--json").data
    assert len(listed) == 1 and listed[0]["meta"] == '{"branch": "main"}'


@pytest.mark.parametrize("args", [("record", "x", "nan"), ("record", "x", "1", "--meta", "[1]"),
                                  ("record", "x", "1", "--meta", "{bad"), ("record", "x", "1", "--task", "99"),
                                  ("record", "", "1"), ("summary", "missing"), ("summary", "x", "--by", "hour"),
                                  ("record", "x", "abc")])
def test_metrics_bad_input(cli, project, db_hash, args):
    before = db_hash()
    result = cli("metrics", *args, "--json")
    assert result.code in (1, 2) and db_hash() == before
    assert_not_a_bug(result)
