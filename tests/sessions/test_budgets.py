"""Budgets: set/status/check, and the hook functions (80 % warning, enforced deny, SessionEnd import)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from nerv.hook.plugins import budget as hook_budget
from nerv.hook.plugins.transcripts import import_session_transcript
from tests.conftest import assert_not_a_bug, raw_connection

SONNET = "claude-sonnet-4-5-20250929"


def spend_today(folder, cwd: str, output_tokens: int, session: str = "today-1"):
    """A transcript of one Sonnet 4.5 call made now: costs output_tokens * $15 per million."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    line = {"type": "assistant", "sessionId": session, "cwd": cwd, "timestamp": now, "requestId": "r-" + session,
            "isSidechain": False, "message": {"id": "m-" + session, "model": SONNET,
                                              "usage": {"input_tokens": 0, "output_tokens": output_tokens}}}
    path = folder / f"{session}.jsonl"
    path.write_text(json.dumps(line) + "\n")
    return path


@pytest.fixture
def spent(cli, tmp_path, repo_dir):
    """Project alpha (repo_dir) with $1.50 spent today in session today-1."""
    cli("project", "add", "alpha", "--path", repo_dir)
    path = spend_today(tmp_path / "t", str(repo_dir), 100_000)
    assert cli("session", "import", path.parent).code == 0
    return path


def test_budget_status_and_check(cli, spent):
    assert cli("budget", "set", "--daily", "10", "--monthly", "1").code == 0
    states = {s["period"]: s for s in cli("budget", "status", "--json").data}
    assert states["daily"]["spent_usd"] == pytest.approx(1.5) and states["daily"]["state"] == "ok"
    assert states["monthly"]["state"] == "exceeded"
    check = cli("budget", "check")
    assert check.code == 1 and "monthly budget of (all projects): $1.50 of $1.00" in check.stdout
    assert cli("budget", "set", "--monthly", "100").code == 0
    assert cli("budget", "check").code == 0
    assert cli("budget", "rm", "monthly").code == 0
    assert [s["period"] for s in cli("budget", "status", "--json").data] == ["daily"]


def test_per_task_budget_measures_the_costliest_task(cli, spent, repo_dir):
    task = cli("task", "add", "Pricey", "--project", "alpha", "--json").data
    cli("session", "assign", "today-1", "--task", task["id"])
    cli("budget", "set", "--project", "alpha", "--per-task", "1")
    check = cli("budget", "check", "--json")
    assert check.code == 1
    (over,) = check.data["exceeded"]
    assert over["period"] == "per_task" and over["task_id"] == task["id"] and over["project"] == "alpha"


@pytest.mark.parametrize("args", [(), ("--daily", "0"), ("--daily", "-3"), ("--monthly", "nan"),
                                  ("--daily", "1", "--project", "ghost")])
def test_bad_budgets_are_refused(cli, args, db_hash):
    cli("status")
    before = db_hash()
    result = cli("budget", "set", *args, "--json")
    assert result.code == 1 and db_hash() == before
    assert_not_a_bug(result)


def test_hook_context_warns_at_80_percent(cli, spent, nerv_home, repo_dir):
    conn = raw_connection(nerv_home)
    event = {"session_id": "today-1", "cwd": str(repo_dir)}
    cli("budget", "set", "--daily", "2")
    assert hook_budget.budget_context(conn, "SessionStart", event) is None  # 75 %
    cli("budget", "set", "--daily", "1.8")
    warning = hook_budget.budget_context(conn, "UserPromptSubmit", event)
    assert "daily budget of (all projects): $1.50 of $1.80 (83%)" in warning


def test_hook_guard_denies_only_when_enforced_and_hard(cli, spent, nerv_home, repo_dir):
    conn = raw_connection(nerv_home)
    event = {"session_id": "other", "cwd": str(repo_dir / "src"), "tool_name": "Bash"}
    cli("budget", "set", "--project", "alpha", "--daily", "1", "--soft")
    assert hook_budget.budget_guard(conn, event) is None  # not enforced
    cli("settings", "set", "budget.enforce", "true")
    assert hook_budget.budget_guard(conn, event) is None  # soft budget
    cli("budget", "set", "--project", "alpha", "--daily", "1")
    decision, reason = hook_budget.budget_guard(conn, event)
    assert decision == "deny" and "daily budget of alpha" in reason
    assert hook_budget.budget_guard(conn, {"cwd": "/elsewhere"}) is None  # another project's budget


def test_pre_tool_use_hook_denies_through_the_real_entry_point(cli, proc, spent, repo_dir):
    cli("budget", "set", "--daily", "1")
    cli("settings", "set", "budget.enforce", "true")
    payload = {"session_id": "today-1", "cwd": str(repo_dir), "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": "ls"}, "tool_use_id": "t1", "transcript_path": "/nonexistent.jsonl"}
    result = proc("hook", "pre-tool-use", stdin=json.dumps(payload))
    assert result.code == 0
    answer = json.loads(result.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny", (answer, result.stderr)
    assert answer["permissionDecision"] == "deny" and "budget exceeded" in answer["permissionDecisionReason"]


def test_session_end_hook_imports_the_sessions_own_transcript(cli, proc, tmp_path, nerv_home, repo_dir):
    cli("project", "add", "alpha", "--path", repo_dir)
    main = spend_today(tmp_path / "p", str(repo_dir), 1000, session="sess-x")
    spend_today(tmp_path / "p" / "sess-x" / "subagents", str(repo_dir), 2000, session="sess-x-agent")
    spend_today(tmp_path / "p", str(repo_dir), 5000, session="unrelated")
    payload = {"session_id": "sess-x", "transcript_path": str(main), "cwd": str(repo_dir),
               "hook_event_name": "SessionEnd", "reason": "logout"}
    ended = proc("hook", "session-end", stdin=json.dumps(payload))
    assert ended.code == 0 and "failed" not in ended.stderr, ended.stderr
    conn = raw_connection(nerv_home)
    imported = {r[0] for r in conn.execute("SELECT message_id FROM usage")}
    assert imported == {"m-sess-x", "m-sess-x-agent"}
    assert import_session_transcript(conn, {"transcript_path": 42}) is None
    assert import_session_transcript(conn, {"transcript_path": str(tmp_path / "gone.jsonl")}) is None


@pytest.mark.parametrize("through_link", [False, True])
def test_enforced_budget_denies_the_same_call_through_a_symlink_to_the_repo(cli, proc, spent, tmp_path, repo_dir,
                                                                             through_link):
    cli("budget", "set", "--project", "alpha", "--daily", "1")
    cli("settings", "set", "budget.enforce", "true")
    link = tmp_path / "link-to-repo"
    link.symlink_to(repo_dir, target_is_directory=True)
    cwd = str(link if through_link else repo_dir)
    payload = {"session_id": "unknown-session", "cwd": cwd, "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": "ls"}, "tool_use_id": "t1", "transcript_path": "/nonexistent.jsonl"}
    result = proc("hook", "pre-tool-use", stdin=json.dumps(payload))
    answer = json.loads(result.stdout or "{}").get("hookSpecificOutput", {})
    assert answer.get("permissionDecision") == "deny", (answer, result.stderr)
