"""Work semantics a person reads off the board: containers, expired leases, what waits on what, retro learnings."""

from __future__ import annotations

from tests.conftest import assert_not_a_bug

PAST = "2000-01-01T00:00:00.000000Z"


def _by_ref(rows):
    return {r["ref"]: r for r in rows}


def test_a_parent_with_open_children_is_a_container_not_ready_work(cli, add_task):
    epic = add_task("the epic", "--type", "epic")
    add_task("child a", "--parent", "1")
    add_task("child b", "--parent", "1")
    add_task("solo")
    assert cli("task", "done", "2").code == 0
    ready = [r["number"] for r in cli("task", "ready", "--json").data]
    assert ready == [3, 4]
    assert cli("task", "next", "--json").data["number"] != epic["number"]
    refused = cli("--json", "task", "claim", "1", "--agent", "bob")
    assert refused.code == 1 and refused.error["code"] != "internal"
    assert "container" in refused.error["message"] and "#3" in refused.error["message"]
    assert_not_a_bug(refused)
    listed = _by_ref(cli("task", "list", "--json").data)
    assert listed["#1"]["container"] and listed["#1"]["progress"] == {"done": 1, "open": 1, "total": 2}
    assert not listed["#4"]["container"] and listed["#4"]["progress"] is None
    shown = cli("task", "show", "1", "--json").data
    assert shown["container"] and not shown["ready"] and len(shown["children"]) == 2
    assert "todo · 1/2 done" in cli("task", "list").stdout
    assert "todo · 1/2 done" in cli("task", "show", "1").stdout
    assert "#1 [1/2]" in cli("task", "board").stdout
    board = cli("task", "board", "--json").data
    todo = next(c for c in board["columns"] if c["status"] == "todo")
    assert next(t for t in todo["tasks"] if t["ref"] == "#1")["progress"]["open"] == 1
    queue = next(q for q in cli("status", "--json").data["queues"] if q["project"] == "demo")
    assert queue["ready"] == 2 and queue["waiting"] == 1
    # Claiming the first ready task never takes the container, even when it sorts first.
    assert cli("task", "edit", "1", "--priority", "0").code == 0
    assert cli("task", "claim", "--agent", "bob", "--json").data["number"] != 1


def test_closing_the_last_child_leaves_the_parent_open_and_ready(cli, add_task):
    add_task("parent")
    add_task("only child", "--parent", "1")
    assert [r["number"] for r in cli("task", "ready", "--json").data] == [2]
    assert cli("task", "done", "2").code == 0
    shown = cli("task", "show", "1", "--json").data
    assert shown["status"] == "todo" and not shown["container"] and shown["ready"]
    assert shown["progress"] == {"done": 1, "open": 0, "total": 1}
    assert cli("task", "claim", "1", "--agent", "bob").code == 0


def test_an_expired_lease_is_shown_as_expired_everywhere(cli, add_task, raw_db):
    add_task("held")
    assert cli("task", "claim", "1", "--agent", "bob").code == 0
    assert cli("task", "list", "--json").data[0]["lease_expired"] is False
    raw_db.execute(f"UPDATE tasks SET lease_expires_at = '{PAST}'")
    assert cli("task", "list", "--json").data[0]["lease_expired"] is True
    assert cli("task", "show", "1", "--json").data["lease_expired"] is True
    board = cli("task", "board", "--json").data
    column = next(c for c in board["columns"] if c["status"] == "in_progress")
    assert column["tasks"][0]["lease_expired"] is True
    for args in (("task", "list"), ("task", "show", "1")):
        text = cli(*args).stdout
        assert "lease expired" in text and "bob (expired)" in text, args
    assert "#1 (expired)" in cli("task", "board").stdout
    agent = next(a for a in cli("status", "--json").data["agents"] if a["name"] == "bob")
    assert agent["task"]["lease_expired"] is True and agent["stale_why"] == "lease expired"
    assert "expired" in cli("status").stdout


def test_task_blocked_lists_what_waits_and_on_what(cli, add_task, raw_db):
    add_task("dependency")
    add_task("waits on it")
    add_task("stuck")
    add_task("parent")
    add_task("open child", "--parent", "4")
    add_task("needs approval")
    add_task("free")
    assert cli("task", "dep", "add", "2", "1").code == 0
    assert cli("task", "block", "3", "--reason", "waiting for the API key").code == 0
    task6 = cli("task", "show", "6", "--json").data["id"]
    raw_db.execute("INSERT INTO approval_requests (project_id, task_id, tool, tool_input, status, created_at) "
                   "SELECT project_id, id, 'Bash', '{\"command\": \"npm publish\"}', 'pending', created_at "
                   "FROM tasks WHERE id = ?", (task6,))
    rows = _by_ref(cli("task", "blocked", "--json").data)
    assert sorted(rows) == ["#2", "#3", "#4", "#6"]
    assert rows["#2"]["waits_on"] == [{"kind": "dependency", "ref": "#1", "title": "dependency", "status": "todo"}]
    assert rows["#3"]["waits_on"] == [{"kind": "blocked", "reason": "waiting for the API key"}]
    assert rows["#4"]["waits_on"] == [{"kind": "subtasks", "done": 0, "open": 1, "total": 1}]
    approval = rows["#6"]["waits_on"][0]
    assert approval["kind"] == "approval" and approval["tool"] == "Bash" and "npm publish" in approval["summary"]
    text = cli("task", "blocked").stdout
    assert "#1 dependency (todo)" in text and "waiting for the API key" in text and "open subtask" in text
    assert cli("task", "done", "1").code == 0
    assert "#2" not in _by_ref(cli("task", "blocked", "--json").data)
    missing = cli("--json", "task", "blocked", "--project", "nope")
    assert missing.code == 1 and missing.error["code"] == "not_found"


def test_task_blocked_with_nothing_waiting(cli, add_task):
    add_task("free")
    assert cli("task", "blocked", "--json").data == []
    assert "nothing waits" in cli("task", "blocked").stdout


def test_cycle_learnings_become_a_learning_of_the_cycle(cli, project):
    assert cli("cycle", "start", "speed up search").code == 0
    closed = cli("cycle", "close", "--learnings", "caching the vectors halves the search time", "--json")
    assert closed.code == 0, closed.stderr
    number = closed.data["learning_number"]
    listed = cli("learnings", "--cycle", "1", "--json").data
    assert [(item["number"], item["cycle_number"], item["tags"]) for item in listed] == [(number, 1, ["retro"])]
    assert listed[0]["text"] == "caching the vectors halves the search time"
    found = cli("search", "vectors halves", "--json").data["results"]
    assert any(r["kind"] == "learning" and r["number"] == number for r in found)
    assert cli("cycle", "start", "next").code == 0
    assert cli("cycle", "close", "--json").data["learning_number"] is None  # no text: no learning
    assert len(cli("learnings", "--json").data) == 1
