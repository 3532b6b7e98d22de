"""`nerv hook install|uninstall`: an absolute, verified command; idempotent merge; exact removal; refusals."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from nerv.hook import EVENTS
from nerv.services import hook_check, hook_install
from tests.conftest import nerv_executable

pytestmark = pytest.mark.slow  # an install is verified by running the installed hook

EXISTING = {
    "model": "opus",
    "permissions": {"allow": ["Bash(ls *)"]},
    "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}],
              "Notification": [{"hooks": [{"type": "command", "command": "notify-send hi"}]}]},
}
REGISTERED = [e.name for e in hook_install.registered_events()]


def read(path: Path):
    return json.loads(path.read_text())


@pytest.fixture
def repo(tmp_path) -> Path:
    """The working directory made a git checkout (install refuses --scope local/project elsewhere)."""
    (tmp_path / "cwd" / ".git").mkdir()
    return tmp_path / "cwd"


def commands_in(path: Path) -> dict[str, list[str]]:
    return {event: [h["command"] for g in groups for h in g["hooks"]] for event, groups in read(path)["hooks"].items()}


def expected_prefix() -> str:
    return " ".join(shlex.quote(word) for word in hook_install.nerv_argv())


# ---- the event table ------------------------------------------------------------------------------

def test_every_handled_event_has_a_row_and_a_sample_payload():
    for command, name in EVENTS.items():
        row = hook_install.BY_COMMAND.get(command)
        assert row is not None and row.name == name, f"{command}: add it to hook_install.EVENT_TABLE"
        assert name in hook_check.SAMPLE_INPUT, f"{name}: add a sample payload to hook_check.SAMPLE_INPUT"
    assert REGISTERED == [e.name for e in hook_install.EVENT_TABLE if e.command in EVENTS]


def test_timeouts_follow_claude_codes_limits():
    table = hook_install.BY_NAME
    assert table["SessionEnd"].timeout_s == 60  # the most Claude Code honours for SessionEnd
    assert table["PreToolUse"].timeout_s is None and table["PermissionRequest"].timeout_s is None
    assert all(e.timeout_s == 30 for e in hook_install.EVENT_TABLE
               if e.name not in ("SessionEnd", "PreToolUse", "PermissionRequest"))
    assert hook_install.event_timeout(table["PreToolUse"], 600) == 660


# ---- install / uninstall --------------------------------------------------------------------------

@pytest.mark.slow
def test_install_twice_changes_nothing_and_uninstall_restores(cli, repo, monkeypatch):
    sub = repo / "pkg"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the git root is found from a subfolder
    target = repo / ".claude" / "settings.local.json"  # the default scope: local, not committed
    target.parent.mkdir()
    target.write_text(json.dumps(EXISTING, indent=2))
    first = cli("hook", "install", "--json").data
    assert first["file"] == str(target) and first["scope"] == "local" and first["added"] == REGISTERED
    assert [c["event"] for c in first["checks"]] == REGISTERED and all(c["ok"] for c in first["checks"])
    assert json.loads(Path(first["backup"]).read_text()) == EXISTING
    installed = read(target)
    assert installed["model"] == "opus" and installed["permissions"] == EXISTING["permissions"]
    assert installed["hooks"]["PreToolUse"][0] == EXISTING["hooks"]["PreToolUse"][0]
    nerv_entry = installed["hooks"]["PreToolUse"][1]["hooks"][0]
    assert nerv_entry == {"type": "command", "command": f"{expected_prefix()} hook pre-tool-use", "timeout": 660}
    assert installed["hooks"]["Notification"][0] == EXISTING["hooks"]["Notification"][0]
    snapshot = target.read_bytes()
    second = cli("hook", "install", "--json").data
    assert second["unchanged"] and second["backup"] is None and target.read_bytes() == snapshot
    removed = cli("hook", "uninstall", "--json").data
    assert removed["removed"] == REGISTERED
    assert read(target) == EXISTING
    assert cli("hook", "uninstall", "--json").data["unchanged"]


def test_the_installed_command_is_absolute_and_answers_without_nerv_on_path(proc, cli, repo, tmp_path):
    assert cli("rule", "add", "Bash(ls *)", "--action", "deny").code == 0  # a decision to see in the answer
    result = proc("hook", "install", "--json", cwd=str(repo))
    assert result.code == 0, result.stderr
    command = commands_in(repo / ".claude" / "settings.local.json")["PreToolUse"][0]
    executable = shlex.split(command)[0]
    assert os.path.isabs(executable) and os.path.basename(executable).startswith("python")
    assert shlex.split(command)[1:] == ["-P", "-c", hook_install.LAUNCHER, "hook", "pre-tool-use"]
    payload = {"session_id": "s1", "cwd": str(repo), "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": "ls"}, "tool_use_id": "t1"}
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "user-home"), "NERV_HOME": str(tmp_path / "nerv-home"),
           **{name: os.environ[name] for name in ("NERV_DATABASE_URL", "NERV_HOOK_DAEMON") if name in os.environ}}
    answer = subprocess.run(["sh", "-c", command], input=json.dumps(payload), capture_output=True, text=True,
                            env=env, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_a_path_with_spaces_is_quoted_for_the_shell():
    event = hook_install.BY_NAME["Stop"]
    command = hook_install.hook_command(["/opt/my tools/$HOME/nerv"], event)
    assert shlex.split(command) == ["/opt/my tools/$HOME/nerv", "hook", "stop"]
    assert hook_install.parse_nerv_command(command) == (["/opt/my tools/$HOME/nerv"], "stop")


def test_the_hook_runs_this_interpreter_on_the_launcher_line_with_the_working_directory_off_sys_path(
        tmp_path, monkeypatch):
    python = tmp_path / "venv" / "bin" / "python"
    monkeypatch.setattr("sys.executable", str(python))
    argv = hook_install.nerv_argv()
    assert argv == [str(python), "-P", "-c", hook_install.LAUNCHER]
    command = hook_install.hook_command(argv, hook_install.BY_NAME["PreToolUse"])
    assert hook_install.parse_nerv_command(command) == (argv, "pre-tool-use")


def test_a_module_in_the_agents_repository_cannot_shadow_one_the_hook_imports(tmp_path):
    """The hook runs in the agent's working directory, which the agent can write to."""
    (tmp_path / "sqlite3.py").write_text("raise SystemExit('shadowed')\n")
    argv = [sys.executable, "-P", "-c", hook_install.LAUNCHER, "hook", "pre-tool-use"]
    payload = json.dumps({"session_id": "s", "cwd": str(tmp_path), "hook_event_name": "PreToolUse",
                          "tool_name": "Bash", "tool_input": {"command": "ls"}})
    env = {**os.environ, "NERV_HOME": str(tmp_path / "home")}
    result = subprocess.run(argv, input=payload, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert "shadowed" not in result.stderr + result.stdout and result.returncode == 0


@pytest.mark.parametrize("broken", ["missing", "not-executable"])
def test_a_command_that_does_not_answer_is_refused_and_the_file_left_as_it_was(proc, repo, tmp_path, broken):
    target = repo / ".claude" / "settings.local.json"
    target.parent.mkdir()
    original = json.dumps(EXISTING) + "\n  "  # odd formatting: restored byte for byte, not re-serialised
    target.write_text(original)
    exe = tmp_path / "gone" / "nerv"
    if broken == "not-executable":
        exe.parent.mkdir()
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o644)
    result = proc("--json", "hook", "install", cwd=str(repo), env={"NERV_HOOK_EXECUTABLE": str(exe)})
    assert result.code == 1 and result.error["code"] == "hook_check_failed"
    assert ("127" if broken == "missing" else "126") in result.error["message"]
    assert target.read_text() == original
    target.unlink()
    target.parent.rmdir()
    assert proc("hook", "install", cwd=str(repo), env={"NERV_HOOK_EXECUTABLE": str(exe)}).code == 1
    assert not target.parent.exists()  # no file (nor .claude folder) before: none after


