"""Tasks: numbers and references, the state machine, subtasks, edit, rm, the board."""

from __future__ import annotations

import json

import pytest

from tests.work.conftest import status_of


def test_tasks_get_per_project_numbers_and_list_in_order(cli, add_task):
    first, second = add_task("Write the parser"), add_task("Test the parser", "-p", "0", "--type", "bug")
    assert (first["number"], second["number"]) == (1, 2)
    assert second["priority"] == 0 and second["type"] == "bug" and second["status"] == "todo"
    assert cli("project", "add", "other").code == 0
    other = cli("task", "add", "Elsewhere", "--project", "other", "--json").data
    assert other["number"] == 1
    rows = cli("task", "list", "--json").data
    assert [r["number"] for r in rows] == [1, 2]
    assert [r["title"] for r in cli("task", "list", "--status", "todo", "--project", "other", "--json").data] == \
        ["Elsewhere"]


def test_every_reference_form_finds_the_same_task(cli, add_task):
    task = add_task("Referenced")
    add_task("Another")
    for ref in ("1", "#1", task["id"], task["id"][:8], task["id"][:8].upper()):
        result = cli("task", "show", ref, "--json")
        assert result.code == 0, (ref, result.stderr)
        assert result.data["id"] == task["id"]


def test_find_task_is_importable_and_resolves_numbers_in_the_given_project(cli, add_task, nerv_home):
    from nerv.cli import _ctx
    from nerv.services.tasks import find_task

    task = add_task("Via service")
    store = _ctx.store()
    try:
        assert find_task(store, "1").id == task["id"]
        assert find_task(store, task["id"][:6], project="demo").id == task["id"]
    finally:
        _ctx.close()


def test_ambiguous_prefix_lists_candidates(cli, add_task, raw_db):
    add_task("A")
    add_task("B")
    # Give both ids a shared prefix: real uuids rarely collide in 4 characters within a test.
    raw_db.execute("UPDATE tasks SET id = 'abcd' || substr(id, 5) WHERE number IN (1, 2)")
    result = cli("task", "show", "abcd", "--json")
    assert result.code == 1
    assert result.error["code"] == "ambiguous"
    assert "#1 A" in result.error["message"] and "#2 B" in result.error["message"]


# Every verb from every status: allowed moves land on the target; others are refused with a clear message.
TARGET = {"start": "in_progress", "review": "review", "done": "done", "block": "blocked", "reopen": "todo",
          "cancel": "cancelled"}
ALLOWED = {"start": {"todo", "blocked", "review"}, "review": {"in_progress"}, "done": {"todo", "in_progress", "review"},
           "block": {"todo", "in_progress", "review"}, "reopen": {"done", "cancelled", "blocked"},
           "cancel": {"todo", "in_progress", "review", "blocked"}}
PATH_TO = {"todo": [], "in_progress": ["start"], "review": ["start", "review"], "done": ["done"],
           "blocked": ["block"], "cancelled": ["cancel"]}


@pytest.mark.parametrize("verb", list(TARGET))
def test_state_machine(cli, add_task, db_hash, verb):
    """`verb` from every status (one task per status): allowed moves land on the target, others are refused."""
    for status, path in PATH_TO.items():
        task = add_task(f"from {status}")
        ref = str(task["number"])
        for step in path:
            assert cli("task", step, ref).code == 0
        assert status_of(cli, ref) == status
        before = db_hash()
        result = cli("task", verb, ref, "--reason", "because", "--json")
        if status in ALLOWED[verb]:
            assert result.code == 0, (status, result.stderr)
            assert result.data["status"] == TARGET[verb]
            assert result.data["status_reason"] == "because"
        else:
            assert result.code == 1, status
            assert result.error["code"] == "conflict"
            assert f"cannot {verb} #{ref} from {status}: it is {status}" in result.error["message"]
            assert db_hash() == before


def test_transitions_set_timestamps_and_write_audit_rows(cli, add_task, raw_db):
    add_task("Timed")
    started = cli("task", "start", "1", "--agent", "ann", "--json").data
    assert started["started_at"] and started["assignee"] == "ann"
    done = cli("task", "done", "1", "--agent", "ann", "--json").data
    assert done["completed_at"] and done["lease_expires_at"] is None
    reopened = cli("task", "reopen", "1", "--json").data
    assert reopened["assignee"] is None and reopened["completed_at"] is None
    actions = [r[0] for r in raw_db.execute("SELECT action FROM audit_log WHERE entity='task' ORDER BY id")]
    assert actions == ["task.add", "task.start", "task.done", "task.reopen"]
    actor = raw_db.execute("SELECT actor FROM audit_log WHERE action='task.start'").fetchone()[0]
    assert actor in ("tester", "ann")


def test_done_or_review_by_a_non_holder_needs_force_and_is_audited_as_forced(cli, add_task, db_hash, raw_db):
    add_task("Held")
    assert cli("task", "start", "1", "--agent", "ann").code == 0
    before = db_hash()
    for args in (("--agent", "bob"), ()):
        for verb in ("review", "done"):
            refused = cli("task", verb, "1", *args, "--json")
            assert refused.code == 1 and refused.error["code"] == "conflict", (verb, args)
            assert "ann holds it" in refused.error["message"] and "--force" in refused.error["hint"]
    assert db_hash() == before
    forced = cli("task", "done", "1", "--agent", "bob", "--force", "--json")
    assert forced.code == 0 and forced.data["status"] == "done"
    last = raw_db.execute("SELECT action, actor FROM audit_log WHERE entity='task' ORDER BY id DESC").fetchone()
    assert last[0] == "task.done.forced" and last[1] in ("tester", "bob")  # NERV_ACTOR wins when set
    add_task("Free")
    assert cli("task", "done", "2").code == 0  # nobody holds it: nothing to override


