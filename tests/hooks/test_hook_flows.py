"""Claude Code's event sequences through the installed console script, and the ledger's end state.

Payloads have the shapes ../shared/reference/claude-code.md section 2 documents (and Claude Code 2.1.332
produced in tests/e2e): common fields, then each event's own. Sequences are the orders observed in `-p`:
allowed `PreToolUse > PostToolUse > PostToolBatch`, denied `PreToolUse > PostToolBatch`, failed
`PreToolUse > PostToolUseFailure > PostToolBatch`, SDK ask `PreToolUse > PermissionRequest > PostToolUse >
PostToolBatch`, subagent `PreToolUse(Agent) > SubagentStart > PreToolUse(agent_id) > PostToolUse >
PostToolBatch > SubagentStop > PostToolUse(Agent)`.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, nerv_executable, raw_connection, unusable_database_env
from tests.hooks.test_hook_events import decision, query

SESSION = "8dee17fe-6ed1-43ea-8bd4-1d865b07b3b4"
MODES = ["default", "plan", "acceptEdits", "auto", "dontAsk", "bypassPermissions"]
ECHO = {"command": "echo hi", "description": "say hi"}


def common(event: str, cwd, mode: str = "default", **extra) -> dict:
    return {"session_id": SESSION, "prompt_id": "da7a1f84-b4cc-46d5-aa9c-823844ce3b38",
            "transcript_path": f"/tmp/projects/x/{SESSION}.jsonl", "cwd": str(cwd), "hook_event_name": event,
            "permission_mode": mode, "effort": {"level": "medium"}, **extra}


def pre_tool_use(cwd, tool_input=ECHO, tool="Bash", tool_use_id="toolu_1", **extra) -> dict:
    return common("PreToolUse", cwd, tool_name=tool, tool_input=tool_input, tool_use_id=tool_use_id, **extra)


def permission_request(cwd, tool_input=ECHO, tool="Bash", **extra) -> dict:
    return common("PermissionRequest", cwd, tool_name=tool, tool_input=tool_input,
                  permission_suggestions=[{"type": "addRules", "rules": [{"toolName": tool}], "behavior": "allow",
                                           "destination": "localSettings"}], **extra)


def post_tool_use(cwd, tool_input=ECHO, tool="Bash", tool_use_id="toolu_1", **extra) -> dict:
    return common("PostToolUse", cwd, tool_name=tool, tool_input=tool_input, tool_use_id=tool_use_id,
                  tool_response={"stdout": "hi", "stderr": "", "interrupted": False, "isImage": False},
                  duration_ms=49, **extra)


def post_tool_use_failure(cwd, tool_input=ECHO, tool_use_id="toolu_1", **extra) -> dict:
    return common("PostToolUseFailure", cwd, tool_name="Bash", tool_input=tool_input, tool_use_id=tool_use_id,
                  error="Exit code 3", is_interrupt=False, duration_ms=35, **extra)


def post_tool_batch(cwd, calls: list[tuple[dict, str, object]], **extra) -> dict:
    return common("PostToolBatch", cwd, tool_calls=[{"tool_name": "Bash", "tool_input": tool_input,
                                                     "tool_use_id": tool_use_id, "tool_response": response}
                                                    for tool_input, tool_use_id, response in calls], **extra)


EVENT_COMMANDS = {"PreToolUse": "pre-tool-use", "PermissionRequest": "permission-request",
                  "PermissionDenied": "permission-denied", "PostToolUse": "post-tool-use",
                  "PostToolUseFailure": "post-tool-use-failure", "PostToolBatch": "post-tool-batch",
                  "SessionStart": "session-start", "SessionEnd": "session-end", "SubagentStart": "subagent-start",
                  "SubagentStop": "subagent-stop", "PreCompact": "pre-compact", "PostCompact": "post-compact",
                  "Notification": "notification", "Stop": "stop", "UserPromptSubmit": "user-prompt-submit"}


@pytest.fixture
def fire(proc):
    """fire(payload, env=None) -> Result: `nerv hook <event>` with the payload; asserts nothing broke."""
    def run(document: dict, env: dict | None = None):
        result = proc("hook", EVENT_COMMANDS[document["hook_event_name"]], stdin=json.dumps(document), env=env)
        assert result.code == 0, result
        assert_not_a_bug(result)
        return result

    return run


def requests(nerv_home, columns="status, decided_by, hook_event, mode, tool_use_id"):
    return query(nerv_home, f"SELECT {columns} FROM approval_requests ORDER BY id")


def metric_names(nerv_home) -> list[str]:
    return [r[0] for r in query(nerv_home, "SELECT name FROM metrics ORDER BY id")]


@pytest.fixture
def ledger(cli):
    cli("status")


# --------------------------------------------------------------------------------------------- no opinion
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool,tool_input", [("Bash", ECHO), ("Edit", {"file_path": "/tmp/a.txt",
                                                                      "old_string": "a", "new_string": "b"}),
                                             ("WebFetch", {"url": "https://example.com/", "prompt": "read"})])
def test_an_unruled_call_gets_no_opinion_in_every_permission_mode(fire, ledger, db_hash, tmp_path, mode, tool,
                                                                  tool_input):
    before = db_hash()
    result = fire(pre_tool_use(tmp_path, tool_input, tool, permission_mode=mode))
    assert (result.stdout, result.stderr) == ("", "")
    assert db_hash() == before  # nothing recorded, nothing pending


@pytest.mark.parametrize("mode", ["off", "observe"])
def test_a_rule_still_decides_in_the_quiet_modes(fire, cli, tmp_path, mode):
    cli("settings", "set", "hook.mode", mode)
    cli("rule", "add", "Bash(echo *)", "--action", "allow")
    cli("rule", "add", "Bash(rm *)", "--action", "deny")
    assert decision(fire(pre_tool_use(tmp_path)))[0] == "allow"
    assert decision(fire(pre_tool_use(tmp_path, {"command": "rm -rf x"})))[0] == "deny"


# --------------------------------------------------------------------------------------------- the -p orders
def test_allowed_call(fire, cli, nerv_home, tmp_path):
    cli("rule", "add", "Bash(echo *)", "--action", "allow")
    assert decision(fire(pre_tool_use(tmp_path)))[0] == "allow"
    for document in (post_tool_use(tmp_path), post_tool_batch(tmp_path, [(ECHO, "toolu_1", "hi")])):
        assert fire(document).stdout == ""
    assert metric_names(nerv_home) == ["tool.calls", "tool.duration_ms"]
    assert requests(nerv_home) == []


def test_denied_call_in_strict_mode(fire, cli, nerv_home, tmp_path):
    """-p turns the hook's `ask` into a denial at once; only PostToolBatch shows it."""
    cli("settings", "set", "hook.mode", "strict")
    verdict, reason = decision(fire(pre_tool_use(tmp_path)))
    assert verdict == "ask" and "approval request #1" in reason
    assert requests(nerv_home) == [("pending", None, "PreToolUse", "strict", "toolu_1")]
    fire(post_tool_batch(tmp_path, [(ECHO, "toolu_1", "nerv: no allow rule matches 'echo hi'")]))
    assert requests(nerv_home) == [("denied", "claude-code", "PreToolUse", "strict", "toolu_1")]
    assert metric_names(nerv_home) == ["tool.denied"]


