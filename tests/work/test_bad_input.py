"""Bad input to the work-tracking commands: a clear error, exit 1 (2 for usage), no traceback, nothing written."""

from __future__ import annotations

import pytest

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
    assert text in result.error["message"], result.error
    assert db_hash() == before


def test_errors_for_people_are_one_line_without_traceback(cli, add_task, db_hash):
    add_task("x")
    before = db_hash()
    result = cli("task", "add", "ok", "-p", "12")
    assert result.code == 1
    assert result.stderr.startswith("error: priority must be an integer from 0 to 4")
    assert "Traceback" not in result.stderr
    assert db_hash() == before


def test_priority_that_is_not_a_number_is_a_usage_error(cli, project, db_hash):
    before = db_hash()
    result = cli("task", "add", "ok", "-p", "high")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert db_hash() == before


def test_task_commands_without_a_current_project_say_how_to_pick_one(cli, db_hash):
    assert cli("status").code == 0
    before = db_hash()
    result = cli("task", "list", "--json")
    assert result.code == 1 and "--project" in result.error["hint"]
    assert db_hash() == before


def test_every_work_command_has_help(cli):
    for group, commands in (("task", ["add", "list", "show", "edit", "start", "review", "done", "block", "reopen",
                                       "cancel", "rm", "board", "ready", "next", "claim", "heartbeat", "release"]),
                            ("cycle", ["start", "list", "show", "current", "close"]), ("agent", ["list"])):
        for command in commands:
            result = cli(group, command, "--help")
            assert result.code == 0 and "Options" in result.stdout, (group, command)
    for command in ("add", "rm", "tree"):
        assert cli("task", "dep", command, "--help").code == 0
