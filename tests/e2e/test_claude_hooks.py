"""nerv's hooks under the real Claude Code CLI (`claude -p`), offline against a scripted fake API.

Each test scripts the model's turns (tests/e2e/fake_anthropic.py), runs Claude Code in the test's own
folders (tests/e2e/conftest.py), and checks what really happened: files, the tool_result Claude Code sent
back to the "model", the hook events that fired (a logging hook sees every event), nerv's ledger.
Event orders below are what Claude Code 2.1.332 produced; noise events (MessageDisplay, ...) are left out.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.fake_anthropic import Text, bash

pytestmark = pytest.mark.slow  # real Claude Code runs

SONNET = "claude-sonnet-4-5-20250929"  # a model nerv prices (Claude Code's default, claude-opus-5-5, it does not)
USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def flat_usage(usage: dict) -> dict:
    """The token counts of an API `usage` object, in FakeAnthropic.usage_total()'s shape."""
    return {**{key: usage[key] for key in USAGE_KEYS},
            "ephemeral_5m_input_tokens": usage["cache_creation"]["ephemeral_5m_input_tokens"],
            "ephemeral_1h_input_tokens": usage["cache_creation"]["ephemeral_1h_input_tokens"]}


def assert_clean_run(result, turns: int) -> None:
    assert result.returncode == 0, result.stderr
    assert result.json_output is not None, result.stdout
    assert result.json_output["type"] == "result" and result.json_output["subtype"] == "success"
    assert result.fake.errors == []
    assert len(result.fake.main_requests()) == turns, result.fake.paths()


def denied_ids(result) -> list[str]:
    return [d["tool_use_id"] for d in result.json_output.get("permission_denials", [])]


def outcome(result, tool_use_id: str) -> dict:
    """What a tool call came to, independent of session ids: comparable across runs."""
    tool_result = result.tool_result(tool_use_id)
    return {"returncode": result.returncode, "is_error": result.json_output["is_error"],
            "tool_result": tool_result and {k: tool_result[k] for k in ("is_error", "text")},
            "denied": tool_use_id in denied_ids(result), "events": result.events()}


# --------------------------------------------------------------------------------------------- (a)
def test_smoke_text_turn_and_usage(run_claude, project_dir):
    result = run_claude("say hello", [Text("Hello from the fake server")], cwd=project_dir)

    assert_clean_run(result, turns=1)
    assert result.json_output["result"] == "Hello from the fake server"
    assert result.json_output["is_error"] is False and result.json_output["num_turns"] == 1
    request = result.fake.main_requests()[0]
    assert request.path.split("?")[0] == "/v1/messages" and request.body["stream"] is True
    assert flat_usage(result.json_output["usage"]) == result.fake.usage_total() == flat_usage(request.usage)
    # The transcript keeps the response's id and our request-id header.
    [transcript] = result.transcript_paths
    assert request.response_id in transcript.read_text() and request.request_id in transcript.read_text()
    assert result.events() == ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]


# --------------------------------------------------------------------------------------------- (b)
def test_deny_rule_blocks_and_the_file_survives(run_claude, project_dir, cli, install_nerv_hooks):
    assert cli("rule", "add", "Bash(rm *)", "--action", "deny").code == 0
    install_nerv_hooks(project_dir)
    keep = project_dir / "keep.txt"
    keep.write_text("precious\n")

    result = run_claude("clean up", [bash("rm -f keep.txt", "remove", id="toolu_e2e_rm"), Text("done")],
                        cwd=project_dir)

    assert_clean_run(result, turns=2)
    assert keep.read_text() == "precious\n"
    tool_result = result.tool_result("toolu_e2e_rm")
    assert tool_result["is_error"] is True
    assert "nerv: deny rule Bash(rm *) matches 'rm -f keep.txt'" in tool_result["text"], tool_result
    assert denied_ids(result) == ["toolu_e2e_rm"]
    assert result.events() == ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)", "PostToolBatch", "Stop",
                               "SessionEnd"]
    # A rule decided: nerv wrote no approval request.
    assert cli("--json", "approval", "list", "--status", "all").data == []