def test_a_command_that_answers_garbage_is_refused(proc, repo, tmp_path):
    fake = tmp_path / "fake" / "nerv"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'hello, not JSON'\n")
    fake.chmod(0o755)
    result = proc("--json", "hook", "install", cwd=str(repo), env={"NERV_HOOK_EXECUTABLE": str(fake)})
    assert result.code == 1 and result.error["code"] == "hook_check_failed"
    assert "not JSON" in result.error["message"]
    assert not (repo / ".claude" / "settings.local.json").exists()


def test_legacy_entries_are_upgraded_in_place_and_uninstall_removes_every_form(cli, repo):
    target = repo / ".claude" / "settings.local.json"
    target.parent.mkdir()
    legacy = {"hooks": {
        "PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "nerv hook pre-tool-use",
                                                   "timeout": 660}]},
                       {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "/old/venv/bin/nerv hook stop"},
                            {"type": "command", "command": "/usr/bin/python3 -m nerv hook stop"},
                            {"type": "command", "command": "my-nerv-wrapper hook stop"}]}],
    }}
    target.write_text(json.dumps(legacy))
    data = cli("hook", "install", "--json").data
    assert "PreToolUse" in data["updated"] and "Stop" in data["updated"]
    after = commands_in(target)
    assert after["PreToolUse"] == [f"{expected_prefix()} hook pre-tool-use", "my-guard"]
    assert after["Stop"] == [f"{expected_prefix()} hook stop", "my-nerv-wrapper hook stop"]  # duplicates gone
    target.write_text(json.dumps(legacy))
    removed = cli("hook", "uninstall", "--json").data
    assert set(removed["removed"]) == {"PreToolUse", "Stop"}
    assert commands_in(target) == {"PreToolUse": ["my-guard"], "Stop": ["my-nerv-wrapper hook stop"]}


