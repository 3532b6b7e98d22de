"""`nerv hook install|uninstall`: nerv's entries in a Claude Code settings file, merged idempotently, and
proved to answer before install reports success.

Why so careful: Claude Code treats a hook that cannot start (`nerv: not found`, exit 127) as a
non-blocking error and lets the tool call proceed. A hook that fails silently turns every nerv deny off.
So install writes an absolute command, runs it as Claude Code would (nerv.services.hook_check), and puts
the file back as it was if any event does not answer.
"""

from __future__ import annotations

import copy
import math
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from nerv import settings_keys
from nerv.errors import NervError, conflict, invalid
from nerv.services import validate
from nerv.services.claude_files import (backup_file, claude_settings_files, git_root, read_bytes_or_none,
                                        read_settings_file, restore_file, scope_file, write_json_file)

SCOPES = ("local", "project", "user")
DEFAULT_SCOPE = "local"  # not committed: a teammate without nerv must not get a failing hook on every call
# Replaces the resolved executable (a path, or words such as `/usr/bin/python3 -m nerv`). For tests and
# packagers; whatever it says, install still proves the command answers before keeping it.
EXECUTABLE_ENV = "NERV_HOOK_EXECUTABLE"
QUEUE_KEY = "hook.queue_timeout_s"
# Seconds added to the queue wait: process start, the final expiry write and the answer must fit too.
QUEUE_MARGIN_S = 60
# What `settings set hook.queue_timeout_s` and `doctor` require at least between the wait and the timeout.
MIN_QUEUE_MARGIN_S = 5
CLAUDE_DEFAULT_TIMEOUT_S = 600  # a command hook without `timeout` (hooks#hook-handler-fields)


class HookEvent(NamedTuple):
    name: str  # Claude Code's event name: the key under `hooks` in settings
    command: str  # the CLI event: `nerv hook <command>` (nerv/hook/__init__.py EVENTS)
    matcher: str | None  # "*" on tool events (every tool); None where the event has no matcher or nerv wants all
    timeout_s: int | None  # None: the hook may wait for a queued approval (hook.queue_timeout_s + QUEUE_MARGIN_S)
    summary: str  # the line `nerv hook --help` shows


# Every event nerv can handle. Install registers those the running nerv's nerv.hook.EVENTS knows, so this
# table may run ahead of the handlers; tests/hooks/test_hook_install.py fails if a handler has no row here.
# Timeouts (reference: hooks#common-fields): 30 s is Claude Code's own default for UserPromptSubmit and
# ample for a ledger write; SessionEnd gets 1.5 s unless a hook asks for more, up to 60 s, and it imports
# the session's transcript, so it asks for the most that is honoured.
EVENT_TABLE: tuple[HookEvent, ...] = (
    HookEvent("PreToolUse", "pre-tool-use", "*", None, "PreToolUse: decide a tool call from nerv's rules."),
    HookEvent("PermissionRequest", "permission-request", "*", None, "PermissionRequest: answer a permission prompt."),
    HookEvent("PermissionDenied", "permission-denied", "*", 30, "PermissionDenied: record an auto-mode denial."),
    HookEvent("PostToolUse", "post-tool-use", "*", 30, "PostToolUse: record tool use counts and durations."),
    HookEvent("PostToolUseFailure", "post-tool-use-failure", "*", 30, "PostToolUseFailure: record a failed tool call."),
    HookEvent("PostToolBatch", "post-tool-batch", None, 30, "PostToolBatch: record a batch of tool calls."),
    HookEvent("SessionStart", "session-start", None, 30, "SessionStart: record the Claude session; add context."),
    HookEvent("SessionEnd", "session-end", None, 60, "SessionEnd: record the end of the session."),
    HookEvent("Stop", "stop", None, 30, "Stop: record the session's last activity."),
    HookEvent("SubagentStart", "subagent-start", None, 30, "SubagentStart: record a subagent starting."),
    HookEvent("SubagentStop", "subagent-stop", None, 30, "SubagentStop: record a subagent finishing."),
    HookEvent("UserPromptSubmit", "user-prompt-submit", None, 30, "UserPromptSubmit: add context to the prompt."),
    HookEvent("PreCompact", "pre-compact", None, 30, "PreCompact: record a compaction about to happen."),
    HookEvent("PostCompact", "post-compact", None, 30, "PostCompact: record a finished compaction."),
    HookEvent("Notification", "notification", None, 30, "Notification: record a Claude Code notification."),
)
BY_NAME = {e.name: e for e in EVENT_TABLE}
BY_COMMAND = {e.command: e for e in EVENT_TABLE}
WAITING_EVENTS = tuple(e.name for e in EVENT_TABLE if e.timeout_s is None)