def test_denied_call_without_nerv_opinion_is_counted(fire, ledger, nerv_home, tmp_path):
    """Claude Code's own rules denied it (no PostToolUse): counted, nothing else to close."""
    assert fire(pre_tool_use(tmp_path, {"command": "touch made.txt"})).stdout == ""
    fire(post_tool_batch(tmp_path, [({"command": "touch made.txt"}, "toolu_1", "Permission denied")]))
    [(meta,)] = query(nerv_home, "SELECT meta FROM metrics WHERE name = 'tool.denied'")
    assert json.loads(meta) == {"tool": "Bash", "tool_use_id": "toolu_1", "source": "PostToolBatch"}


def test_failed_call_is_counted_with_its_failure(fire, cli, nerv_home, tmp_path):
    cli("rule", "add", "Bash(exit *)", "--action", "allow")
    failing = {"command": "exit 3", "description": "fail"}
    assert decision(fire(pre_tool_use(tmp_path, failing)))[0] == "allow"
    fire(post_tool_use_failure(tmp_path, failing))
    fire(post_tool_batch(tmp_path, [(failing, "toolu_1", "Exit code 3")]))
    rows = query(nerv_home, "SELECT name, value, meta FROM metrics ORDER BY id")
    assert [(name, value) for name, value, _ in rows] == [("tool.calls", 1), ("tool.duration_ms", 35),
                                                         ("tool.failures", 1)]
    assert json.loads(rows[2][2]) == {"tool": "Bash", "tool_use_id": "toolu_1", "error": "Exit code 3",
                                      "interrupted": False}


