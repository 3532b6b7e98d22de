"""Running a hook command the way Claude Code does, to prove it answers (install, doctor).

Claude Code runs a command hook through a shell with the event's JSON on stdin and kills it at its
timeout. The check does the same with the least it can rely on: `sh -c COMMAND`, PATH=/usr/bin:/bin
(no venv, no ~/.local/bin), HOME, and a bounded time. It must prove the command works without harming
the user's ledger, so NERV_HOME points at a fresh, empty ledger in a temporary folder: a PreToolUse there
is decided with no rules at all, a SessionStart records a session, and all of it is deleted afterwards.
The real database is doctor's separate quick check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MINIMAL_PATH = "/usr/bin:/bin"
CHECK_TIMEOUT_S = 30.0
SHELL = "/bin/sh"
PERMISSION_DECISIONS = ("allow", "deny", "ask", "defer")
SESSION = "nerv-hook-check"
_BASH = {"tool_name": "Bash", "tool_input": {"command": "nerv --version", "description": "nerv hook check"}}
_CALL = {**_BASH, "tool_use_id": "toolu_nerv_hook_check"}
_AGENT = {"agent_id": "nerv-hook-check-agent", "agent_type": "general-purpose"}

# Each event's input beyond the common fields (reference: hooks#hook-lifecycle), with harmless values.
SAMPLE_INPUT = {
    "PreToolUse": _CALL,
    "PermissionRequest": {**_BASH, "permission_suggestions": []},
    "PermissionDenied": {**_CALL, "reason": "nerv hook check"},
    "PostToolUse": {**_CALL, "tool_response": {"stdout": "", "stderr": "", "interrupted": False}, "duration_ms": 1},
    "PostToolUseFailure": {**_CALL, "error": "Exit code 1", "is_interrupt": False},
    "PostToolBatch": {"tool_calls": [{**_CALL, "tool_response": {"stdout": "", "stderr": "", "interrupted": False}}]},
    "SessionStart": {"source": "startup"},
    "SessionEnd": {"reason": "other"},
    "Stop": {"stop_hook_active": False, "last_assistant_message": ""},
    "SubagentStart": _AGENT,
    "SubagentStop": {**_AGENT, "stop_hook_active": False, "agent_transcript_path": ""},
    "UserPromptSubmit": {"prompt": "nerv hook check"},
    "PreCompact": {"trigger": "manual", "custom_instructions": ""},
    "PostCompact": {"trigger": "manual", "compact_summary": ""},
    "Notification": {"message": "nerv hook check", "title": "nerv", "notification_type": "idle_prompt"},
}


def sample_payload(event: str, cwd: str, scratch: Path) -> dict:
    """The JSON Claude Code would send for `event`; the transcript path points into the scratch folder."""
    common = {"session_id": SESSION, "transcript_path": str(scratch / "transcript.jsonl"), "cwd": cwd,
              "hook_event_name": event, "permission_mode": "default"}
    return {**common, **SAMPLE_INPUT.get(event, {})}


def minimal_env(nerv_home: Path, cwd: str) -> dict:
    return {"PATH": MINIMAL_PATH, "HOME": str(Path.home()), "NERV_HOME": str(nerv_home), "CLAUDE_PROJECT_DIR": cwd}


def run_as_claude_code(command: str, stdin: bytes, env: dict, cwd: str, timeout: float = CHECK_TIMEOUT_S) -> dict:
    """exit_code, stdout, stderr, timed_out, duration_ms of `sh -c COMMAND`."""
    started = time.monotonic()
    try:
        proc = subprocess.run([SHELL, "-c", command], input=stdin, capture_output=True, env=env, cwd=cwd,
                              timeout=timeout)
        outcome = {"exit_code": proc.returncode, "stdout": proc.stdout.decode("utf-8", "replace"),
                   "stderr": proc.stderr.decode("utf-8", "replace"), "timed_out": False}
    except subprocess.TimeoutExpired as exc:
        outcome = {"exit_code": None, "stdout": (exc.stdout or b"").decode("utf-8", "replace"),
                   "stderr": (exc.stderr or b"").decode("utf-8", "replace"), "timed_out": True}
    except OSError as exc:
        outcome = {"exit_code": None, "stdout": "", "stderr": f"cannot run {SHELL}: {exc}", "timed_out": False}
    outcome["duration_ms"] = round((time.monotonic() - started) * 1000)
    return outcome


def judge(event: str, outcome: dict, timeout: float = CHECK_TIMEOUT_S) -> str | None:
    """Why the answer is not one Claude Code would take from a working nerv, or None when it is."""
    if outcome["timed_out"]:
        return f"no answer within {timeout:g} s"
    first_error = next((line for line in outcome["stderr"].splitlines() if line.strip()), "")
    if outcome["exit_code"] != 0:
        meaning = {126: " (not executable)", 127: " (command not found)"}.get(outcome["exit_code"], "")
        return f"exit {outcome['exit_code']}{meaning}" + (f": {first_error[:300]}" if first_error else "")
    # nerv reports its own trouble on stderr and exits 0 (a hook must never break the agent's flow).
    trouble = next((line for line in outcome["stderr"].splitlines() if line.startswith("nerv hook:")), None)
    if trouble:
        return trouble[:300]
    return _judge_stdout(event, outcome["stdout"].strip())


def _judge_stdout(event: str, text: str) -> str | None:
    if not text:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return f"printed something that is not JSON: {text[:120]!r}"
    if not isinstance(document, dict):
        return f"printed JSON {type(document).__name__}, not an object"
    specific = document.get("hookSpecificOutput")
    if specific is None:
        return None
    if not isinstance(specific, dict) or specific.get("hookEventName") != event:
        return f"hookSpecificOutput is not for {event}: {json.dumps(specific)[:200]}"
    if event == "PreToolUse" and specific.get("permissionDecision") not in PERMISSION_DECISIONS:
        return f"PreToolUse answered no permissionDecision: {json.dumps(specific)[:200]}"
    return None


def _fresh_ledger(folder: Path) -> None:
    """Create and migrate the scratch database first, so concurrent checks never race to create it."""
    from nerv.store.db import open_store

    open_store(folder / "state.db").close()


def check_commands(commands: list[tuple[str, str]], *, cwd: str, expect_version: str | None = None,
                   timeout: float = CHECK_TIMEOUT_S) -> list[dict]:
    """Run each (event, command) as Claude Code would against a scratch ledger; one result per pair:
    event, command, ok, problem, exit_code, duration_ms, version (what `<command> --version` printed)."""
    if not commands:
        return []
    with tempfile.TemporaryDirectory(prefix="nerv-hook-check-") as scratch_name:
        scratch = Path(scratch_name)
        _fresh_ledger(scratch)
        env = minimal_env(scratch, cwd)

        def one(pair: tuple[str, str]) -> dict:
            event, command = pair
            stdin = json.dumps(sample_payload(event, cwd, scratch)).encode("utf-8")
            outcome = run_as_claude_code(command, stdin, env, cwd, timeout)
            problem = judge(event, outcome, timeout)
            return {"event": event, "command": command, "ok": problem is None, "problem": problem,
                    "exit_code": outcome["exit_code"], "duration_ms": outcome["duration_ms"]}

        with ThreadPoolExecutor(max_workers=min(8, len(commands))) as pool:
            results = list(pool.map(one, commands))
            versions = dict(zip(*_versions(pool, {version_command(c) for _, c in commands} - {None}, env, cwd)))
    for result in results:
        result["version"] = versions.get(version_command(result["command"]))
        if result["ok"] and expect_version and result["version"] != expect_version:
            result["ok"] = False
            result["problem"] = (f"answered as nerv {result['version'] or '(unknown version)'}, not this nerv "
                                 f"{expect_version}")
    return results


def check_statusline(command: str, *, cwd: str, timeout: float = CHECK_TIMEOUT_S) -> dict:
    """Run a statusLine command as Claude Code would (sh -c, minimal PATH, its JSON on stdin) against a scratch
    ledger: {command, ok, problem, exit_code, duration_ms}; ok when it exits 0 with nerv's one line."""
    with tempfile.TemporaryDirectory(prefix="nerv-hook-check-") as scratch_name:
        scratch = Path(scratch_name)
        _fresh_ledger(scratch)
        payload = {"session_id": SESSION, "transcript_path": str(scratch / "transcript.jsonl"), "cwd": cwd,
                   "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
                   "workspace": {"current_dir": cwd, "project_dir": cwd}, "cost": {"total_cost_usd": 0.01}}
        outcome = run_as_claude_code(command, json.dumps(payload).encode("utf-8"), minimal_env(scratch, cwd), cwd,
                                     timeout)
    problem = judge("StatusLine", {**outcome, "stdout": ""}, timeout)
    if problem is None and not outcome["stdout"].startswith("nerv"):
        problem = f"printed {outcome['stdout'][:120]!r}, not nerv's status line"
    return {"command": command, "ok": problem is None, "problem": problem, "exit_code": outcome["exit_code"],
            "duration_ms": outcome["duration_ms"]}


def version_command(command: str) -> str | None:
    """`<the same executable> --version` for a nerv hook command (`... hook EVENT` at its end)."""
    match = re.fullmatch(r"(.*\S)\s+hook\s+[a-z-]+\s*", command, re.DOTALL)
    return f"{match.group(1)} --version" if match else None


def _versions(pool: ThreadPoolExecutor, probes: set[str], env: dict, cwd: str) -> tuple[list, list]:
    probes = sorted(probes)
    answers = pool.map(lambda probe: parse_version(run_as_claude_code(probe, b"", env, cwd, 15)), probes)
    return probes, list(answers)


def parse_version(outcome: dict) -> str | None:
    match = re.match(r"nerv (\S+)", outcome["stdout"].strip()) if outcome["exit_code"] == 0 else None
    return match.group(1) if match else None