def registered_events() -> list[HookEvent]:
    """The rows whose handler this nerv has: read at install time, so the list follows the code."""
    from nerv.hook import EVENTS

    return [e for e in EVENT_TABLE if EVENTS.get(e.command) == e.name]


# ---- the command ----------------------------------------------------------------------------------

# The hook runs the interpreter on this one line rather than the `nerv` console script: pip's script
# template imports `re` (~7 ms, a quarter of a bare `python -c "import sqlite3"`) on every tool call.
# -P keeps the working directory (the agent's repository) off sys.path, so no file there can shadow a module.
LAUNCHER = "import sys; from nerv.__main__ import entry; sys.exit(entry())"


def nerv_argv() -> list[str]:
    """The words that start this nerv's hook from any shell: this interpreter with the launcher line. Never
    resolved through symlinks: a venv's `bin/python` is a symlink, and resolving it would leave the venv."""
    override = os.environ.get(EXECUTABLE_ENV)
    if override is not None:
        try:
            argv = shlex.split(override)
        except ValueError as exc:
            raise invalid(f"{EXECUTABLE_ENV} does not parse as shell words ({exc})") from None
        if not argv:
            raise invalid(f"{EXECUTABLE_ENV} is empty", f"unset it to install this nerv ({sys.executable})")
        return argv
    return [os.path.abspath(sys.executable), "-P", "-c", LAUNCHER]


def hook_command(argv: list[str], event: HookEvent) -> str:
    """The shell command for one event: every word quoted, so a path with spaces or `$` stays one word."""
    return " ".join(shlex.quote(word) for word in argv) + f" hook {event.command}"


def parse_nerv_command(command) -> tuple[list[str], str] | None:
    """(executable words, CLI event) when `command` has a shape install writes or once wrote:
    `nerv hook EVENT` (the old bare word), `/abs/path/nerv hook EVENT`, `/abs/python -m nerv hook EVENT`,
    `/abs/python -P -c LAUNCHER hook EVENT`.
    A user's own wrapper (`my-guard`, `env X=1 nerv ...`) is not one: uninstall leaves it alone."""
    if not isinstance(command, str):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 3 or words[-2] != "hook" or words[-1] not in BY_COMMAND:
        return None
    prefix = words[:-2]
    if len(prefix) == 1 and os.path.basename(prefix[0]) == "nerv":
        return prefix, words[-1]
    python = bool(prefix) and os.path.basename(prefix[0]).startswith("python")
    if python and (prefix[1:] == ["-m", "nerv"] or prefix[1:] == ["-P", "-c", LAUNCHER]):
        return prefix, words[-1]
    return None


# ---- the PreToolUse / PermissionRequest timeout ----------------------------------------------------

def stored_queue_timeouts() -> tuple[list[float], bool]:
    """(every finite hook.queue_timeout_s stored, global and per project; whether a global one is among
    them), read-only; ([], False) without a usable database."""
    from nerv.store import lookups
    from nerv.store.db import has_database, open_readonly_store

    try:
        if not has_database():
            return [], False
        store = open_readonly_store(any_schema=True)
    except NervError:
        return [], False  # an unusable database is doctor's business; the default wait applies
    try:
        values = store.settings.stored_values(QUEUE_KEY)
        has_global = store.settings.stored(QUEUE_KEY, None) is not lookups._MISSING
    except Exception:
        return [], False  # e.g. no settings table yet: nothing is stored
    finally:
        store.close()
    finite = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    return finite, has_global


def queue_wait_s(requested: float | None = None) -> float:
    """The longest wait any project may ask of the hook: every stored value, the default when no global value
    replaces it (a project without its own value then waits the default), and `requested`."""
    spec = settings_keys.KNOWN[QUEUE_KEY]
    stored, has_global = stored_queue_timeouts()
    candidates = stored + ([] if has_global else [float(spec.default)])
    if requested is not None:
        candidates.append(float(requested))
    return min(max(candidates), float(spec.bounds[1]))


def event_timeout(event: HookEvent, wait_s: float) -> int:
    return event.timeout_s if event.timeout_s is not None else math.ceil(wait_s) + QUEUE_MARGIN_S


