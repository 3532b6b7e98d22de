"""The PreToolUse hook in team mode, as Claude Code runs it (a process reading stdin): it decides from the
server's rules, and when the server is unreachable it never fails open, not even from a local file's rules
(the cache of the server's rules: tests/pg/test_hook_cache.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALL = json.dumps({"session_id": "s", "cwd": "/tmp", "hook_event_name": "PreToolUse", "tool_name": "Bash",
                   "tool_input": {"command": "npm test -q"}, "tool_use_id": "t"})


def pre_tool_use(url: str | None, home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NERV_HOME": str(home)}
    env.pop("NERV_DATABASE_URL", None)
    if url is not None:
        env["NERV_DATABASE_URL"] = url
    done = subprocess.run([sys.executable, "-m", "nerv", "hook", "pre-tool-use"], input=CALL, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["hookSpecificOutput"]


def test_the_hook_decides_from_the_servers_rules(cli, pg_database, nerv_home):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert pre_tool_use(pg_database, nerv_home)["permissionDecision"] == "allow"


def test_an_unreachable_server_never_fails_open(cli, nerv_home, tmp_path, monkeypatch):
    monkeypatch.delenv("NERV_DATABASE_URL", raising=False)
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("settings", "set", "hook.on_error", "deny").code == 0
    assert pre_tool_use(None, nerv_home)["permissionDecision"] == "allow"  # the local file would allow it

    unreachable = f"postgresql://nobody@/nerv?host={tmp_path}"  # no server listens on this socket folder
    answer = pre_tool_use(unreachable, nerv_home)
    # Neither the local file's allow rule nor its hook.on_error answers for the team, and no cache of this
    # server's rules exists: the default, ask.
    assert answer["permissionDecision"] == "ask"
    assert "the server is unreachable" in answer["permissionDecisionReason"]
    assert "no local cache" in answer["permissionDecisionReason"]