def test_start_refuses_while_blocking_dependencies_are_open(cli, add_task):
    add_task("Base")
    add_task("Top", "--depends-on", "1")
    result = cli("task", "start", "2", "--json")
    assert result.code == 1 and "waits on #1 Base (todo)" in result.error["message"]
    assert cli("task", "done", "1").code == 0
    assert cli("task", "start", "2").code == 0


def test_parent_cannot_be_done_while_children_are_open(cli, add_task, db_hash):
    add_task("Epic", "--type", "epic")
    add_task("Child one", "--parent", "1")
    add_task("Child two", "--parent", "1")
    shown = cli("task", "show", "1", "--json").data
    assert [c["ref"] for c in shown["children"]] == ["#2", "#3"]
    assert cli("task", "show", "2", "--json").data["parent"]["ref"] == "#1"
    before = db_hash()
    result = cli("task", "done", "1", "--json")
    assert result.code == 1
    assert "#2 Child one (todo)" in result.error["message"] and "#3 Child two (todo)" in result.error["message"]
    assert db_hash() == before
    assert cli("task", "done", "2").code == 0 and cli("task", "cancel", "3").code == 0
    assert cli("task", "done", "1").code == 0


def test_parent_loops_are_refused(cli, add_task):
    add_task("Top")
    add_task("Middle", "--parent", "1")
    add_task("Bottom", "--parent", "2")
    result = cli("task", "edit", "1", "--parent", "3", "--json")
    assert result.code == 1 and result.error["code"] == "conflict"
    assert cli("task", "edit", "1", "--parent", "1").code == 1


def test_edit_changes_fields_and_audits_only_what_changed(cli, add_task, raw_db):
    add_task("Old title")
    add_task("Parent")
    data = cli("task", "edit", "1", "--title", "New title", "-p", "0", "--parent", "2", "--json").data
    assert (data["title"], data["priority"], data["parent_id"] is not None) == ("New title", 0, True)
    after = json.loads(raw_db.execute("SELECT after FROM audit_log WHERE action='task.edit'").fetchone()[0])
    assert set(after) == {"title", "priority", "parent_id", "updated_at"}
    assert cli("task", "edit", "1", "--no-parent", "--json").data["parent_id"] is None
    assert cli("task", "edit", "1", "--json").code == 1  # nothing to change


def test_rm_explains_then_deletes_and_keeps_children(cli, add_task, db_hash):
    add_task("Doomed")
    add_task("Kid", "--parent", "1")
    add_task("Waiter", "--depends-on", "1")
    before = db_hash()
    result = cli("task", "rm", "1", "--json")
    assert result.code == 1 and "--yes" in result.error["hint"]
    assert db_hash() == before
    assert cli("task", "rm", "1", "--yes").code == 0
    assert cli("task", "show", "1").code == 1
    assert cli("task", "show", "2", "--json").data["parent_id"] is None
    assert cli("task", "show", "3", "--json").data["depends_on"] == []


def test_board_json_has_every_status_column_with_counts(cli, add_task):
    for title in ("a", "b", "c", "d"):
        add_task(title)
    cli("task", "start", "2")
    cli("task", "cancel", "3")
    data = cli("task", "board", "--json").data
    assert [c["status"] for c in data["columns"]] == ["todo", "in_progress", "review", "blocked", "done", "cancelled"]
    counts = {c["status"]: c["count"] for c in data["columns"]}
    assert counts == {"todo": 2, "in_progress": 1, "review": 0, "blocked": 0, "done": 0, "cancelled": 1}
    assert [t["ref"] for t in data["columns"][0]["tasks"]] == ["#1", "#4"]


def test_board_fits_80_columns_with_long_titles(cli, add_task, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    from nerv.cli import _output

    monkeypatch.setattr(_output, "_console", None)
    add_task("A very long title that goes on and on well past any column width " * 3)
    for _ in range(14):
        add_task("short")
    cli("task", "start", "2")
    result = cli("task", "board")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "todo" in lines[0] and "in_progress" in lines[0] and "done" in lines[0]
    assert "(14)" in result.stdout and "... 2 more" in result.stdout


def test_board_shows_holders_and_what_waits(cli, add_task, monkeypatch):
    from nerv.cli import _output

    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(_output, "_console", None)
    add_task("Build it")
    add_task("Ship it")
    assert cli("task", "dep", "add", "2", "1").code == 0
    assert cli("task", "claim", "1", "--agent", "alice").code == 0
    text = cli("task", "board").stdout
    assert "#1 alice: Build it" in text and "#2* Ship it" in text and "* waits on" in text
    todo = cli("task", "board", "--json").data["columns"][0]["tasks"]
    assert [(t["ref"], t["waits"]) for t in todo] == [("#2", True)]