def _check_requested_wait(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        return settings_keys.validate(QUEUE_KEY, value)
    except ValueError as err:
        raise invalid(f"--queue-timeout: {err}") from None


# ---- settings-file plumbing -----------------------------------------------------------------------

def _hooks_section(data: dict, file: Path) -> dict:
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise invalid(f"{file}: `hooks` is not an object", "fix the file by hand; nerv left it untouched")
    for event, groups in hooks.items():
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise invalid(f"{file}: hooks.{event} is not a list of matcher groups",
                          "fix the file by hand; nerv left it untouched")
    return hooks


def _nerv_entries(groups: list, event: HookEvent) -> list[tuple[dict, int]]:
    """(group, index) of every entry of `groups` that is nerv's command for `event`."""
    found = []
    for group in groups:
        entries = group.get("hooks")
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            parsed = isinstance(entry, dict) and parse_nerv_command(entry.get("command"))
            if parsed and parsed[1] == event.command:
                found.append((group, index))
    return found


def _drop(groups: list, doomed: list[tuple[dict, int]]) -> list:
    """`groups` without the doomed entries, and without a group they leave empty."""
    by_group: dict[int, set[int]] = {}
    for group, index in doomed:
        by_group.setdefault(id(group), set()).add(index)
    kept = []
    for group in groups:
        indexes = by_group.get(id(group))
        if not indexes:
            kept.append(group)
            continue
        remaining = [h for i, h in enumerate(group["hooks"]) if i not in indexes]
        if remaining:
            kept.append({**group, "hooks": remaining})
    return kept


def _merge_event(hooks: dict, event: HookEvent, entry: dict) -> str | None:
    """Make `entry` nerv's only entry for `event`: 'added', 'updated' (an old path, timeout or a duplicate
    replaced in place, keeping the group's matcher) or None (already so)."""
    groups = hooks.setdefault(event.name, [])
    found = _nerv_entries(groups, event)
    if not found:
        groups.append(({"matcher": event.matcher} if event.matcher is not None else {}) | {"hooks": [entry]})
        return "added"
    group, index = found[0]
    current = group["hooks"][index]
    merged = {**current, **entry}
    changed = merged != current or len(found) > 1
    group["hooks"][index] = merged
    if len(found) > 1:
        hooks[event.name] = _drop(groups, found[1:])
    return "updated" if changed else None


# ---- where install may write ----------------------------------------------------------------------

def target_file(scope: str, cwd: str | None, *, outside_git: bool, follow_symlinks: bool) -> Path:
    """The settings file of `scope`, after the refusals that keep a write from landing somewhere unexpected.
    Raises conflict: not in a git repository, a symlinked `.claude` or file, the user file as a project file."""
    validate.choice(scope, "scope", SCOPES)
    file = scope_file(scope, cwd)
    if scope != "user":
        start = Path(cwd or os.getcwd()).resolve()
        if git_root(start) is None and not outside_git:
            raise conflict(f"{start} is not inside a git repository, so there is no project for "
                           f"--scope {scope}", f"run it from your project's checkout; or pass --outside-git to "
                           f"use {file}; or --scope user for every project")
        if file.parent.resolve() == scope_file("user").parent.resolve():
            raise conflict(f"{file.parent} is Claude Code's user settings folder, not a project's",
                           "use --scope user, or run it from your project's checkout")
    for path in (file.parent, file):
        if path.is_symlink() and not follow_symlinks:
            raise conflict(f"{path} is a symbolic link to {os.readlink(path)}: nerv would write into "
                           f"{file.resolve()}", "pass --follow-symlinks to write there")
    return file.resolve() if follow_symlinks else file


def _read(file: Path) -> tuple[bytes | None, dict]:
    original = read_bytes_or_none(file)
    return original, read_settings_file(file, missing_ok=True)


# ---- install / uninstall --------------------------------------------------------------------------

def install(scope: str = DEFAULT_SCOPE, *, dry_run: bool = False, cwd: str | None = None,
            outside_git: bool = False, follow_symlinks: bool = False, queue_timeout: float | None = None,
            statusline: bool = False) -> dict:
    """Make nerv's entry for every registered event the one this nerv writes; every other key and hook is kept.
    With `statusline`, also set `statusLine` to `<nerv> statusline` (result: statusline added/updated/None).

    Backs the file up, writes it atomically, then runs every installed command as Claude Code would. Returns
    file, scope, command, events, added, updated, unchanged, backup, checks, warnings (settings on a dry run).
    Raises conflict (see target_file), invalid / io (an unreadable file, left untouched), hook_check_failed
    (a command did not answer: the file is put back as it was).
    """
    file = target_file(scope, cwd, outside_git=outside_git, follow_symlinks=follow_symlinks)
    wait_s = queue_wait_s(_check_requested_wait(queue_timeout))
    original, data = _read(file)
    updated = copy.deepcopy(data)
    hooks = _hooks_section(updated, file)
    argv = nerv_argv()
    events = registered_events()
    changes: dict[str, list[str]] = {"added": [], "updated": []}
    for event in events:
        entry = {"type": "command", "command": hook_command(argv, event), "timeout": event_timeout(event, wait_s)}
        change = _merge_event(hooks, event, entry)
        if change:
            changes[change].append(event.name)
    line_change = _merge_statusline(updated, argv) if statusline else None
    unchanged = not (changes["added"] or changes["updated"] or line_change)
    if changes["added"] or changes["updated"]:
        updated["hooks"] = hooks
    result = {"file": str(file), "scope": scope, "command": " ".join(shlex.quote(w) for w in argv),
              "events": [e.name for e in events], **changes, "statusline": line_change, "unchanged": unchanged,
              "dry_run": dry_run,
              "backup": None, "queue_wait_s": wait_s, "checks": [],
              "warnings": _install_warnings(scope, file, cwd, argv)}
    if dry_run:
        result["settings"] = updated
        return result
    created_folder = not file.parent.exists()
    if not unchanged:
        backup = backup_file(file)
        result["backup"] = str(backup) if backup else None
        write_json_file(file, updated)
    try:
        result["checks"] = _verify(file, events, cwd)
        if statusline:
            result["checks"].append(_verify_statusline(file, cwd))
    except NervError as err:
        if err.code == "hook_check_failed" and not unchanged:
            _roll_back(file, original, created_folder)
        raise
    return result


def statusline_command(argv: list[str]) -> str:
    return " ".join(shlex.quote(word) for word in argv) + " statusline"


def _merge_statusline(settings: dict, argv: list[str]) -> str | None:
    """Point `statusLine` at this nerv: "added", "updated" (another command was there), or None (already)."""
    entry = {"type": "command", "command": statusline_command(argv)}
    current = settings.get("statusLine")
    if current == entry:
        return None
    settings["statusLine"] = entry
    return "added" if current is None else "updated"


def _verify_statusline(file: Path, cwd: str | None) -> dict:
    from nerv.services import hook_check

    written = read_settings_file(file, missing_ok=True).get("statusLine") or {}
    check = hook_check.check_statusline(str(written.get("command")), cwd=cwd or os.getcwd())
    if not check["ok"]:
        raise NervError("hook_check_failed", f"the installed statusLine command does not answer as Claude Code "
                        f"would run it: {check['problem']}", "the settings file is as it was before; run "
                        f"`{check['command']}` under `sh -c` with PATH={hook_check.MINIMAL_PATH}",
                        details={"file": str(file), "failed": [check]})
    return {"event": "statusLine", **check}


def _roll_back(file: Path, original: bytes | None, created_folder: bool) -> None:
    restore_file(file, original)
    if created_folder:
        try:
            file.parent.rmdir()  # the `.claude` folder install made for the file, if still empty
        except OSError:
            pass


def _verify(file: Path, events: list[HookEvent], cwd: str | None) -> list:
    """Run the commands now in `file` as Claude Code would; raise hook_check_failed if any does not answer."""
    from nerv.services import hook_check

    written = _hooks_section(read_settings_file(file, missing_ok=True), file)
    commands = []
    for event in events:
        for group, index in _nerv_entries(written.get(event.name, []), event):
            commands.append((event.name, group["hooks"][index]["command"]))
    checks = hook_check.check_commands(commands, cwd=cwd or os.getcwd(), expect_version=_this_version())
    failed = [c for c in checks if not c["ok"]]
    if failed:
        raise NervError("hook_check_failed", "the installed hook commands do not answer as Claude Code would "
                        f"run them: {_failure_summary(failed)}",
                        f"the settings file is as it was before; check that `{failed[0]['command']}` runs under "
                        f"`sh -c` with PATH={hook_check.MINIMAL_PATH}, or run `nerv doctor`",
                        details={"file": str(file), "failed": failed})
    return checks


def _failure_summary(failed: list[dict]) -> str:
    """`PreToolUse, Stop: exit 127 (...)`: events that failed the same way are named together."""
    by_problem: dict[str, list[str]] = {}
    for check in failed:
        # The command differs per event; the problem text usually repeats it, so compare without it.
        by_problem.setdefault(check["problem"].replace(check["command"], "<command>"), []).append(check["event"])
    return "; ".join(f"{', '.join(events)}: {text}" for text, events in by_problem.items())


def _this_version() -> str | None:
    if os.environ.get(EXECUTABLE_ENV) is not None:
        return None  # a deliberate other command may be another nerv build: answering is what counts
    from nerv import __version__

    return __version__


def _install_warnings(scope: str, file: Path, cwd: str | None, argv: list[str]) -> list[str]:
    warnings = []
    if scope == "project":
        warnings.append(f"{file} is usually committed: the hooks run `{argv[0]}`, which exists on this machine "
                        "only, so every teammate and CI job without nerv at that path gets a failing hook on "
                        "every tool call (Claude Code then proceeds without nerv); --scope local avoids this")
    if scope == "local" and _tracked_by_git(file):
        warnings.append(f"{file} is not ignored by git: add `.claude/settings.local.json` to .gitignore so it "
                        "is not committed")
    for other_scope, other in claude_settings_files(cwd):
        if other.resolve() == file.resolve() or not other.is_file():
            continue
        try:
            hooks = _hooks_section(read_settings_file(other, missing_ok=True), other)
        except NervError:
            continue
        if any(_nerv_entries(hooks.get(e.name, []), e) for e in EVENT_TABLE):
            hint = f"`nerv hook uninstall --scope {other_scope}`" if other_scope != "managed" else "your administrator"
            warnings.append(f"nerv hooks are also installed in {other} ({other_scope}): Claude Code runs both, "
                            f"so each event reaches nerv twice; remove them with {hint}")
    return warnings


def _tracked_by_git(file: Path) -> bool:
    """Whether git would commit `file` (not ignored). False when git is missing or cannot say."""
    try:
        answer = subprocess.run(["git", "check-ignore", "-q", str(file)], cwd=file.parent.parent,
                                capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return answer.returncode == 1  # 0 ignored, 1 not ignored, 128 not a repository or an error


def uninstall(scope: str = DEFAULT_SCOPE, *, dry_run: bool = False, cwd: str | None = None,
              outside_git: bool = False, follow_symlinks: bool = False) -> dict:
    """Remove every entry install writes or once wrote (see parse_nerv_command) for any event of the table,
    and the groups or events left empty by that; a user's own hooks stay. Backup first. Returns file, scope,
    removed, unchanged, backup (settings on a dry run); file_removed when nothing else was in the file."""
    file = target_file(scope, cwd, outside_git=outside_git, follow_symlinks=follow_symlinks)
    updated = read_settings_file(file, missing_ok=True)
    hooks = _hooks_section(updated, file) if "hooks" in updated else {}
    removed = []
    for event in EVENT_TABLE:
        found = _nerv_entries(hooks.get(event.name, []), event)
        if not found:
            continue
        kept = _drop(hooks[event.name], found)
        if kept:
            hooks[event.name] = kept
        else:
            del hooks[event.name]
        removed.append(event.name)
    if removed and not hooks:
        del updated["hooks"]
    result = {"file": str(file), "scope": scope, "removed": removed, "unchanged": not removed,
              "dry_run": dry_run, "backup": None}
    if dry_run:
        result["settings"] = updated
        return result
    if removed:
        backup = backup_file(file)
        result["backup"] = str(backup) if backup else None
        if updated:
            write_json_file(file, updated)
        else:
            restore_file(file, None)  # nothing but nerv's entries was in it: leave no empty file behind
            result["file_removed"] = True
    return result


# ---- what other commands ask ----------------------------------------------------------------------

def installed_wait_timeouts(cwd: str | None = None) -> list[dict]:
    """The timeout of every nerv PreToolUse / PermissionRequest entry in the files Claude Code reads
    (unreadable files skipped): what a queue wait must stay below."""
    from nerv.services.doctor import nerv_hooks_in

    found = []
    for scope, file in claude_settings_files(cwd):
        for hook in nerv_hooks_in(scope, file):
            if hook["event"] in WAITING_EVENTS:
                found.append(hook)
    return found


def check_queue_timeout(value: float, cwd: str | None = None) -> None:
    """Refuse a queue wait the installed hooks would cut short (Claude Code kills a hook at its timeout and
    the call gets no decision from nerv). Raises conflict naming the file and how to raise its timeout."""
    for hook in installed_wait_timeouts(cwd):
        if value + MIN_QUEUE_MARGIN_S > hook["timeout"]:
            raise conflict(
                f"{QUEUE_KEY} = {value:g} s would outlast the {hook['event']} hook installed in {hook['file']} "
                f"({hook['timeout']:g} s timeout; the wait must end at least {MIN_QUEUE_MARGIN_S} s before)",
                f"raise the installed timeouts first: `nerv hook install --scope {hook['scope']} --queue-timeout "
                f"{value:g}`, then set it again" if hook["scope"] != "managed" else
                "the hook is in managed settings: ask your administrator to raise its timeout",
                details={"file": hook["file"], "event": hook["event"], "timeout": hook["timeout"]})
