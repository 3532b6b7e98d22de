"""The PreToolUse path-lease guard through the installed console script, on a real SQLite file."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ON_POSTGRESQL, raw_connection

from tests.hooks.test_hook_events import decision, query

PAST = "2000-01-01T00:00:00.000000Z"


@pytest.fixture
def repo(cli, project, tmp_path, monkeypatch):
    monkeypatch.delenv("NERV_AGENT", raising=False)
    folder = tmp_path / "repo"
    (folder / "src" / "auth").mkdir(parents=True)
    assert cli("repo", "add", str(folder), "--project", project).code == 0
    assert cli("task", "add", "Auth rewrite").code == 0
    assert cli("task", "add", "Docs").code == 0
    monkeypatch.chdir(folder)
    assert cli("task", "claim", "1", "--agent", "agent-1", "--paths", "src/auth/**").code == 0
    return folder.resolve()


def call(proc, repo, tool, tool_input, agent=None, **extra):
    stdin = json.dumps({"session_id": "sess-1", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo),
                        "hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": tool_input,
                        "tool_use_id": "tu-1", **extra})
    env = {"NERV_AGENT": agent} if agent else {}
    if not agent:
        env["NERV_AGENT"] = ""
    return proc("hook", "pre-tool-use", stdin=stdin, env=env)


def test_another_agent_s_edit_into_the_lease_is_denied_naming_holder_and_task(proc, repo, db_hash):
    before = db_hash()
    for tool, key in (("Edit", "file_path"), ("Write", "file_path"), ("MultiEdit", "file_path"),
                      ("NotebookEdit", "notebook_path")):
        verdict, reason = decision(call(proc, repo, tool, {key: str(repo / "src/auth/login.py")}, "agent-2"))
        assert verdict == "deny"
        assert "agent-1" in reason and "#1 Auth rewrite" in reason and "nerv lease" in reason
    assert db_hash() == before  # the guard only reads


def test_the_holder_s_own_edit_and_edits_outside_are_not_affected(proc, repo):
    own = call(proc, repo, "Edit", {"file_path": str(repo / "src/auth/login.py")}, "agent-1")
    assert (own.code, own.stdout) == (0, "")
    outside = call(proc, repo, "Write", {"file_path": str(repo / "src/other.py")}, "agent-2")
    assert (outside.code, outside.stdout) == (0, "")
    read = call(proc, repo, "Read", {"file_path": str(repo / "src/auth/login.py")}, "agent-2")
    assert read.stdout == ""


def test_a_call_without_agent_identity_is_denied_and_a_subagent_of_the_holder_is_not(proc, repo):
    assert decision(call(proc, repo, "Edit", {"file_path": str(repo / "src/auth/x.py")}))[0] == "deny"
    sub = call(proc, repo, "Edit", {"file_path": str(repo / "src/auth/x.py")}, "agent-1", agent_id="a1b2",
               agent_type="Explore")
    assert sub.stdout == ""


def test_bash_redirections_and_write_operands_into_the_lease_are_denied(proc, repo):
    for command in ("echo hi > src/auth/token.py", "cd src && echo x >> auth/y.py", "cp /etc/hosts src/auth/", "rm -rf src",
                    f"tee {repo}/src/auth/z.py < /dev/null"):
        verdict, reason = decision(call(proc, repo, "Bash", {"command": command}, "agent-2"))
        assert verdict == "deny", command
        assert "agent-1" in reason and "#1 Auth rewrite" in reason
    assert decision(call(proc, repo, "Monitor", {"command": "make > src/auth/log"}, "agent-2"))[0] == "deny"
    for command in ("cat src/auth/token.py", "echo hi > src/ok.py", 'echo hi > "$TARGET"', "ls src/auth"):
        assert call(proc, repo, "Bash", {"command": command}, "agent-2").stdout == "", command


def test_an_expired_lease_stops_counting(proc, repo, nerv_home):
    query_update(nerv_home, f"UPDATE path_leases SET expires_at = '{PAST}'")
    result = call(proc, repo, "Edit", {"file_path": str(repo / "src/auth/login.py")}, "agent-2")
    assert (result.code, result.stdout) == (0, "")


def test_release_and_done_end_the_lease(cli, proc, repo):
    path = {"file_path": str(repo / "src/auth/login.py")}
    assert cli("task", "release", "1").code == 0
    assert call(proc, repo, "Edit", path, "agent-2").stdout == ""
    assert cli("task", "claim", "1", "--agent", "agent-1", "--paths", "src/auth/**").code == 0
    assert decision(call(proc, repo, "Edit", path, "agent-2"))[0] == "deny"
    assert cli("task", "done", "1", "--agent", "agent-1").code == 0
    assert call(proc, repo, "Edit", path, "agent-2").stdout == ""


def test_the_lease_is_anchored_where_it_was_made_not_where_the_hook_runs(proc, repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stdin_cwd = call(proc, elsewhere, "Edit", {"file_path": str(repo / "src/auth/a.py")}, "agent-2")
    assert decision(stdin_cwd)[0] == "deny"
    assert call(proc, elsewhere, "Edit", {"file_path": str(elsewhere / "src/auth/a.py")}, "agent-2").stdout == ""


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: SQLite's query plan")
def test_the_live_lease_lookup_uses_the_partial_index(nerv_home, repo):
    plan = query(nerv_home, "EXPLAIN QUERY PLAN SELECT l.id FROM path_leases l LEFT JOIN tasks t ON t.id = l.task_id"
                            " WHERE l.released_at IS NULL AND l.expires_at > '2026'")
    assert any("ix_path_leases_live" in row[-1] for row in plan)


def query_update(nerv_home, sql):
    conn = raw_connection(nerv_home)
    try:
        conn.execute(sql)
    finally:
        conn.close()
