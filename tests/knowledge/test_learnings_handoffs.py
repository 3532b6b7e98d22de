"""Learnings, handoffs, the resume brief, and the SessionStart context provider."""

from __future__ import annotations

import json
import subprocess
import sys

from nerv.hook.plugins.handoff import context_for_session
from tests.conftest import assert_not_a_bug, raw_connection


def test_learn_and_list_with_tags_task_and_active_cycle(cli, project):
    cli("task", "add", "Fix login")
    assert cli("cycle", "start", "Make login reliable").code == 0
    first = cli("--json", "learn", "Cookies need SameSite=Lax", "--task", "1", "--tag", "auth", "--tag", "web",
                "--tag", "auth").data
    assert first["number"] == 1 and first["tags"] == ["auth", "web"] and first["task_id"]
    assert first["cycle_id"] is not None  # joined the active cycle
    cli("learn", "Unrelated note", "--cycle", "1")
    rows = cli("--json", "learnings", "--cycle", "1").data
    assert [r["number"] for r in rows] == [2, 1] and rows[1]["task_number"] == 1 and rows[0]["cycle_number"] == 1
    assert [r["number"] for r in cli("--json", "learnings", "--tag", "web").data] == [1]
    assert [r["number"] for r in cli("--json", "learnings", "--task", "1").data] == [1]


BAD_INPUT = [
    (["learn", ""], "invalid"),
    (["learn", "x" * 100_001], "invalid"),
    (["learn", "bad\x00text"], "invalid"),
    (["learn", "ok", "--task", "42"], "not_found"),
    (["learn", "ok", "--tag", "a\nb"], "invalid"),
    (["learnings", "--cycle", "9"], "not_found"),
    (["handoff", "save", "   "], "invalid"),
    (["handoff", "save", "ok", "--task", "abc!"], "invalid"),
    (["handoff", "save", "ok", "--file", "src/x.py:0"], "invalid"),
    (["handoff", "show", "--task", "7"], "not_found"),
]


def test_bad_input_is_refused_cleanly(cli, project, db_hash):
    before = db_hash()
    for args, code in BAD_INPUT:
        result = cli("--json", *args)
        assert result.code == 1 and result.error["code"] == code, (args[:2], result.stderr)
        assert db_hash() == before
        assert_not_a_bug(cli(*args))


def test_handoff_save_parses_files_and_defaults_to_the_held_task(cli, project, monkeypatch):
    cli("task", "add", "Fix login")
    monkeypatch.setenv("NERV_AGENT", "ada")
    assert cli("task", "claim", "1").code == 0
    saved = cli("--json", "handoff", "save", "Refactored the redirect", "--next", "write a test", "--next", "ship",
                "--file", "src/auth.py:120", "--file", "C:/x/y.py", "--file", "README.md").data
    assert saved["task"]["number"] == 1 and saved["agent"] == "ada"
    assert saved["files"] == [{"path": "src/auth.py", "line": 120}, {"path": "C:/x/y.py", "line": None},
                              {"path": "README.md", "line": None}]
    assert saved["next_steps"] == ["write a test", "ship"]


def _brief_world(cli, monkeypatch):
    cli("task", "add", "Design schema")
    cli("task", "add", "Fix login", "--depends-on", "1")
    cli("task", "done", "1")
    monkeypatch.setenv("NERV_AGENT", "ada")
    assert cli("task", "claim", "2").code == 0
    cli("decision", "add", "Use cookies, not tokens", "--task", "2")
    cli("learn", "SameSite=Lax breaks the OAuth callback", "--task", "2")
    cli("handoff", "save", "Stopped in the callback handler", "--next", "add test", "--file", "src/auth.py:88")


def test_handoff_show_is_a_compact_resume_brief(cli, project, monkeypatch):
    _brief_world(cli, monkeypatch)
    data = cli("--json", "handoff", "show").data
    assert data["task"]["number"] == 2 and data["dependencies"][0]["status"] == "done"
    brief = data["brief"]
    for expected in ("Task #2: Fix login [in_progress, held by ada]", "Depends on: #1 Design schema [done]",
                     "Stopped in the callback handler", "src/auth.py:88", "Next 1. add test",
                     "#1 Use cookies, not tokens [proposed]", "Learning #1: SameSite=Lax breaks the OAuth callback"):
        assert expected in brief
    assert len(brief) < 2000
    assert cli("handoff", "show", "--task", "1").stdout.count("No handoff saved yet") == 1


def _hook_conn(nerv_home):
    return raw_connection(nerv_home)


def test_session_start_context_for_the_held_task_in_the_repo(cli, project, monkeypatch, tmp_path, nerv_home):
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    cli("repo", "add", repo, "--project", "demo")
    _brief_world(cli, monkeypatch)
    conn = _hook_conn(nerv_home)
    try:
        payload = {"session_id": "s1", "cwd": str(repo / "src"), "hook_event_name": "SessionStart"}
        text = context_for_session(conn, "SessionStart", payload)
        assert text and "Task #2: Fix login" in text and "Stopped in the callback handler" in text
        assert context_for_session(conn, "UserPromptSubmit", payload) is None
        assert context_for_session(conn, "SessionStart", {**payload, "cwd": str(tmp_path)}) is None
        assert context_for_session(conn, "SessionStart", {"cwd": 12}) is None
        monkeypatch.setenv("NERV_AGENT", "someone-else")
        assert context_for_session(conn, "SessionStart", payload) is None
    finally:
        conn.close()


def test_session_start_hook_adds_the_brief_end_to_end(cli, proc, project, monkeypatch, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    cli("repo", "add", repo, "--project", "demo")
    _brief_world(cli, monkeypatch)
    payload = {"session_id": "s-e2e", "cwd": str(repo), "hook_event_name": "SessionStart", "source": "startup",
               "transcript_path": str(tmp_path / "t.jsonl")}
    result = proc("hook", "session-start", stdin=json.dumps(payload))
    assert result.code == 0, result.stderr
    context = json.loads(result.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "Task #2: Fix login" in context


def test_context_provider_is_stdlib_only():
    code = ("import sys, nerv.hook.plugins.handoff; heavy = {'peewee', 'numpy', 'typer', 'rich'} & set(sys.modules);"
            "print(sorted(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