# --------------------------------------------------------------------------------------------- (c)
@pytest.mark.parametrize(("rules", "command", "output"), [
    (["Bash(echo *)"], "echo nerv-allowed-42", "nerv-allowed-42"),
    # Claude Code alone denies `touch` in -p (test_unruled_touch_is_denied_without_nerv): nerv's allow ran it.
    # Every part of a compound command needs an allow rule.
    (["Bash(touch *)", "Bash(echo *)"], "touch made.txt && echo touched", "touched"),
], ids=["echo", "touch-and-echo"])
def test_allow_rule_runs_the_command(run_claude, project_dir, cli, install_nerv_hooks, rules, command, output):
    for rule in rules:
        assert cli("rule", "add", rule, "--action", "allow").code == 0
    install_nerv_hooks(project_dir)

    result = run_claude("run it", [bash(command, id="toolu_e2e_ok"), Text("done")], cwd=project_dir)

    assert_clean_run(result, turns=2)
    assert result.tool_result("toolu_e2e_ok") == {"tool_use_id": "toolu_e2e_ok", "is_error": False, "text": output}
    assert denied_ids(result) == []
    assert result.events() == ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)", "PostToolUse(Bash)",
                               "PostToolBatch", "Stop", "SessionEnd"]
    if "touch" in command:
        assert (project_dir / "made.txt").exists()
    session_id = result.json_output["session_id"]
    calls = [m for m in cli("--json", "metrics", "list", "tool.calls").data if m["session_id"] == session_id]
    assert len(calls) == 1 and calls[0]["value"] == 1


def test_unruled_touch_is_denied_without_nerv(run_claude, project_dir):
    """Baseline for the `touch` case above: Claude Code's own rules refuse it in -p."""
    result = run_claude("run it", [bash("touch made.txt", id="toolu_e2e_touch"), Text("done")], cwd=project_dir)

    assert_clean_run(result, turns=2)
    assert denied_ids(result) == ["toolu_e2e_touch"]
    assert not (project_dir / "made.txt").exists()


# --------------------------------------------------------------------------------------------- (d)
def _failed_run(run_claude, project_dir, cli, install_nerv_hooks):
    assert cli("rule", "add", "Bash(exit *)", "--action", "allow").code == 0
    install_nerv_hooks(project_dir)
    return run_claude("fail", [bash("exit 3", "fail on purpose", id="toolu_e2e_fail"), Text("it failed")],
                      cwd=project_dir)


def test_failed_command_events(run_claude, project_dir, cli, install_nerv_hooks):
    result = _failed_run(run_claude, project_dir, cli, install_nerv_hooks)

    assert_clean_run(result, turns=2)
    assert result.tool_result("toolu_e2e_fail") == {"tool_use_id": "toolu_e2e_fail", "is_error": True,
                                                     "text": "Exit code 3"}
    assert denied_ids(result) == []
    # Observed: a failure fires PostToolUseFailure, not PostToolUse.
    assert result.events() == ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)", "PostToolUseFailure(Bash)",
                               "PostToolBatch", "Stop", "SessionEnd"]
    [failure] = [e["payload"] for e in result.hook_events if e["event"] == "PostToolUseFailure"]
    assert failure["error"] == "Exit code 3" and failure["is_interrupt"] is False
    assert failure["tool_use_id"] == "toolu_e2e_fail" and isinstance(failure.get("duration_ms"), int)
    # nerv recorded the session (SessionStart/SessionEnd hooks) ...
    [session] = cli("--json", "session", "list").data
    assert session["id"] == result.json_output["session_id"] and session["status"] == "ended"
    assert session["end_reason"] == "other" and session["source"] == "startup"


def test_failed_command_is_counted(run_claude, project_dir, cli, install_nerv_hooks):
    result = _failed_run(run_claude, project_dir, cli, install_nerv_hooks)

    assert_clean_run(result, turns=2)
    session_id = result.json_output["session_id"]
    calls = [m for m in cli("--json", "metrics", "list", "tool.calls").data if m["session_id"] == session_id]
    assert len(calls) == 1


# --------------------------------------------------------------------------------------------- (e)
def _two_tool_script():
    return [bash("echo one", id="toolu_e2e_t1"), bash("echo two", id="toolu_e2e_t2"), Text("both done")]


