"""nerv's hook modes, approvals, subagents and agent/task attribution under the real Claude Code CLI.

Same harness as test_claude_hooks.py (offline, scripted fake API, fresh HOME/CLAUDE_CONFIG_DIR per run).
Queue-mode tests run Claude Code in a background thread while the test, as the person, answers the
approval request through the CLI (`nerv approval approve|deny ID`); every wait is bounded.
Behaviour asserted here is what Claude Code 2.1.332 produced.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.e2e.fake_anthropic import Text, ToolUse, bash
from tests.e2e.test_claude_hooks import SONNET, assert_clean_run, denied_ids, flat_usage, outcome

pytestmark = pytest.mark.slow  # real Claude Code runs

POLL_S = 60  # how long the test waits for a queued request to appear


# --------------------------------------------------------------------------------------------- helpers
def set_settings(cli, **values) -> None:
    for key, value in values.items():
        result = cli("settings", "set", key.replace("__", "."), value)
        assert result.code == 0, (key, result.stdout, result.stderr)


def approvals(cli, status: str = "all") -> list[dict]:
    return cli("--json", "approval", "list", "--status", status).data


class Background:
    """run_claude(...) in a thread; join() returns its Result or raises what it raised."""

    def __init__(self, run_claude, *args, **kwargs):
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(run_claude, args, kwargs), daemon=True)
        self.thread.start()

    def _run(self, run_claude, args, kwargs):
        try:
            self.result = run_claude(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    def alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float = 150):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "claude run did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def wait_for_pending(cli, run: Background, timeout: float = POLL_S) -> dict:
    """The one pending approval request, once it appears (fails if the run ends first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = approvals(cli, "pending")
        if pending:
            assert len(pending) == 1, pending
            return pending[0]
        if not run.alive():
            run.join(1)
            raise AssertionError("claude ended without a pending approval request")
        time.sleep(0.2)
    raise AssertionError(f"no pending approval request within {timeout} s")


# --------------------------------------------------------------------------------------------- modes
EXTRA_MODES = ["acceptEdits", "dontAsk", "plan"]  # test_claude_hooks.py covers default and bypassPermissions
ALL_MODES = ["default", "acceptEdits", "bypassPermissions", "dontAsk", "plan"]


def _touch(run_claude, project_dir, mode):
    result = run_claude("make it", [bash("touch made.txt", "make a file", id="toolu_e2e_mk"), Text("done")],
                        cwd=project_dir, permission_mode=mode)
    made = (project_dir / "made.txt").exists()
    (project_dir / "made.txt").unlink(missing_ok=True)
    return result, made


@pytest.mark.slow  # two Claude Code runs
@pytest.mark.parametrize("mode", EXTRA_MODES)
def test_unruled_echo_with_nerv_same_as_without_more_modes(run_claude, project_dir, install_nerv_hooks, mode):
    script = [bash("echo hi", "say hi", id="toolu_e2e_echo"), Text("done")]
    without = run_claude("greet", script, cwd=project_dir, permission_mode=mode)
    assert_clean_run(without, turns=2)
    install_nerv_hooks(project_dir)

    with_nerv = run_claude("greet", script, cwd=project_dir, permission_mode=mode)

    assert_clean_run(with_nerv, turns=2)
    assert outcome(with_nerv, "toolu_e2e_echo") == outcome(without, "toolu_e2e_echo")


# What Claude Code 2.1.332 alone does with an unruled `touch` in -p, per mode: (exit code, file made, the
# permission event that fired). plan mode sends non-read-only calls to auto mode's server-side safety check,
# which a fake server cannot pass: the call is refused (PermissionDenied) and `claude -p` exits 1.
TOUCH_BASELINE = {
    "default": (0, False, "PermissionRequest(Bash)"),
    "acceptEdits": (0, True, None),
    "bypassPermissions": (0, True, None),
    "dontAsk": (0, False, None),
    "plan": (1, False, "PermissionDenied(Bash)"),
}


@pytest.mark.slow  # two Claude Code runs
@pytest.mark.parametrize("mode", ALL_MODES)
def test_unruled_touch_with_nerv_same_as_without(run_claude, project_dir, install_nerv_hooks, cli, mode):
    """A call Claude Code's own rules may refuse: nerv (observe mode) changes nothing in any mode."""
    code, made, permission_event = TOUCH_BASELINE[mode]
    without, made_without = _touch(run_claude, project_dir, mode)
    install_nerv_hooks(project_dir)

    with_nerv, made_with = _touch(run_claude, project_dir, mode)

    for result in (without, with_nerv):
        assert result.returncode == code, result.stderr[-1000:]
        assert result.fake.errors == [] and len(result.fake.main_requests()) == 2
        events = result.events()
        assert events[:3] == ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)"], events
        if permission_event:
            assert events[3] == permission_event, events
        assert ("PostToolUse(Bash)" in events) == made, events
    assert outcome(with_nerv, "toolu_e2e_mk") == outcome(without, "toolu_e2e_mk")
    assert made_with == made_without == made
    # Observe mode: a PermissionRequest (Claude Code would have asked) is recorded, then closed by the outcome.
    recorded = approvals(cli)
    if permission_event == "PermissionRequest(Bash)":
        [request] = recorded
        assert (request["status"], request["decided_by"], request["hook_event"]) == (
            "denied", "claude-code", "PermissionRequest"), request
    assert [r for r in recorded if r["status"] == "pending"] == []