def test_a_failed_call_closes_its_request_as_run(fire, cli, nerv_home, tmp_path):
    cli("settings", "set", "hook.mode", "strict")
    decision(fire(pre_tool_use(tmp_path)))
    fire(post_tool_use_failure(tmp_path))
    fire(post_tool_batch(tmp_path, [(ECHO, "toolu_1", "Exit code 3")]))
    assert requests(nerv_home, "status, reason") == [("approved", "the call ran and failed (Exit code 3)")]
    assert "tool.denied" not in metric_names(nerv_home)


# --------------------------------------------------------------------------------------------- SDK: PermissionRequest
def test_sdk_ask_records_at_permission_request_and_the_run_approves_it(fire, ledger, nerv_home, tmp_path):
    assert fire(pre_tool_use(tmp_path)).stdout == ""
    assert fire(permission_request(tmp_path)).stdout == ""  # observe: the person (or SDK host) answers
    assert requests(nerv_home) == [("pending", None, "PermissionRequest", "observe", None)]
    fire(post_tool_use(tmp_path))
    fire(post_tool_batch(tmp_path, [(ECHO, "toolu_1", "hi")]))
    assert requests(nerv_home) == [("approved", "claude-code", "PermissionRequest", "observe", "toolu_1")]


def test_sdk_ask_the_host_denies(fire, ledger, nerv_home, tmp_path):
    fire(pre_tool_use(tmp_path))
    fire(permission_request(tmp_path))
    fire(post_tool_batch(tmp_path, [(ECHO, "toolu_1", "The user doesn't want to proceed with this tool use.")]))
    assert requests(nerv_home, "status, tool_use_id") == [("denied", "toolu_1")]


def test_matching_is_by_session_tool_and_exact_input(fire, ledger, nerv_home, tmp_path):
    fire(permission_request(tmp_path, {"command": "echo one", "description": "d"}))
    fire(permission_request(tmp_path, {"command": "echo two", "description": "d"}))
    fire(permission_request(tmp_path, {"command": "echo two", "description": "d"}, tool="Monitor"))
    other_session = {**post_tool_use(tmp_path, {"description": "d", "command": "echo two"}, tool_use_id="toolu_9"),
                     "session_id": "another-session"}
    fire(other_session)
    assert requests(nerv_home, "status") == [("pending",), ("pending",), ("pending",)]
    # Same input in another key order: the same call.
    fire(post_tool_use(tmp_path, {"description": "d", "command": "echo two"}, tool_use_id="toolu_2"))
    assert requests(nerv_home, "status, tool_use_id, tool") == [
        ("pending", None, "Bash"), ("approved", "toolu_2", "Bash"), ("pending", None, "Monitor")]


def test_strict_mode_and_permission_request_share_one_request(fire, cli, nerv_home, tmp_path):
    cli("settings", "set", "hook.mode", "strict")
    assert decision(fire(pre_tool_use(tmp_path)))[0] == "ask"
    assert fire(permission_request(tmp_path)).stdout == ""
    fire(post_tool_use(tmp_path))
    assert requests(nerv_home) == [("approved", "claude-code", "PreToolUse", "strict", "toolu_1")]


