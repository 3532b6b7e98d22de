"""`nerv hook install|uninstall`: nerv's entries in a Claude Code settings file, merged idempotently."""

from __future__ import annotations

import copy
import os
from pathlib import Path

from nerv.errors import invalid
from nerv.services import validate
from nerv.services.claude_files import backup_file, write_json_file
from nerv.services.rules import read_settings_file

SCOPES = ("project", "local", "user")
# event -> (command, matcher or None, timeout in seconds). PreToolUse may wait for a queued approval.
HOOKS = {
    "PreToolUse": ("nerv hook pre-tool-use", "*", 660),
    "PostToolUse": ("nerv hook post-tool-use", "*", 30),
    "SessionStart": ("nerv hook session-start", None, 30),
    "SessionEnd": ("nerv hook session-end", None, 30),
    "Stop": ("nerv hook stop", None, 30),
    "UserPromptSubmit": ("nerv hook user-prompt-submit", None, 30),
}


def project_root(start: Path) -> Path:
    """The git work tree containing `start`, else `start` itself."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def settings_path(scope: str, cwd: str | None = None) -> Path:
    validate.choice(scope, "scope", SCOPES)
    if scope == "user":
        config = os.environ.get("CLAUDE_CONFIG_DIR")
        base = Path(config).expanduser() if config else Path.home() / ".claude"
        return base / "settings.json"
    root = project_root(Path(cwd or os.getcwd()).resolve())
    return root / ".claude" / ("settings.json" if scope == "project" else "settings.local.json")


def _hooks_section(data: dict, file: Path) -> dict:
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise invalid(f"{file}: `hooks` is not an object", "fix the file by hand; nerv left it untouched")
    for event, groups in hooks.items():
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise invalid(f"{file}: hooks.{event} is not a list of matcher groups")
    return hooks


def _has_command(groups: list, command: str) -> bool:
    return any(isinstance(h, dict) and h.get("command") == command
               for group in groups for h in (group.get("hooks") or []) if isinstance(group.get("hooks"), list))


def install(scope: str = "project", *, dry_run: bool = False, cwd: str | None = None) -> dict:
    """Add nerv's hook entries that are missing; every other key and hook is preserved. Backup first."""
    file = settings_path(scope, cwd)
    data = read_settings_file(file, missing_ok=True)
    updated = copy.deepcopy(data)
    hooks = _hooks_section(updated, file)
    added = []
    for event, (command, matcher, timeout) in HOOKS.items():
        groups = hooks.setdefault(event, [])
        if _has_command(groups, command):
            continue
        group = {"matcher": matcher} if matcher is not None else {}
        group["hooks"] = [{"type": "command", "command": command, "timeout": timeout}]
        groups.append(group)
        added.append(event)
    if added:
        updated["hooks"] = hooks
    return _finish(file, scope, updated, added, "added", dry_run)


def uninstall(scope: str = "project", *, dry_run: bool = False, cwd: str | None = None) -> dict:
    """Remove exactly the entries install adds (nerv's commands), and groups or events left empty by that."""
    file = settings_path(scope, cwd)
    data = read_settings_file(file, missing_ok=True)
    updated = copy.deepcopy(data)
    hooks = _hooks_section(updated, file) if "hooks" in updated else {}
    removed = []
    for event, (command, _matcher, _timeout) in HOOKS.items():
        groups = hooks.get(event)
        if not groups or not _has_command(groups, command):
            continue
        kept_groups = []
        for group in groups:
            entries = group.get("hooks")
            if isinstance(entries, list):
                remaining = [h for h in entries if not (isinstance(h, dict) and h.get("command") == command)]
                if not remaining and len(remaining) != len(entries):
                    continue
                group = {**group, "hooks": remaining}
            kept_groups.append(group)
        if kept_groups:
            hooks[event] = kept_groups
        else:
            del hooks[event]
        removed.append(event)
    if removed and not hooks:
        del updated["hooks"]
    return _finish(file, scope, updated, removed, "removed", dry_run)


def _finish(file: Path, scope: str, updated: dict, events: list[str], verb: str, dry_run: bool) -> dict:
    result = {"file": str(file), "scope": scope, verb: events, "unchanged": not events, "dry_run": dry_run,
              "backup": None}
    if dry_run:
        result["settings"] = updated
        return result
    if events:
        backup = backup_file(file)
        if updated:
            write_json_file(file, updated)
        else:
            file.unlink()  # nothing but nerv's entries was in it: leave no empty file behind
            result["file_removed"] = True
        result["backup"] = str(backup) if backup else None
    return result
