"""Cycles: one active per project, progress, close with learnings or carry-over, velocity statistics."""

from __future__ import annotations

import numpy as np


def test_one_active_cycle_and_progress(cli, add_task, db_hash):
    started = cli("cycle", "start", "Ship login", "--json").data
    assert (started["number"], started["status"]) == (1, "active")
    before = db_hash()
    again = cli("cycle", "start", "Another", "--json")
    assert again.code == 1 and "cycle 1 (Ship login) is still active" in again.error["message"]
    assert db_hash() == before
    add_task("a", "--cycle", "1")
    add_task("b", "--cycle", "1")
    add_task("not in cycle")
    cli("task", "done", "1")
    current = cli("cycle", "current", "--json").data
    assert current["progress"]["done"] == 1 and current["progress"]["total"] == 2
    shown = cli("cycle", "show", "1", "--json").data
    assert [t["ref"] for t in shown["tasks"]] == ["#1", "#2"]
    assert [r["number"] for r in cli("task", "list", "--cycle", "1", "--json").data] == [1, 2]
    assert "1/2" in cli("cycle", "list").stdout


def test_close_refuses_with_open_tasks_listed_then_carries_over(cli, add_task, db_hash):
    cli("cycle", "start", "First")
    add_task("finished", "--cycle", "1")
    add_task("unfinished", "--cycle", "1")
    add_task("also open", "--cycle", "1")
    cli("task", "done", "1")
    before = db_hash()
    refused = cli("cycle", "close", "--json")
    assert refused.code == 1
    assert "#2 unfinished (todo)" in refused.error["message"] and "#3 also open" in refused.error["message"]
    assert refused.error["details"] == ["#2", "#3"]
    assert db_hash() == before
    closed = cli("cycle", "close", "--carry-over", "--learnings", "smaller tasks", "--next-goal", "Finish",
                 "--json").data
    assert (closed["status"], closed["learnings"], closed["carried_over"]) == ("closed", "smaller tasks", ["#2", "#3"])
    assert closed["next_cycle"]["number"] == 2 and closed["next_cycle"]["goal"] == "Finish"
    assert cli("task", "show", "2", "--json").data["cycle_number"] == 2
    assert cli("task", "show", "1", "--json").data["cycle_number"] == 1
    assert cli("task", "add", "late", "--cycle", "1", "--json").code == 1  # closed cycle takes no task


def test_close_without_active_cycle_and_current_without_one(cli, project):
    assert cli("cycle", "close", "--json").error["code"] == "not_found"
    assert cli("cycle", "current", "--json").code == 1
    assert cli("cycle", "velocity", "--json").data["closed_cycles"] == 0


def test_velocity_mean_median_p90_over_closed_cycles(cli, add_task, raw_db):
    done_per_cycle = [1, 2, 6]
    number = 0
    for cycle_index, count in enumerate(done_per_cycle, start=1):
        cli("cycle", "start", f"cycle {cycle_index}")
        for _ in range(count):
            number += 1
            add_task(f"t{number}", "--cycle", str(cycle_index))
            cli("task", "done", str(number))
        cli("cycle", "close")
    # Make the lengths known: 1, 3 and 10 days.
    for cycle_number, days in ((1, 1), (2, 3), (3, 10)):
        raw_db.execute("UPDATE cycles SET started_at = '2026-01-01T00:00:00.000000Z', "
                       f"closed_at = '2026-01-{1 + days:02d}T00:00:00.000000Z' WHERE number = ?", (cycle_number,))
    velocity = cli("cycle", "velocity", "--json").data
    assert velocity["closed_cycles"] == 3
    assert velocity["tasks"] == {"mean": 3.0, "median": 2.0, "p90": round(float(np.percentile([1, 2, 6], 90)), 3)}
    assert velocity["days"]["median"] == 3.0 and velocity["days"]["mean"] == round(14 / 3, 3)
    assert "median 2" in cli("cycle", "list").stdout