@pytest.mark.slow
def test_uninstall_of_a_file_install_created_removes_it(cli, repo):
    target = repo / ".claude" / "settings.local.json"
    assert cli("hook", "install").code == 0
    assert set(read(target)["hooks"]) == set(REGISTERED)
    cli("hook", "uninstall")
    assert not target.exists()


@pytest.mark.slow
def test_project_scope_is_on_request_and_warns_about_teammates(cli, repo):
    result = cli("hook", "install", "--scope", "project")
    assert result.code == 0 and (repo / ".claude" / "settings.json").exists()
    assert "teammate" in result.stderr
    data = cli("hook", "install", "--scope", "project", "--json").data
    assert any("teammate" in w for w in data["warnings"])
    local = cli("hook", "install", "--json").data
    assert any("also installed" in w and "project" in w for w in local["warnings"])


@pytest.mark.slow
def test_user_scope_respects_claude_config_dir(cli, tmp_path, monkeypatch):
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    data = cli("hook", "install", "--scope", "user", "--json").data
    assert data["file"] == str(config / "settings.json") and (config / "settings.json").exists()
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    data = cli("hook", "install", "--scope", "user", "--json").data
    assert data["file"] == str(tmp_path / "user-home" / ".claude" / "settings.json")


# ---- refusals -------------------------------------------------------------------------------------

def test_outside_a_git_repository_install_refuses_unless_told(cli, tmp_path):
    result = cli("--json", "hook", "install")
    assert result.code == 1 and result.error["code"] == "conflict" and "git" in result.error["message"]
    assert "--outside-git" in result.error["hint"]
    assert not (tmp_path / "cwd" / ".claude").exists()
    data = cli("--json", "hook", "install", "--outside-git").data
    assert data["file"] == str(tmp_path / "cwd" / ".claude" / "settings.local.json")
    assert cli("--json", "hook", "uninstall").error["code"] == "conflict"
    assert cli("--json", "hook", "uninstall", "--outside-git").data["removed"] == REGISTERED


def test_the_user_settings_folder_is_never_taken_for_a_project(cli, tmp_path, monkeypatch):
    home = tmp_path / "user-home"
    (home / ".git").mkdir(parents=True)  # even a home kept in git
    monkeypatch.chdir(home)
    result = cli("--json", "hook", "install", "--scope", "project")
    assert result.code == 1 and result.error["code"] == "conflict" and "--scope user" in result.error["hint"]


def test_a_symlinked_claude_folder_is_refused_unless_told(cli, repo, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".claude").symlink_to(elsewhere)
    result = cli("--json", "hook", "install")
    assert result.code == 1 and result.error["code"] == "conflict" and "symbolic link" in result.error["message"]
    assert "--follow-symlinks" in result.error["hint"] and not list(elsewhere.iterdir())
    data = cli("--json", "hook", "install", "--follow-symlinks").data
    assert data["file"] == str(elsewhere / "settings.local.json") and (elsewhere / "settings.local.json").exists()


def test_a_symlinked_settings_file_is_followed_only_when_told(cli, repo, tmp_path):
    real = tmp_path / "dotfiles" / "settings.local.json"
    real.parent.mkdir()
    real.write_text(json.dumps({"model": "opus"}))
    (repo / ".claude").mkdir()
    link = repo / ".claude" / "settings.local.json"
    link.symlink_to(real)
    assert cli("--json", "hook", "install").error["code"] == "conflict"
    assert cli("--json", "hook", "install", "--follow-symlinks").code == 0
    assert link.is_symlink() and read(real)["model"] == "opus" and "hooks" in read(real)


