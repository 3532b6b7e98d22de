"""The hook path imports only the standard library: checked in a fresh interpreter for every event."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each check imports nerv in a fresh interpreter

HEAVY = ("typer", "rich", "numpy", "peewee", "click", "pydantic")

PROBE = """
import io, json, sys
sys.stdin = io.TextIOWrapper(io.BytesIO({payload!r}.encode()))
from nerv.__main__ import main
code = main(["hook", {event!r}])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
sys.stderr.write("\\nHEAVY=" + json.dumps(heavy) + "\\n")
"""


@pytest.mark.parametrize("event,payload", [
    ("pre-tool-use", {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "npm test"}}),
    ("pre-tool-use", {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "make x"}}),
    ("pre-tool-use", "garbage"),
    ("post-tool-use", {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "duration_ms": 3}),
    ("session-start", {"session_id": "s", "cwd": "/tmp", "source": "startup"}),
    ("session-end", {"session_id": "s", "cwd": "/tmp", "reason": "other"}),
    ("stop", {"session_id": "s", "cwd": "/tmp"}),
    ("user-prompt-submit", {"session_id": "s", "cwd": "/tmp", "prompt": "hi"}),
    ("permission-request", {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "x"}}),
    ("permission-denied", {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {}, "tool_use_id": "t",
                           "reason": "no"}),
    ("post-tool-use-failure", {"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "error": "Exit code 1"}),
    ("post-tool-batch", {"session_id": "s", "cwd": "/tmp", "tool_calls": [{"tool_name": "Bash", "tool_use_id": "u"}]}),
    ("subagent-start", {"session_id": "s", "cwd": "/tmp", "agent_id": "a1", "agent_type": "Explore"}),
    ("subagent-stop", {"session_id": "s", "cwd": "/tmp", "agent_id": "a1", "agent_transcript_path": "/tmp/a.jsonl"}),
    ("pre-compact", {"session_id": "s", "cwd": "/tmp", "trigger": "auto"}),
    ("post-compact", {"session_id": "s", "cwd": "/tmp", "trigger": "auto"}),
    ("notification", {"session_id": "s", "cwd": "/tmp", "message": "waiting", "notification_type": "idle_prompt"}),
    ("some-future-event", {"session_id": "s"}),
])
def test_hook_path_imports_no_heavy_module(event, payload, nerv_home):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    probe = PROBE.format(payload=text, event=event, heavy=set(HEAVY))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    heavy = json.loads(result.stderr.rsplit("HEAVY=", 1)[1])
    assert heavy == [], f"the hook imported {heavy}"


def test_importtime_agrees(nerv_home):
    """Cross-check with -X importtime on the real console entry."""
    payload = json.dumps({"session_id": "s", "cwd": "/tmp", "tool_name": "Bash", "tool_input": {"command": "ls"}})
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nerv", "hook", "pre-tool-use"],
                            input=payload, capture_output=True, text=True, timeout=60)
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "nerv" in imported  # the probe works
    assert not imported & set(HEAVY)
