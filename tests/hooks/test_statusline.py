"""`nerv statusline`: one line from Claude Code's statusLine JSON, stdlib only, never a failure."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ON_POSTGRESQL, run_cli, use_new_database
from tests.hooks.test_hook_imports import HEAVY
from tests.sessions.test_usage_rollup import MODELS, assistant_line, ok



def statusline(payload) -> str:
    result = run_cli("statusline", stdin=payload if isinstance(payload, str) else json.dumps(payload))
    assert result.code == 0 and result.stderr == ""
    return result.stdout


def test_the_line_shows_session_cost_today_budget_burn_rate_and_task(nerv_home, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    task = ok("task", "add", "Ship the statusline", "--project", "alpha")
    now = datetime.now(timezone.utc)
    stamps = [(now - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S.000Z") for m in (50, 20)]
    lines = [assistant_line("s-live", repo, f"m{i}", ts, MODELS[0], 20_000, None) for i, ts in enumerate(stamps)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    ok("session", "import", tmp_path / "t.jsonl")
    ok("session", "assign", "s-live", "--task", task["number"], "--project", "alpha")
    ok("budget", "set", "--daily", "10", "--project", "alpha")
    today = ok("cost", "--since", now.strftime("%Y-%m-%d"))["totals"]["cost_usd"]
    text = statusline({"session_id": "s-live", "cwd": str(repo), "cost": {"total_cost_usd": 1.5},
                       "workspace": {"current_dir": str(repo)}, "model": {"id": MODELS[0]}})
    assert text.count("\n") == 1
    parts = text.strip().split(" | ")
    assert parts[0] == "nerv" and parts[1] == "session $1.50" and parts[2] == f"today ${today:.2f}"
    assert parts[3].startswith(f"budget {today / 10 * 100:.0f}% of $10 daily")
    assert parts[4].endswith("/h") and parts[5] == f"#{task['number']} Ship the statusline"


def test_without_cost_in_the_input_the_ledger_gives_the_session_cost(nerv_home, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    ok("project", "add", "alpha", "--path", repo)
    (tmp_path / "t.jsonl").write_text(assistant_line("s-old", repo, "m1", "2026-03-10T10:00:00Z", MODELS[0], 10, None))
    ok("session", "import", tmp_path / "t.jsonl")
    cost = ok("session", "show", "s-old")["cost_usd"]
    assert f"session ${cost:.2f}" in statusline({"session_id": "s-old"})


def test_bad_input_and_a_missing_ledger_still_print_a_line(nerv_home, tmp_path, monkeypatch, request):
    with monkeypatch.context() as patched:
        use_new_database(request, patched, tmp_path / "absent")  # no file there; on a server, no schema yet
        assert statusline("not json") == "nerv | no ledger\n"
    ok("project", "list")  # the ledger exists
    assert statusline("[1, 2]").startswith("nerv | today $0.00")
    assert statusline({"session_id": 7, "cwd": ["x"], "cost": "lots"}).startswith("nerv | today $0.00")


def test_an_unreachable_team_server_is_a_ledger_unavailable(nerv_home, monkeypatch):
    monkeypatch.setenv("NERV_DATABASE_URL", "postgresql://nobody@/nerv?host=/nonexistent-socket-folder")
    assert statusline({"cost": {"total_cost_usd": 0.25}}) == "nerv | session $0.25 | ledger unavailable\n"


def test_the_statusline_imports_only_the_standard_library_and_no_re(nerv_home):
    ok("project", "list")
    payload = json.dumps({"session_id": "s", "cwd": "/tmp", "cost": {"total_cost_usd": 0.1}})
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "nerv", "statusline"], input=payload,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("nerv | session $0.10"), result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "nerv.statusline" in imported  # the probe works
    # In team mode the driver, psycopg2, imports re itself.
    slow = {"typing", "dataclasses"} | (set() if ON_POSTGRESQL else {"re"})
    assert not {m for m in imported if m.split(".")[0] in HEAVY} | (imported & slow)


@pytest.mark.slow  # proves the installed command by running it as a process
def test_hook_install_statusline_writes_the_command_and_proves_it(nerv_home, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    done = ok("hook", "install", "--statusline")
    settings = json.loads((repo / ".claude" / "settings.local.json").read_text())
    assert settings["statusLine"] == {"type": "command", "command": done["command"] + " statusline"}
    assert done["statusline"] == "added" and any(c["event"] == "statusLine" and c["ok"] for c in done["checks"])
    assert ok("hook", "install", "--statusline")["unchanged"] is True
    settings["statusLine"] = {"type": "command", "command": "my-own-line"}
    (repo / ".claude" / "settings.local.json").write_text(json.dumps(settings))
    assert ok("hook", "install", "--statusline")["statusline"] == "updated"