# --------------------------------------------------------------------------------------------- strict
@pytest.mark.slow
def test_strict_mode_ask_is_denied_in_print_mode(run_claude, project_dir, cli, install_nerv_hooks):
    set_settings(cli, hook__mode="strict")
    install_nerv_hooks(project_dir)

    # `echo` is read-only: Claude Code alone runs it (test_unruled_echo_without_nerv); strict's `ask` wins.
    result = run_claude("greet", [bash("echo strict-hi", "say hi", id="toolu_e2e_strict"), Text("done")],
                        cwd=project_dir, permission_mode="bypassPermissions")

    assert_clean_run(result, turns=2)
    tool_result = result.tool_result("toolu_e2e_strict")
    assert tool_result["is_error"] is True, tool_result
    assert tool_result["text"].startswith("nerv: no allow rule matches 'echo strict-hi'"), tool_result
    assert "hook.mode=strict" in tool_result["text"], tool_result
    assert denied_ids(result) == ["toolu_e2e_strict"]
    assert "PostToolUse(Bash)" not in result.events()
    [request] = approvals(cli)
    assert request["tool"] == "Bash" and request["session_id"] == result.json_output["session_id"]
    # docs/hooks.md: denied at once in -p; "only PostToolBatch shows it; nerv then marks the request denied".
    assert request["status"] == "denied" and request["decided_by"] == "claude-code", request
    assert request["hook_event"] == "PreToolUse" and request["tool_use_id"] == "toolu_e2e_strict", request
    assert approvals(cli, "pending") == []


# --------------------------------------------------------------------------------------------- queue (PreToolUse)
def _queued_echo(run_claude, project_dir, cli, install_nerv_hooks, **settings):
    set_settings(cli, hook__mode="queue", **settings)
    install_nerv_hooks(project_dir)
    script = [bash("echo queued-ok-7", "say it", id="toolu_e2e_q"), Text("done")]
    return Background(run_claude, "greet", script, cwd=project_dir, timeout=120)


@pytest.mark.slow
def test_queue_pretooluse_approved(run_claude, project_dir, cli, install_nerv_hooks):
    run = _queued_echo(run_claude, project_dir, cli, install_nerv_hooks)
    request = wait_for_pending(cli, run)
    assert request["tool"] == "Bash"

    assert cli("approval", "approve", request["id"]).code == 0
    result = run.join()

    assert_clean_run(result, turns=2)
    assert result.tool_result("toolu_e2e_q") == {"tool_use_id": "toolu_e2e_q", "is_error": False,
                                                  "text": "queued-ok-7"}
    assert denied_ids(result) == []
    [final] = approvals(cli)
    assert final["id"] == request["id"] and final["status"] == "approved" and final["decided_by"] == "tester"
    assert final["hook_event"] == "PreToolUse" and final["tool_use_id"] == "toolu_e2e_q", final


@pytest.mark.slow
def test_queue_pretooluse_denied_with_reason(run_claude, project_dir, cli, install_nerv_hooks):
    run = _queued_echo(run_claude, project_dir, cli, install_nerv_hooks)
    request = wait_for_pending(cli, run)

    assert cli("approval", "deny", request["id"], "--reason", "not-today-e2e").code == 0
    result = run.join()

    assert_clean_run(result, turns=2)
    tool_result = result.tool_result("toolu_e2e_q")
    assert tool_result["is_error"] is True, tool_result
    # Claude Code shows a PreToolUse deny reason as "PreToolUse:Bash hook error: <reason>".
    assert f"nerv: approval request #{request['id']} denied: not-today-e2e" in tool_result["text"], tool_result
    assert denied_ids(result) == ["toolu_e2e_q"]
    [final] = approvals(cli)
    assert (final["status"], final["decided_by"], final["reason"]) == ("denied", "tester", "not-today-e2e")


