"""Bad input to the work-tracking commands: a clear error, exit 1 (2 for usage), no traceback, nothing written."""

from __future__ import annotations

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, backend_connection

BAD = [
    (("task", "add", ""), "invalid", "title must not be empty"),
    (("task", "add", "   "), "invalid", "title must not be empty"),
    (("task", "add", "x" * 100_000), "invalid", "title is 100,000 characters long"),
    (("task", "add", "bell\x07title"), "invalid", "control characters"),
    (("task", "add", "two\nlines"), "invalid", "control characters"),
    (("task", "add", "ok", "-p", "5"), "invalid", "priority must be an integer from 0 to 4"),
    (("task", "add", "ok", "-p", "-1"), "invalid", "priority must be an integer from 0 to 4"),
    (("task", "add", "ok", "--type", "saga"), "invalid", "type 'saga' is not one of"),
    (("task", "add", "ok", "--parent", "99"), "not_found", "task #99 in project demo not found"),
    (("task", "add", "ok", "--depends-on", "1", "--depends-on", "nope!"), "invalid", "is not a task reference"),
    (("task", "add", "ok", "--cycle", "7"), "not_found", "cycle 7"),
    (("task", "add", "ok", "-d", "nul\x00byte"), "invalid", "description contains control characters"),
    (("task", "show", "42"), "not_found", "task #42 in project demo not found"),
    (("task", "show", "ffffffff"), "not_found", "id prefix"),
    (("task", "show", "abc"), "invalid", "too short"),
    (("task", "show", "0" * 32), "not_found", "not found"),
    (("task", "show", "x" * 100), "invalid", "is not a task reference"),
    (("task", "show", "1\x1b[2J"), "invalid", "is not a task reference"),
    (("task", "edit", "1", "--title", ""), "invalid", "title must not be empty"),
    (("task", "edit", "1", "-p", "9"), "invalid", "priority"),
    (("task", "start", "77"), "not_found", "#77"),
    (("task", "block", "1", "--reason", "x" * 1000), "invalid", "reason is 1,000 characters"),
    (("task", "list", "--status", "doing"), "invalid", "status 'doing' is not one of"),
    (("task", "dep", "add", "1", "404"), "not_found", "#404"),
    (("task", "dep", "add", "1", "2", "--type", "requires"), "invalid", "dependency type"),
    (("task", "dep", "rm", "1", "2"), "not_found", "dependency #1 -> #2"),
    (("task", "claim", "--agent", ""), "invalid", "agent name is required"),
    (("task", "claim", "--agent", "a\x00b"), "invalid", "control characters"),
    (("task", "claim", "--agent", "a" * 300), "invalid", "agent name is 300 characters"),
    (("task", "heartbeat", "1", "--agent", "nobody"), "conflict", "nobody does not hold #1"),
    (("task", "release", "1"), "conflict", "it is todo, not in_progress"),
    (("cycle", "start", ""), "invalid", "goal must not be empty"),
    (("cycle", "show", "3"), "not_found", "cycle 3"),
    (("cycle", "close", "--learnings", "a\x00"), "invalid", "control characters"),
    (("task", "list", "--project", "ghost"), "not_found", "project 'ghost' not found"),
]


@pytest.mark.parametrize("args, code, text", BAD, ids=[" ".join(a[:3])[:40] for a, _, _ in BAD])
def test_bad_input_is_refused_and_changes_nothing(cli, seeded, db_hash, args, code, text):
    before = db_hash()
    result = cli(*args, "--json")
    assert result.code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.error["code"] == code
    assert_not_a_bug(result)
    assert text in result.error["message"], result.error
    assert db_hash() == before


def test_errors_for_people_are_one_line_without_traceback(cli, add_task, db_hash):
    add_task("x")
    before = db_hash()
    result = cli("task", "add", "ok", "-p", "12")
    assert result.code == 1
    assert result.stderr.startswith("error: priority must be an integer from 0 to 4")
    assert_not_a_bug(result)
    assert db_hash() == before


def test_priority_that_is_not_a_number_is_a_usage_error(cli, project, db_hash):
    before = db_hash()
    result = cli("task", "add", "ok", "-p", "high")
    assert result.code == 2
    assert_not_a_bug(result)
    assert db_hash() == before


def test_task_commands_without_a_current_project_say_how_to_pick_one(cli, db_hash):
    assert cli("status").code == 0
    before = db_hash()
    result = cli("task", "list", "--json")
    assert result.code == 1 and "--project" in result.error["hint"]
    assert db_hash() == before


@pytest.mark.parametrize("command", [("task", "edit", "1", "--title", "new"), ("task", "done", "1"),
                                     ("task", "start", "1"), ("task", "rm", "1", "--yes"),
                                     ("task", "dep", "add", "1", "2"), ("task", "heartbeat", "1", "--agent", "a")])
def test_a_task_removed_between_lookup_and_write_is_not_found(cli, add_task, monkeypatch, nerv_home, command):
    import sqlite3

    from nerv.services import tasks

    add_task("doomed")
    add_task("other")
    looked_up = tasks.find_task

    def lookup_then_removed_by_another_process(*args, **kwargs):
        task = looked_up(*args, **kwargs)
        if task.number == 1:
            other = backend_connection() if ON_POSTGRESQL else sqlite3.connect(nerv_home / "state.db")
            other.execute("DELETE FROM tasks WHERE id = ?", (task.id,))
            if not ON_POSTGRESQL:
                other.commit()
            other.close()
        return task

    for module in ("nerv.services.tasks", "nerv.services.tasks_graph", "nerv.services.claims"):
        monkeypatch.setattr(f"{module}.find_task", lookup_then_removed_by_another_process)
    result = cli(*command, "--json")
    assert result.code == 1 and result.error["code"] == "not_found", result.stderr
    assert "removed by another process" in result.error["message"]


@pytest.mark.parametrize("command", [("approval", "show"), ("approval", "approve"), ("approval", "deny"),
                                     ("audit", "show"), ("lease", "release"), ("checkpoint", "show"),
                                     ("checkpoint", "restore", "--yes"), ("rule", "rm")])
def test_an_id_past_sqlites_integers_is_refused_cleanly(cli, project, db_hash, command):
    before = db_hash()
    result = cli(*command[:2], str(10**23), *command[2:], "--json")
    assert result.code in (1, 2) and result.error["code"] == "invalid", result.stderr
    assert db_hash() == before


@pytest.mark.parametrize("command", [("checkpoint", "show"), ("checkpoint", "diff"), ("audit", "list", "--id")])
def test_a_megabyte_reference_is_refused_or_matches_nothing(cli, project, command):
    assert cli("checkpoint", "create", "first").code == 0
    result = cli(*command, "a" * 1_000_000, "--json")
    assert result.code in (0, 1), result.stderr
    assert_not_a_bug(result)
    assert result.code == 0 or result.error["code"] == "invalid"


# A project name holding a NUL is looked up as given: SQLite finds no such project; psycopg2 refuses to send the
# value (PostgreSQL's text cannot hold U+0000), which nerv reports as bad input, never as its own bug.
@pytest.mark.parametrize("args", [("project", "show", "\x00"), ("project", "use", "a\x00"),
                                  ("task", "list", "--project", "\x00")])
def test_a_nul_in_a_looked_up_name_is_refused_and_changes_nothing(cli, project, db_hash, args):
    before = db_hash()
    result = cli(*args, "--json")
    assert result.code == 1 and result.stdout == ""
    assert result.error["code"] == ("invalid" if ON_POSTGRESQL else "not_found"), result.error
    assert_not_a_bug(result)
    assert db_hash() == before
