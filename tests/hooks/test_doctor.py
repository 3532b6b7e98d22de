"""`nerv doctor`: every settings file Claude Code reads, nerv's hooks in them run as Claude Code would,
Claude Code rules against nerv's, the database. Exit 1 naming each problem by code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nerv.rules import parse_rule
from nerv.services import doctor, hook_install
from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, unusable_database_env

pytestmark = pytest.mark.slow  # doctor runs the installed hook commands as processes

REGISTERED = [e.name for e in hook_install.registered_events()]


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "cwd" / ".git").mkdir()
    return tmp_path / "cwd"


@pytest.fixture
def installed(cli, repo) -> Path:
    """nerv installed the default way (local scope); returns the settings file."""
    assert cli("hook", "install").code == 0
    return repo / ".claude" / "settings.local.json"


def run_doctor(cli, *args):
    result = cli("--json", "doctor", *args)
    assert result.code in (0, 1), result.stderr
    data = result.data
    assert result.code == (0 if data["ok"] else 1)
    return data


def codes(data) -> list[str]:
    return [p["code"] for p in data["problems"]]


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    change(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_a_clean_install_has_no_problems(cli, installed):
    data = run_doctor(cli)
    assert data["ok"] and data["problems"] == []
    assert [h["event"] for h in data["hooks"]] == REGISTERED
    assert all(h["status"] == "ok" and h["version"] == data["version"] and h["scope"] == "local"
               for h in data["hooks"])
    assert {f["scope"] for f in data["files"]} == {"managed", "user", "project", "local"}
    result = cli("doctor")
    assert result.code == 0 and "no problems found" in result.stdout


def test_nothing_installed(cli, repo):
    data = run_doctor(cli)
    assert codes(data) == ["not_installed"]


def test_a_missing_event(cli, installed):
    edit(installed, lambda d: d["hooks"].pop("Stop"))
    data = run_doctor(cli)
    assert codes(data) == ["missing_event"] and "Stop" in data["problems"][0]["message"]


def test_a_stale_path_and_a_bare_command(cli, installed, tmp_path):
    def change(d):
        d["hooks"]["Stop"][0]["hooks"][0]["command"] = f"{tmp_path}/old-venv/bin/nerv hook stop"
        d["hooks"]["SessionEnd"][0]["hooks"][0]["command"] = "nerv hook session-end"
    edit(installed, change)
    data = run_doctor(cli)
    assert sorted(codes(data)) == ["relies_on_path", "stale_path"]
    stale = next(p for p in data["problems"] if p["code"] == "stale_path")
    assert stale["file"] == str(installed) and stale["scope"] == "local"
    assert cli("doctor").code == 1


def test_a_hook_that_answers_garbage(cli, installed, tmp_path):
    fake = tmp_path / "fake" / "nerv"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'not JSON'\n")
    fake.chmod(0o755)
    edit(installed, lambda d: d["hooks"]["Stop"][0]["hooks"][0].update(command=f"{fake} hook stop"))
    data = run_doctor(cli)
    assert codes(data) == ["hook_failed"]
    assert next(h for h in data["hooks"] if h["event"] == "Stop")["status"] == "failed"
    assert run_doctor(cli, "--no-run")["ok"]  # not run: only its path is checked, and it exists


def test_a_handler_under_the_wrong_event(cli, installed):
    edit(installed, lambda d: d["hooks"]["Stop"][0]["hooks"][0].update(
        command=d["hooks"]["SessionEnd"][0]["hooks"][0]["command"]))
    data = run_doctor(cli)
    assert codes(data) == ["missing_event", "wrong_event"] and "Stop" in data["problems"][0]["message"]


def test_a_duplicate_install_in_project_and_local(cli, installed):
    assert cli("hook", "install", "--scope", "project").code == 0
    data = run_doctor(cli)
    assert codes(data) == ["duplicate_install"]  # one problem for the whole doubled install
    message = data["problems"][0]["message"]
    assert "project" in message and "local" in message and all(event in message for event in REGISTERED)


def test_a_claude_code_deny_shadowing_a_nerv_allow(cli, installed, repo):
    cli("rule", "add", "Bash(npm test *)", "--action", "allow")
    cli("rule", "add", "WebFetch(domain:example.com)", "--action", "allow")
    edit(repo / ".claude" / "settings.json", lambda d: d.update(permissions={"deny": ["Bash(npm *)"],
                                                                             "ask": ["WebFetch"]}))
    data = run_doctor(cli)
    assert codes(data) == ["shadowed_allow", "shadowed_allow"]
    assert data["problems"][0]["scope"] == "project" and "Bash(npm *)" in data["problems"][0]["message"]


def test_a_contradiction_either_way(cli, installed, repo):
    cli("rule", "add", "Bash(rm -rf *)", "--action", "deny")
    cli("rule", "add", "Read(./docs/**)", "--action", "allow")
    edit(installed, lambda d: d.update(permissions={"allow": ["Bash(rm -rf:*)"], "deny": ["Read(./docs/**)"]}))
    data = run_doctor(cli)
    assert codes(data) == ["contradiction", "contradiction"]
    assert any("nerv's deny wins" in p["message"] for p in data["problems"])
    assert any("Claude Code's deny wins" in p["message"] for p in data["problems"])


def test_unrelated_or_narrower_claude_rules_are_not_problems(cli, installed):
    cli("rule", "add", "Bash(git *)", "--action", "allow")
    edit(installed, lambda d: d.update(permissions={"deny": ["Bash(git push *)", "Bash(npm *)", "Read(.env)"],
                                                    "allow": ["Bash(git *)"]}))
    assert run_doctor(cli)["ok"]


@pytest.mark.slow
def test_claude_config_dir_is_honoured(cli, repo, tmp_path, monkeypatch):
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    assert cli("hook", "install", "--scope", "user").code == 0
    data = run_doctor(cli)
    assert data["ok"] and {h["file"] for h in data["hooks"]} == {str(config / "settings.json")}
    edit(config / "settings.json", lambda d: d["hooks"].pop("PreToolUse"))
    assert codes(run_doctor(cli)) == ["missing_event"]


def test_the_managed_folder_is_honoured(cli, installed, tmp_path, monkeypatch):
    managed = tmp_path / "managed"
    monkeypatch.setenv("NERV_CLAUDE_MANAGED_DIR", str(managed))
    cli("rule", "add", "Edit(./src/**)", "--action", "allow")
    edit(managed / "managed-settings.d" / "10-org.json", lambda d: d.update(
        permissions={"deny": ["Edit"]},
        hooks={"Stop": [{"hooks": [{"type": "command", "command": "/opt/gone/nerv hook stop"}]}]}))
    data = run_doctor(cli)
    assert sorted(codes(data)) == ["duplicate_install", "shadowed_allow", "stale_path"]
    assert {p["scope"] for p in data["problems"] if p["code"] != "duplicate_install"} == {"managed"}


@pytest.mark.slow
def test_a_short_timeout_matters_in_queue_mode(cli, installed):
    edit(installed, lambda d: d["hooks"]["PreToolUse"][0]["hooks"][0].update(timeout=100))
    assert run_doctor(cli)["ok"]  # ask mode never waits
    assert cli("settings", "set", "hook.mode", "queue").code == 0
    assert codes(run_doctor(cli)) == ["timeout_too_short"]


def test_an_unusable_database(cli, installed, tmp_path, monkeypatch):
    bad = tmp_path / "not-a-db"
    bad.write_text("this is not SQLite" * 100)
    for name, value in (unusable_database_env(tmp_path) if ON_POSTGRESQL else {"NERV_DB": str(bad)}).items():
        monkeypatch.setenv(name, value)
    data = run_doctor(cli, "--no-run")
    assert codes(data) == ["database"]


def test_an_unreadable_settings_file(cli, installed, repo):
    (repo / ".claude" / "settings.json").write_text("{broken")
    assert codes(run_doctor(cli)) == ["settings_unreadable"]


def test_doctor_creates_no_database(cli, installed, fresh_home, nerv_home):
    run_doctor(cli)
    assert not (nerv_home / "state.db").exists()


def test_plain_output_names_the_problems(cli, repo):
    result = cli("doctor")
    assert result.code == 1 and "problem not_installed" in result.stdout
    assert_not_a_bug(result)


@pytest.mark.parametrize("command, event", [
    ("nerv hook pre-tool-use", "pre-tool-use"),
    ("'/opt/my tools/nerv' hook stop", "stop"),
    ("/usr/bin/python3 -m nerv hook session-end", "session-end"),
    ("NERV_HOME=/x /opt/nerv/bin/nerv hook stop", "stop"),
    ("my-guard hook stop", None),
    ("nerv status", None),
    (42, None),
])
def test_a_nerv_hook_is_recognised_by_its_command(command, event):
    assert doctor.nerv_hook_event(command) == event


@pytest.mark.parametrize("broad, narrow, covered", [
    ("Bash", "Bash(npm test *)", True),
    ("Bash(*)", "Bash(npm test *)", True),
    ("Bash(npm *)", "Bash(npm test *)", True),
    ("Bash(npm:*)", "Bash(npm)", True),
    ("Bash(npm *)", "Bash(npmx *)", False),
    ("Bash(git push *)", "Bash(git *)", False),
    ("mcp__github", "mcp__github__get_issue", True),
    ("mcp__*", "mcp__github__get_issue", True),
    ("WebFetch(domain:*)", "WebFetch(domain:example.com)", True),
    ("Task", "Agent(Explore)", True),
    ("Read(./a/**)", "Read(./a/b)", False),
])
def test_the_cover_method(broad, narrow, covered):
    assert doctor.covers(parse_rule(broad), parse_rule(narrow)) is covered


@pytest.mark.parametrize("where, key", [("managed", "disableAllHooks"), ("managed", "allowManagedHooksOnly"),
                                        ("user", "disableAllHooks")])
def test_hooks_switched_off_by_claude_code_settings(cli, installed, tmp_path, monkeypatch, where, key):
    managed = tmp_path / "managed"
    monkeypatch.setenv("NERV_CLAUDE_MANAGED_DIR", str(managed))
    user_file = tmp_path / "user-home" / ".claude" / "settings.json"
    file = managed / "managed-settings.json" if where == "managed" else user_file
    edit(file, lambda d: d.update({key: True}))
    data = run_doctor(cli, "--no-run")
    assert codes(data) == ["hooks_disabled"] and key in data["problems"][0]["message"]
