"""`nerv approval ...`: requests recorded by the hook, decisions, remembered rules, suggestions."""

from __future__ import annotations

import json

import pytest

from nerv.hook.pretool import handle
from tests.conftest import assert_not_a_bug, run_cli


def pre_tool_use(capsys, command, tool="Bash", cwd=None, tool_use_id="tu1"):
    """Run the PreToolUse handler in-process (the subprocess path is covered in tests/hooks).

    In `strict` mode, where an unruled call records an approval request and is asked: the default mode has no
    opinion on such a call (docs/hooks.md), and these tests are about the requests.
    """
    assert run_cli("settings", "set", "hook.mode", "strict").code == 0
    payload = {"session_id": "s1", "cwd": cwd or "/tmp", "hook_event_name": "PreToolUse", "tool_name": tool,
               "tool_input": {"command": command} if tool == "Bash" else {"file_path": command},
               "tool_use_id": tool_use_id}
    assert handle(json.dumps(payload).encode()) == 0
    out = capsys.readouterr().out
    return json.loads(out)["hookSpecificOutput"] if out.strip() else None


def test_no_rule_records_a_request_and_asks(cli, capsys):
    answer = pre_tool_use(capsys, "npm run build")
    assert answer["permissionDecision"] == "ask" and "approval request #1" in answer["permissionDecisionReason"]
    rows = cli("approval", "list", "--json").data
    assert [(r["id"], r["tool"], r["status"], r["summary"]) for r in rows] == [(1, "Bash", "pending", "npm run build")]
    shown = cli("approval", "show", "1", "--json").data
    assert shown["tool_input"] == {"command": "npm run build"} and shown["suggested_rule"] == "Bash(npm run build *)"


def test_approve_with_remember_stores_a_rule_that_then_allows(cli, capsys):
    pre_tool_use(capsys, "npm run build")
    data = cli("approval", "approve", "1", "--remember", "--json").data
    assert (data["status"], data["remembered_rule"]) == ("approved", "Bash(npm run build *)")
    assert pre_tool_use(capsys, "npm run build --prod")["permissionDecision"] == "allow"
    assert cli("approval", "approve", "1").code == 1  # already decided


def test_deny_with_reason_and_remember(cli, capsys):
    pre_tool_use(capsys, "curl https://x")
    data = cli("approval", "deny", "1", "--reason", "no network", "--remember", "--json").data
    assert (data["status"], data["reason"], data["remembered_rule"]) == ("denied", "no network", "Bash(curl *)")
    answer = pre_tool_use(capsys, "curl https://y")
    assert answer["permissionDecision"] == "deny"
    assert cli("approval", "list", "--status", "denied", "--json").data[0]["id"] == 1


def test_remember_refuses_a_compound_command(cli, capsys, db_hash):
    pre_tool_use(capsys, "make && make install")
    before = db_hash()
    result = cli("approval", "approve", "1", "--remember", "--json")
    assert result.code == 1 and result.error["code"] == "conflict"
    assert db_hash() == before


def test_suggest_ranks_by_approvals_and_skips_refused_patterns(cli, capsys):
    for index, command in enumerate(["make test", "make test -v", "npm run lint", "make test --k=x", "rm -rf x"]):
        pre_tool_use(capsys, command, tool_use_id=f"t{index}")
    for request_id in (1, 2, 3, 4):
        cli("approval", "approve", str(request_id))
    cli("approval", "deny", "5")
    rows = cli("approval", "suggest", "--json").data
    assert [(r["rule"], r["approved"]) for r in rows] == [("Bash(make test *)", 3), ("Bash(npm run lint *)", 1)]
    assert rows[0]["command"] == "nerv rule add 'Bash(make test *)' --action allow"
    assert [r["rule"] for r in cli("approval", "suggest", "--min-count", "2", "--json").data] == ["Bash(make test *)"]


@pytest.mark.parametrize("args,code", [
    (("approval", "show", "42"), 1),
    (("approval", "approve", "42"), 1),
    (("approval", "deny", "x"), 2),
    (("approval", "list", "--status", "weird"), 1),
    (("approval", "list", "--limit", "0"), 1),
    (("approval", "suggest", "--limit", "-1"), 1),
    (("approval", "wait", "42", "--timeout", "0"), 1),
    (("approval", "wait", "1", "--timeout", "-1"), 1),
    (("approval", "wait", "1", "--timeout", "86401"), 1),
    (("approval", "wait", "x"), 2),
])
def test_bad_input(cli, db_hash, args, code):
    cli("approval", "list")
    before = db_hash()
    result = cli(*args)
    assert result.code == code
    assert_not_a_bug(result)
    assert db_hash() == before


def test_wait_answers_at_once_for_a_decided_request(cli, capsys):
    pre_tool_use(capsys, "npm run build")
    cli("approval", "deny", "1", "--reason", "not now")
    shown = cli("approval", "wait", "1", "--json").data
    assert (shown["status"], shown["reason"], shown["timed_out"]) == ("denied", "not now", False)


def test_wait_that_times_out_leaves_the_request_pending(cli, capsys):
    pre_tool_use(capsys, "npm run build")
    shown = cli("approval", "wait", "1", "--timeout", "0", "--json").data
    assert (shown["status"], shown["timed_out"]) == ("pending", True)
    assert cli("approval", "wait", "1", "--timeout", "0").stdout.strip() == "approval request #1 still pending"


@pytest.mark.slow  # a waiting process
def test_a_waiting_process_hears_a_decision_made_by_another(cli, capsys):
    import subprocess
    import sys

    pre_tool_use(capsys, "npm run build")
    waiter = subprocess.Popen([sys.executable, "-m", "nerv", "approval", "wait", "1", "--timeout", "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert cli("approval", "approve", "1", "--reason", "fine").code == 0
    out, err = waiter.communicate(timeout=60)
    assert (waiter.returncode, out.strip()) == (0, "approval request #1 approved: fine"), err