def test_a_call_decided_again_keeps_its_one_request(fire, cli, nerv_home, tmp_path):
    """The hook daemon stopped mid-decision and the hook decided the same call itself: still one request."""
    cli("settings", "set", "hook.mode", "strict")
    assert decision(fire(pre_tool_use(tmp_path)))[0] == "ask"
    assert decision(fire(pre_tool_use(tmp_path)))[0] == "ask"
    assert decision(fire(pre_tool_use(tmp_path, tool_use_id="toolu_2")))[0] == "ask"  # another call of the same input
    assert requests(nerv_home, "status, tool_use_id") == [("pending", "toolu_1"), ("pending", "toolu_2")]


def test_off_mode_records_nothing(fire, cli, db_hash, tmp_path):
    cli("settings", "set", "hook.mode", "off")
    before = db_hash()
    assert fire(permission_request(tmp_path)).stdout == ""
    assert fire(pre_tool_use(tmp_path)).stdout == ""
    assert db_hash() == before


def start_hook(event: dict) -> subprocess.Popen:
    hook = subprocess.Popen(nerv_executable() + ["hook", EVENT_COMMANDS[event["hook_event_name"]]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hook.stdin.write(json.dumps(event))
    hook.stdin.close()
    return hook


def wait_for_request(cli, count: int = 1) -> None:
    for _ in range(400):
        if len(cli("approval", "list", "--json").data) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the hook recorded no request")


@pytest.mark.slow  # a waiting hook process
@pytest.mark.parametrize("verb,behavior", [("approve", "allow"), ("deny", "deny")])
def test_queue_mode_answers_permission_request_with_the_decision(cli, nerv_home, tmp_path, verb, behavior):
    cli("settings", "set", "hook.mode", "queue")
    cli("settings", "set", "hook.queue_timeout_s", "30")
    hook = start_hook(permission_request(tmp_path, {"file_path": "/tmp/x.txt", "content": "x"}, tool="Write"))
    wait_for_request(cli)
    assert cli("approval", verb, "1", "--reason", "because").code == 0
    hook.wait(timeout=30)
    output = json.loads(hook.stdout.read())["hookSpecificOutput"]
    assert output["hookEventName"] == "PermissionRequest" and output["decision"]["behavior"] == behavior
    if behavior == "deny":
        assert "because" in output["decision"]["message"]
    assert requests(nerv_home, "status, hook_event, mode") == [
        ("approved" if behavior == "allow" else "denied", "PermissionRequest", "queue")]


def test_queue_mode_permission_request_times_out_to_deny(fire, cli, nerv_home, tmp_path):
    cli("settings", "set", "hook.mode", "queue")
    cli("settings", "set", "hook.queue_timeout_s", "0.2")
    output = json.loads(fire(permission_request(tmp_path)).stdout)["hookSpecificOutput"]
    assert output["decision"]["behavior"] == "deny" and "no decision within 0.2 s" in output["decision"]["message"]
    assert requests(nerv_home, "status") == [("expired",)]


def store_setting(nerv_home, key: str, raw_json: str) -> None:
    """Write a value as an older nerv (or a hand edit) could have: settings set refuses these now."""
    conn = raw_connection(nerv_home)
    with conn:
        conn.execute("DELETE FROM settings WHERE key = ? AND project_id IS NULL", (key,))
        conn.execute("INSERT INTO settings (project_id, key, value, updated_at) VALUES (NULL, ?, ?, 'now')",
                     (key, raw_json))
    conn.close()


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-1", "-Infinity", '"soon"', "true", "null"])
@pytest.mark.parametrize("event", ["PreToolUse", "PermissionRequest"])
def test_an_untrustworthy_timeout_never_waits(proc, cli, nerv_home, tmp_path, raw, event):
    cli("settings", "set", "hook.mode", "queue")
    store_setting(nerv_home, "hook.queue_timeout_s", raw)
    document = pre_tool_use(tmp_path) if event == "PreToolUse" else permission_request(tmp_path)
    started = time.monotonic()
    result = proc("hook", EVENT_COMMANDS[event], stdin=json.dumps(document), timeout=20)
    assert time.monotonic() - started < 10
    output = json.loads(result.stdout)["hookSpecificOutput"]
    answered = output.get("permissionDecision") or output["decision"]["behavior"]
    reason = output.get("permissionDecisionReason") or output["decision"]["message"]
    assert answered == "deny" and "hook.queue_timeout_s" in reason
    assert requests(nerv_home, "status") == [("expired",)]


def test_a_legacy_ask_mode_is_strict(fire, cli, nerv_home, tmp_path):
    cli("status")
    store_setting(nerv_home, "hook.mode", '"ask"')
    assert decision(fire(pre_tool_use(tmp_path)))[0] == "ask"
    assert requests(nerv_home, "mode") == [("strict",)]


# --------------------------------------------------------------------------------------------- end states
def test_permission_denied_denies_and_counts_once(fire, cli, nerv_home, tmp_path):
    cli("settings", "set", "hook.mode", "strict")
    decision(fire(pre_tool_use(tmp_path)))
    fire(common("PermissionDenied", tmp_path, "auto", tool_name="Bash", tool_input=ECHO, tool_use_id="toolu_1",
                reason="Auto mode classifier: not allowed"))
    fire(post_tool_batch(tmp_path, [(ECHO, "toolu_1", "denied")], permission_mode="auto"))
    assert requests(nerv_home, "status, reason") == [("denied", "Auto mode classifier: not allowed")]
    assert metric_names(nerv_home) == ["tool.denied"]


def test_session_end_abandons_what_is_still_pending(fire, cli, nerv_home, tmp_path):
    cli("settings", "set", "hook.mode", "strict")
    fire(common("SessionStart", tmp_path, source="startup"))
    decision(fire(pre_tool_use(tmp_path)))
    fire(permission_request(tmp_path, {"command": "make", "description": "m"}))
    fire(common("SessionEnd", tmp_path, reason="other"))
    assert requests(nerv_home, "status, decided_by") == [("abandoned", "session-end"), ("abandoned", "session-end")]
    assert query(nerv_home, "SELECT count(*) FROM audit_log WHERE action = 'approval.abandon'") == [(2,)]


@pytest.mark.slow  # a waiting hook process
def test_a_queued_call_ends_when_its_session_ends(cli, nerv_home, tmp_path):
    cli("settings", "set", "hook.mode", "queue")
    cli("settings", "set", "hook.queue_timeout_s", "30")
    hook = start_hook(pre_tool_use(tmp_path))
    wait_for_request(cli)
    assert cli("hook", "session-end", stdin=json.dumps(common("SessionEnd", tmp_path, reason="other"))).code == 0
    hook.wait(timeout=30)
    output = json.loads(hook.stdout.read())["hookSpecificOutput"]
    assert output["permissionDecision"] == "deny" and "abandoned" in output["permissionDecisionReason"]


# --------------------------------------------------------------------------------------------- other events
def test_subagent_sequence(fire, cli, nerv_home, tmp_path):
    cli("rule", "add", "Bash(echo *)", "--action", "allow")
    agent = {"agent_id": "a6b1961754cea4783", "agent_type": "general-purpose"}
    spawn = {"description": "sub", "prompt": "run echo", "subagent_type": "general-purpose", "model": "sonnet"}
    sub_transcript = f"/tmp/projects/x/{SESSION}/subagents/agent-a6b1961754cea4783.jsonl"
    assert fire(pre_tool_use(tmp_path, spawn, tool="Agent", tool_use_id="toolu_agent")).stdout == ""
    fire(common("SubagentStart", tmp_path, **agent))
    assert query(nerv_home, "SELECT agent_id, agent_type, status FROM subagents") == [
        ("a6b1961754cea4783", "general-purpose", "active")]
    assert decision(fire(pre_tool_use(tmp_path, tool_use_id="toolu_sub", **agent)))[0] == "allow"
    fire(post_tool_use(tmp_path, tool_use_id="toolu_sub", **agent))
    fire(post_tool_batch(tmp_path, [(ECHO, "toolu_sub", "hi")], **agent))
    fire(common("SubagentStop", tmp_path, stop_hook_active=False, agent_transcript_path=sub_transcript,
                last_assistant_message="sub done", **agent))
    fire(post_tool_use(tmp_path, spawn, tool="Agent", tool_use_id="toolu_agent"))
    assert query(nerv_home, "SELECT session_id, agent_id, agent_type, status, transcript_path, ended_at IS NOT NULL"
                            " FROM subagents") == [(SESSION, "a6b1961754cea4783", "general-purpose", "ended",
                                                    sub_transcript, 1)]
    calls = [json.loads(m) for (m,) in query(nerv_home, "SELECT meta FROM metrics WHERE name = 'tool.calls'"
                                                        " ORDER BY id")]
    assert calls == [{"tool": "Bash", "tool_use_id": "toolu_sub", "subagent": "a6b1961754cea4783"},
                     {"tool": "Agent", "tool_use_id": "toolu_agent"}]
    assert "tool.denied" not in metric_names(nerv_home)
    actions = [r[0] for r in query(nerv_home, "SELECT action FROM audit_log WHERE entity = 'subagent' ORDER BY id")]
    assert actions == ["subagent.start", "subagent.stop"]


def test_compaction_is_counted(fire, ledger, nerv_home, tmp_path):
    fire(common("PreCompact", tmp_path, trigger="auto", custom_instructions=""))
    fire(common("PostCompact", tmp_path, trigger="auto", compact_summary="summary"))
    assert query(nerv_home, "SELECT name, meta FROM metrics") == [("session.compactions", '{"trigger": "auto"}')]


def test_notification_shows_the_session_waiting_until_it_moves_on(fire, cli, nerv_home, tmp_path):
    fire(common("SessionStart", tmp_path, source="startup"))
    fire(common("Notification", tmp_path, message="Claude needs your permission to use Bash", title="Claude Code",
                notification_type="permission_prompt"))
    [row] = cli("approval", "list", "--json").data or [None]  # no request in the default mode
    assert row is None
    text = cli("approval", "list").stdout
    assert "waiting for input" in text and "permission_prompt: Claude needs your permission to use Bash" in text
    fire(common("Notification", tmp_path, message="Authenticated", notification_type="auth_success"))
    assert query(nerv_home, "SELECT waiting_for IS NOT NULL FROM claude_sessions") == [(1,)]
    fire(post_tool_use(tmp_path))
    assert query(nerv_home, "SELECT waiting_for, waiting_since FROM claude_sessions") == [(None, None)]
    assert metric_names(nerv_home).count("session.notifications") == 2


def test_a_request_lists_its_session_agent_age_and_the_wait(fire, cli, nerv_home, tmp_path):
    env = {"NERV_AGENT": "agent-7"}
    fire(common("SessionStart", tmp_path, source="startup"), env=env)
    fire(permission_request(tmp_path), env=env)
    fire(common("Notification", tmp_path, message="Claude needs your permission to use Bash",
                notification_type="permission_prompt"), env=env)
    [row] = cli("approval", "list", "--json").data
    assert (row["session_id"], row["agent"]) == (SESSION, "agent-7") and 0 <= row["age_s"] < 60
    assert row["waiting_for"] == "permission_prompt: Claude needs your permission to use Bash"


@pytest.mark.parametrize("stdin", ["", "not json", "[]", json.dumps({"session_id": "s", "tool_input": {}})])
def test_a_permission_request_nerv_cannot_read_is_left_to_claude_code(proc, cli, stdin):
    result = proc("hook", "permission-request", stdin=stdin)
    assert (result.code, result.stdout) == (0, "") and result.stderr.startswith("nerv hook: PermissionRequest:")
    cli("settings", "set", "hook.on_error", "deny")
    output = json.loads(proc("hook", "permission-request", stdin=stdin).stdout)["hookSpecificOutput"]
    assert output["decision"]["behavior"] == "deny" and "malformed" in output["decision"]["message"]


def test_a_permission_request_with_an_unusable_database_is_left_to_claude_code(proc, tmp_path):
    result = proc("hook", "permission-request", stdin=json.dumps(permission_request(tmp_path)),
                  env=unusable_database_env(tmp_path))
    expected = "no local cache" if ON_POSTGRESQL else "could not decide"  # a server nobody listens on: no cache
    assert (result.code, result.stdout) == (0, "") and expected in result.stderr
