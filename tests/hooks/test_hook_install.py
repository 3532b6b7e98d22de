"""`nerv hook install|uninstall`: idempotent merge into Claude Code settings, exact removal, backups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXISTING = {
    "model": "opus",
    "permissions": {"allow": ["Bash(ls *)"]},
    "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-guard"}]}],
              "Notification": [{"hooks": [{"type": "command", "command": "notify-send hi"}]}]},
}


def read(path: Path):
    return json.loads(path.read_text())


def test_install_twice_changes_nothing_and_uninstall_restores(cli, tmp_path, monkeypatch):
    (tmp_path / "cwd" / ".git").mkdir()
    sub = tmp_path / "cwd" / "pkg"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the git root is found from a subfolder
    target = tmp_path / "cwd" / ".claude" / "settings.json"
    target.parent.mkdir()
    target.write_text(json.dumps(EXISTING, indent=2))
    first = cli("hook", "install", "--json").data
    assert first["file"] == str(target) and len(first["added"]) == 6
    assert json.loads(Path(first["backup"]).read_text()) == EXISTING
    installed = read(target)
    assert installed["model"] == "opus" and installed["permissions"] == EXISTING["permissions"]
    assert installed["hooks"]["PreToolUse"][0] == EXISTING["hooks"]["PreToolUse"][0]
    assert installed["hooks"]["PreToolUse"][1]["hooks"][0]["command"] == "nerv hook pre-tool-use"
    assert installed["hooks"]["Notification"] == EXISTING["hooks"]["Notification"]
    snapshot = target.read_bytes()
    second = cli("hook", "install", "--json").data
    assert second["unchanged"] and second["backup"] is None and target.read_bytes() == snapshot
    removed = cli("hook", "uninstall", "--json").data
    assert len(removed["removed"]) == 6
    assert read(target) == EXISTING
    assert cli("hook", "uninstall", "--json").data["unchanged"]


def test_uninstall_of_a_file_install_created_removes_it(cli, tmp_path):
    target = tmp_path / "cwd" / ".claude" / "settings.local.json"
    cli("hook", "install", "--scope", "local")
    assert set(read(target)["hooks"]) == {"PreToolUse", "PostToolUse", "SessionStart", "SessionEnd", "Stop",
                                          "UserPromptSubmit"}
    cli("hook", "uninstall", "--scope", "local")
    assert not target.exists()


def test_user_scope_respects_claude_config_dir(cli, tmp_path, monkeypatch):
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    data = cli("hook", "install", "--scope", "user", "--json").data
    assert data["file"] == str(config / "settings.json") and (config / "settings.json").exists()
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    data = cli("hook", "install", "--scope", "user", "--json").data
    assert data["file"] == str(tmp_path / "user-home" / ".claude" / "settings.json")


def test_dry_run_writes_nothing(cli, tmp_path):
    data = cli("hook", "install", "--dry-run", "--json").data
    assert data["dry_run"] and "PreToolUse" in data["settings"]["hooks"]
    assert not (tmp_path / "cwd" / ".claude").exists()


@pytest.mark.parametrize("content", ["{broken", "[]", json.dumps({"hooks": []}),
                                     json.dumps({"hooks": {"PreToolUse": {"x": 1}}})])
def test_unreadable_settings_are_left_untouched(cli, tmp_path, content):
    target = tmp_path / "cwd" / ".claude" / "settings.json"
    target.parent.mkdir()
    target.write_text(content)
    result = cli("hook", "install")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert target.read_text() == content


def test_bad_scope(cli):
    assert cli("hook", "install", "--scope", "global").code == 1


def test_event_commands_are_listed_in_help(cli):
    text = cli("hook", "--help").stdout
    for event in ("pre-tool-use", "post-tool-use", "session-start", "session-end", "stop", "user-prompt-submit"):
        assert event in text