@pytest.mark.slow
def test_queue_pretooluse_expires_and_denies(run_claude, project_dir, cli, install_nerv_hooks):
    run = _queued_echo(run_claude, project_dir, cli, install_nerv_hooks, hook__queue_timeout_s="2")
    result = run.join()  # nobody answers

    assert_clean_run(result, turns=2)
    tool_result = result.tool_result("toolu_e2e_q")
    assert tool_result["is_error"] is True, tool_result
    assert "nerv: approval request #1: no decision within 2 s" in tool_result["text"], tool_result
    assert denied_ids(result) == ["toolu_e2e_q"]
    [final] = approvals(cli)
    assert (final["status"], final["decided_by"], final["reason"]) == ("expired", "timeout",
                                                                       "no decision within 2 s"), final
    assert result.duration_s < 60


# --------------------------------------------------------------------------------------------- PermissionRequest
def _queued_touch(run_claude, project_dir, cli, install_nerv_hooks):
    # approval_tools = []: PreToolUse holds nothing; only Claude Code's own "ask" reaches PermissionRequest.
    set_settings(cli, hook__mode="queue", hook__approval_tools="[]")
    install_nerv_hooks(project_dir)
    script = [bash("touch made.txt", "make a file", id="toolu_e2e_pr"), Text("done")]
    return Background(run_claude, "make it", script, cwd=project_dir, timeout=120)


@pytest.mark.slow
def test_permission_request_approved_runs_the_touch(run_claude, project_dir, cli, install_nerv_hooks):
    run = _queued_touch(run_claude, project_dir, cli, install_nerv_hooks)
    request = wait_for_pending(cli, run)
    assert request["tool"] == "Bash"

    assert cli("approval", "approve", request["id"]).code == 0
    result = run.join()

    assert_clean_run(result, turns=2)
    assert (project_dir / "made.txt").exists()
    assert result.tool_result("toolu_e2e_pr")["is_error"] is False
    assert denied_ids(result) == []
    names = result.events()
    assert names.index("PreToolUse(Bash)") < names.index("PermissionRequest(Bash)") < names.index("PostToolUse(Bash)")
    [final] = approvals(cli)
    assert final["id"] == request["id"] and final["status"] == "approved" and final["decided_by"] == "tester"
    assert final["hook_event"] == "PermissionRequest", final


@pytest.mark.slow
def test_permission_request_denied_keeps_the_file_away(run_claude, project_dir, cli, install_nerv_hooks):
    run = _queued_touch(run_claude, project_dir, cli, install_nerv_hooks)
    request = wait_for_pending(cli, run)

    assert cli("approval", "deny", request["id"], "--reason", "no-files-e2e").code == 0
    result = run.join()

    assert_clean_run(result, turns=2)
    assert not (project_dir / "made.txt").exists()
    tool_result = result.tool_result("toolu_e2e_pr")
    assert tool_result == {"tool_use_id": "toolu_e2e_pr", "is_error": True,
                           "text": f"nerv: approval request #{request['id']} denied: no-files-e2e"}
    assert denied_ids(result) == ["toolu_e2e_pr"]
    assert result.events() == ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)", "PermissionRequest(Bash)",
                               "PostToolBatch", "Stop", "SessionEnd"]
    [final] = approvals(cli)
    assert (final["status"], final["decided_by"], final["reason"]) == ("denied", "tester", "no-files-e2e")
    assert final["hook_event"] == "PermissionRequest", final


# --------------------------------------------------------------------------------------------- subagent
def _subagent_script():
    return [
        ToolUse("Agent", {"description": "count files", "prompt": "run echo from-subagent",
                          "subagent_type": "general-purpose", "run_in_background": False}, "toolu_e2e_agent"),
        bash("echo from-subagent", "say it", id="toolu_e2e_sub_bash"),  # the subagent's first request
        Text("subagent finished"),                                        # the subagent's second request
        Text("all done"),                                                 # back in the main thread
    ]