# ---- output ---------------------------------------------------------------------------------------

def test_dry_run_writes_nothing(cli, repo):
    data = cli("hook", "install", "--dry-run", "--json").data
    assert data["dry_run"] and "PreToolUse" in data["settings"]["hooks"] and data["checks"] == []
    assert not (repo / ".claude").exists()


@pytest.mark.parametrize("json_flag", [True, False])
def test_dry_run_output_is_valid_json_on_a_narrow_terminal(proc, repo, tmp_path, json_flag):
    long_dir = repo / ("a-very-long-folder-name-" * 4)
    long_dir.mkdir()
    args = ["hook", "install", "--dry-run"] + (["--json"] if json_flag else [])
    result = proc(*args, cwd=str(long_dir), env={"COLUMNS": "20", "TERM": "xterm"})
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)  # the whole of stdout, piped: one document
    settings = document["data"]["settings"] if json_flag else document
    assert set(settings["hooks"]) == set(REGISTERED)


@pytest.mark.parametrize("content", ["{broken", "[]", json.dumps({"hooks": []}),
                                     json.dumps({"hooks": {"PreToolUse": {"x": 1}}})])
def test_unreadable_settings_are_left_untouched(cli, repo, content):
    target = repo / ".claude" / "settings.local.json"
    target.parent.mkdir()
    target.write_text(content)
    result = cli("--json", "hook", "install")
    assert result.code == 1 and result.error["code"] == "invalid"
    assert target.read_text() == content


@pytest.mark.parametrize("args", [["--scope", "global"], ["--queue-timeout", "nan"], ["--queue-timeout", "-1"]])
def test_bad_options_are_refused_not_internal(cli, repo, args):
    result = cli("--json", "hook", "install", *args)
    assert result.code in (1, 2) and result.error["code"] in ("invalid", "usage")
    assert not (repo / ".claude").exists()


def test_a_bad_executable_override_is_refused_not_internal(cli, repo, monkeypatch):
    monkeypatch.setenv("NERV_HOOK_EXECUTABLE", "'unclosed")
    assert cli("--json", "hook", "install").error["code"] == "invalid"


def test_event_commands_are_listed_in_help(cli):
    text = cli("hook", "--help").stdout
    for event in EVENTS:
        assert event in text


# ---- the queue wait and the installed timeout -----------------------------------------------------

@pytest.mark.slow
def test_queue_timeout_must_stay_below_the_installed_timeout(cli, repo):
    assert cli("settings", "set", "hook.queue_timeout_s", "1200").code == 0  # nothing installed yet
    cli("settings", "unset", "hook.queue_timeout_s")
    cli("hook", "install")
    target = repo / ".claude" / "settings.local.json"
    refused = cli("--json", "settings", "set", "hook.queue_timeout_s", "1200")
    assert refused.code == 1 and refused.error["code"] == "conflict"
    assert "--queue-timeout 1200" in refused.error["hint"] and str(target) in refused.error["message"]
    assert cli("settings", "get", "hook.queue_timeout_s", "--json").data["source"] == "default"
    data = cli("--json", "hook", "install", "--queue-timeout", "1200").data
    assert data["updated"] == [e for e in REGISTERED if e in ("PreToolUse", "PermissionRequest")]
    assert read(target)["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"] == 1260
    assert cli("settings", "set", "hook.queue_timeout_s", "1200").code == 0
    assert cli("--json", "hook", "install").data["unchanged"]  # the stored value now sizes the timeout
    assert cli("settings", "set", "hook.queue_timeout_s", "30").code == 0  # lowering is always fine


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "-1", "100000"])
def test_queue_timeout_takes_a_finite_number_in_range(cli, value):
    result = cli("--json", "settings", "set", "hook.queue_timeout_s", "--", value)
    assert result.code == 1 and result.error["code"] == "invalid"


def test_no_setting_stores_a_non_finite_number(cli):
    for key, value in (("x.mine", "NaN"), ("x.list", "[1, Infinity]"), ("x.obj", '{"a": -Infinity}')):
        result = cli("--json", "settings", "set", key, value)
        assert result.code == 1 and result.error["code"] == "invalid", key
