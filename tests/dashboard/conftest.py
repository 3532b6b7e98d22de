"""A ledger with three agents on one repo, built through the real CLI: a claim with path leases, a claim
whose lease has run out, a pending approval request, a blocked task, a task waiting on it, and usage with
a model nerv has no price for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import from_template, raw_connection, run_cli, run_proc

LONG_TITLE = "Fix the login redirect loop when the session cookie is stale on mobile Safari and iPad"


def ok(*args):
    result = run_cli(*args)
    assert result.code == 0, result.stderr
    return result


def usage_line(model: str, message_id: str, when: str, cwd: str) -> str:
    return json.dumps({"type": "assistant", "sessionId": "sess-dash", "cwd": cwd, "timestamp": when,
                       "requestId": f"req-{message_id}", "uuid": f"u-{message_id}",
                       "message": {"model": model, "id": message_id, "role": "assistant", "type": "message",
                                   "content": [{"type": "text", "text": "ok"}],
                                   "usage": {"input_tokens": 1000, "output_tokens": 2000}}})


_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def ledger(tmp_path_factory, nerv_home, monkeypatch):
    """Three agents, four tasks, one approval request, two usage rows; the test runs inside the repo,
    whose path is returned. Built once per session (~3 s) and copied into each test's database."""
    if not _TEMPLATE:
        folder = tmp_path_factory.mktemp("dashboard-ledger")
        repo = (folder / "repo").resolve()
        repo.mkdir()
        _TEMPLATE.update(repo=repo, folder=folder)
    monkeypatch.chdir(_TEMPLATE["repo"])
    from_template("dashboard-ledger", nerv_home, lambda: _build(_TEMPLATE["folder"], _TEMPLATE["repo"], nerv_home))
    return _TEMPLATE["repo"]


def _build(tmp_path: Path, repo: Path, nerv_home: Path) -> None:
    ok("project", "add", "demo")
    ok("project", "use", "demo")
    ok("repo", "add", str(repo))
    for title in (LONG_TITLE, "Write the docs", "Deploy to production", "Announce the release"):
        ok("task", "add", title)
    ok("task", "dep", "add", "4", "3")
    ok("task", "claim", "1", "--agent", "alice", "--paths", "src/auth/**")
    ok("task", "claim", "2", "--agent", "bob")
    ok("task", "block", "3", "--reason", "waiting for the release window")
    conn = raw_connection(nerv_home)
    try:  # bob stopped heartbeating: his lease ran out a while ago (the CLI cannot make a past lease)
        conn.execute("UPDATE tasks SET lease_expires_at = '2020-01-01T00:00:00.000000Z' WHERE number = 2")
    finally:
        conn.close()
    request = {"session_id": "sess-carol", "transcript_path": "/tmp/t.jsonl", "cwd": str(repo),
               "hook_event_name": "PermissionRequest", "tool_name": "Bash",
               "tool_input": {"command": "npm publish --access public"}}
    hooked = run_proc("hook", "permission-request", stdin=json.dumps(request), env={"NERV_AGENT": "carol"})
    assert hooked.code == 0, hooked.stderr
    from nerv.store.clock import now_iso

    transcript = tmp_path / "transcripts" / "sess-dash.jsonl"
    transcript.parent.mkdir()
    now = now_iso()
    transcript.write_text(usage_line("claude-sonnet-4-5-20250929", "msg-1", now, str(repo)) + "\n"
                          + usage_line("gpt-mystery", "msg-2", now, str(repo)) + "\n")
    ok("session", "import", str(transcript.parent))
    ok("budget", "set", "--daily", "10")