def _cost_figures(rows: list) -> dict:
    """A `nerv cost` group's token counts, in FakeAnthropic.usage_total()'s shape."""
    total = {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
             "ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
    for row in rows:
        total["input_tokens"] += row["input_tokens"]
        total["output_tokens"] += row["output_tokens"]
        total["cache_creation_input_tokens"] += row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
        total["cache_read_input_tokens"] += row["cache_read_tokens"]
        total["ephemeral_5m_input_tokens"] += row["cache_write_5m_tokens"]
        total["ephemeral_1h_input_tokens"] += row["cache_write_1h_tokens"]
    return total


def _served(requests) -> dict:
    total = _cost_figures([])
    for request in requests:
        for key, value in flat_usage(request.usage).items():
            total[key] += value
    return total


def _is_subagent_request(request) -> bool:
    """Claude Code marks a subagent's requests in the billing header of the system prompt."""
    return "cc_is_subagent=true" in str(request.body.get("system"))


@pytest.mark.slow
def test_subagent_is_attributed(run_claude, project_dir, cli, install_nerv_hooks, monkeypatch):
    install_nerv_hooks(project_dir)

    result = run_claude("delegate", _subagent_script(), cwd=project_dir, extra_args=["--model", SONNET],
                        model=SONNET)

    assert_clean_run(result, turns=4)
    main = result.fake.main_requests()
    # run_in_background=false: the main thread waits for the subagent, so the order is fixed.
    assert [_is_subagent_request(r) for r in sorted(main, key=lambda r: r.turn)] == [False, True, True, False]
    sub = [r for r in main if _is_subagent_request(r)]
    assert "run echo from-subagent" in str(sub[0].body["messages"])
    sub_result = result.tool_result("toolu_e2e_sub_bash")
    # Claude Code appends a <system-reminder> to the subagent's first tool_result.
    assert sub_result["is_error"] is False and sub_result["text"].splitlines()[0] == "from-subagent", sub_result
    assert result.events() == ["SessionStart", "UserPromptSubmit", "PreToolUse(Agent)", "SubagentStart",
                               "PreToolUse(Bash)", "PostToolUse(Bash)", "PostToolBatch", "SubagentStop",
                               "PostToolUse(Agent)", "PostToolBatch", "Stop", "SessionEnd"]
    agent_id = next(e["payload"]["agent_id"] for e in result.hook_events if e["event"] == "SubagentStart")

    session_id = result.json_output["session_id"]
    session = cli("--json", "session", "show", session_id).data
    [subagent] = session["subagents"]
    assert subagent["agent_id"] == agent_id and subagent["agent_type"] == "general-purpose"
    assert subagent["status"] == "ended" and subagent["ended_at"] and subagent["api_calls"] == 2, subagent
    assert subagent["transcript_path"].endswith(f"agent-{agent_id}.jsonl")
    calls = [m for m in cli("--json", "metrics", "list", "tool.calls").data if m["session_id"] == session_id]
    metas = [json.loads(m["meta"]) if isinstance(m["meta"], str) else m["meta"] for m in calls]
    by_tool = {meta["tool"]: meta.get("subagent") for meta in metas}
    assert by_tool == {"Agent": None, "Bash": agent_id}, calls

    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(result.config_dir))
    imported = cli("--json", "session", "import").data  # SessionEnd already imported both transcripts
    assert imported["files"] == 2 and imported["new_usage_rows"] == 0, imported
    groups = {g["key"]: g for g in cli("--json", "cost", "--by", "subagent").data["groups"]}
    assert set(groups) == {"(main thread)", f"general-purpose {agent_id}"}, groups
    assert groups[f"general-purpose {agent_id}"]["api_calls"] == 2
    assert _cost_figures([groups[f"general-purpose {agent_id}"]]) == _served(sub)
    assert _cost_figures([groups["(main thread)"]]) == _served([r for r in main if r not in sub])


# --------------------------------------------------------------------------------------------- agent and task
@pytest.mark.slow
def test_session_gets_its_agent_and_task(run_claude, project_dir, cli, install_nerv_hooks, monkeypatch):
    assert cli("project", "add", "demo").code == 0
    assert cli("repo", "add", str(project_dir), "--project", "demo").code == 0
    install_nerv_hooks(project_dir)  # chdir to the repo: `task` commands default to its project
    task = cli("--json", "task", "add", "e2e task").data
    monkeypatch.setenv("NERV_AGENT", "agent-1")
    claimed = cli("--json", "task", "claim", "--agent", "agent-1").data
    assert claimed["id"] == task["id"] and claimed["assignee"] == "agent-1"

    # run_claude builds Claude Code's environment from scratch: NERV_AGENT reaches the hooks only through env=.
    result = run_claude("work", [bash("echo working", id="toolu_e2e_work"), Text("done")], cwd=project_dir,
                        env={"NERV_AGENT": "agent-1"}, extra_args=["--model", SONNET])

    assert_clean_run(result, turns=2)
    session_id = result.json_output["session_id"]
    [session] = cli("--json", "session", "list").data
    assert session["id"] == session_id and session["agent"] == "agent-1", session
    assert session["task"] == task["id"] and session["project"] == "demo", session
    shown = cli("--json", "session", "show", session_id).data
    assert shown["task"] == {"id": task["id"], "number": 1, "title": "e2e task"}

    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(result.config_dir))
    assert cli("--json", "session", "import").data["new_usage_rows"] == 0  # SessionEnd imported it
    served = result.fake.usage_total()
    [by_task] = cli("--json", "cost", "--by", "task").data["groups"]
    assert by_task["key"] == "demo #1 e2e task" and by_task["api_calls"] == 2
    assert _cost_figures([by_task]) == served
    [by_agent] = cli("--json", "cost", "--by", "agent").data["groups"]
    assert by_agent["key"] == "agent-1" and _cost_figures([by_agent]) == served