def test_imported_tokens_equal_the_fake_usage(run_claude, project_dir, cli, monkeypatch):
    """No nerv hooks: `nerv session import` finds the transcript through CLAUDE_CONFIG_DIR."""
    result = run_claude("count", _two_tool_script(), cwd=project_dir, extra_args=["--model", SONNET])
    assert_clean_run(result, turns=3)
    served = result.fake.usage_total()
    assert flat_usage(result.json_output["usage"]) == served  # -p sums the main thread's calls

    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(result.config_dir))
    imported = cli("--json", "session", "import").data
    assert imported["files"] == 1 and imported["api_calls"] == 3 and imported["new_usage_rows"] == 3
    assert imported["skipped_lines"] == 0 and imported["unpriced_models"] == {}

    session = cli("--json", "session", "show", result.json_output["session_id"]).data
    assert session["api_calls"] == 3 and session["models"] == [SONNET] and session["unpriced_calls"] == 0
    assert {"input_tokens": session["input_tokens"], "output_tokens": session["output_tokens"],
            "cache_creation_input_tokens": session["cache_write_5m_tokens"] + session["cache_write_1h_tokens"],
            "cache_read_input_tokens": session["cache_read_tokens"],
            "ephemeral_5m_input_tokens": session["cache_write_5m_tokens"],
            "ephemeral_1h_input_tokens": session["cache_write_1h_tokens"]} == served
    # Same list prices as Claude Code's own figure.
    assert session["cost_usd"] == pytest.approx(result.json_output["total_cost_usd"], rel=1e-9)
    again = cli("--json", "session", "import").data
    assert again["new_usage_rows"] == 0 and again["files_unchanged"] == 1


def test_session_end_hook_imports_the_same_tokens(run_claude, project_dir, cli, install_nerv_hooks, monkeypatch):
    install_nerv_hooks(project_dir)
    for rule in ("Bash(echo one)", "Bash(echo two)"):
        assert cli("rule", "add", rule, "--action", "allow").code == 0
    result = run_claude("count", _two_tool_script(), cwd=project_dir, extra_args=["--model", SONNET])
    assert_clean_run(result, turns=3)
    served = result.fake.usage_total()

    session = cli("--json", "session", "show", result.json_output["session_id"]).data  # no import run yet
    assert session["status"] == "ended" and session["api_calls"] == 3
    assert (session["input_tokens"], session["output_tokens"], session["cache_read_tokens"],
            session["cache_write_5m_tokens"], session["cache_write_1h_tokens"]) == (
        served["input_tokens"], served["output_tokens"], served["cache_read_input_tokens"],
        served["ephemeral_5m_input_tokens"], served["ephemeral_1h_input_tokens"])
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(result.config_dir))
    assert cli("--json", "session", "import").data["new_usage_rows"] == 0


# --------------------------------------------------------------------------------------------- (f)
MODES = ["default", "bypassPermissions"]


def _echo(run_claude, project_dir, mode):
    return run_claude("greet", [bash("echo hi", "say hi", id="toolu_e2e_echo"), Text("done")], cwd=project_dir,
                      permission_mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_unruled_echo_without_nerv(run_claude, project_dir, mode):
    """Baseline: Claude Code alone runs a read-only `echo` in -p, in default and bypassPermissions modes."""
    result = _echo(run_claude, project_dir, mode)

    assert_clean_run(result, turns=2)
    assert outcome(result, "toolu_e2e_echo") == {
        "returncode": 0, "is_error": False, "tool_result": {"is_error": False, "text": "hi"}, "denied": False,
        "events": ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)", "PostToolUse(Bash)", "PostToolBatch",
                   "Stop", "SessionEnd"]}


@pytest.mark.slow  # two Claude Code runs
@pytest.mark.parametrize("mode", MODES)
def test_unruled_echo_with_nerv_same_as_without(run_claude, project_dir, install_nerv_hooks, mode):
    without = outcome(_echo(run_claude, project_dir, mode), "toolu_e2e_echo")
    install_nerv_hooks(project_dir)

    with_nerv = _echo(run_claude, project_dir, mode)

    assert_clean_run(with_nerv, turns=2)
    assert outcome(with_nerv, "toolu_e2e_echo") == without


# --------------------------------------------------------------------------------------------- harness
def _processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_processes_left_behind_are_ended(run_claude, project_dir):
    """A background process a tool starts does not outlive the run (PID namespace, else the process group)."""
    seconds = f"97.{time.time_ns() % 10**9:09d}"  # a unique command line to look for
    script = [bash(f"nohup sleep {seconds} >/dev/null 2>&1 & echo started", id="toolu_e2e_bg"), Text("done")]

    result = run_claude("background", script, cwd=project_dir, permission_mode="bypassPermissions")

    assert_clean_run(result, turns=2)
    assert result.tool_result("toolu_e2e_bg")["text"] == "started"
    assert _processes_with(f"sleep {seconds}") == [], result.isolation
