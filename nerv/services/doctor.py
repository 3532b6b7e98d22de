"""`nerv doctor`: does Claude Code really run nerv, and do Claude Code's own rules agree with nerv's?

Reads every settings file Claude Code reads (managed, user, project, local), finds nerv's hooks in them,
runs each as Claude Code would (nerv.services.hook_check, against a scratch ledger), compares the
permission rules, and quick-checks the database. Returns plain data; `problems` empty means healthy.
Nothing here writes: the database is opened read-only and never created.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
from pathlib import Path

from nerv import __version__
from nerv.errors import NervError
from nerv.rules import ACTIONS, RuleError, parse_rule
from nerv.rules.grammar import bash_pattern
from nerv.services.claude_files import claude_settings_files, read_settings_file
from nerv.services.hook_install import (BY_COMMAND, CLAUDE_DEFAULT_TIMEOUT_S, MIN_QUEUE_MARGIN_S, WAITING_EVENTS,
                                        registered_events)

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def problem(code: str, message: str, hint: str | None = None, *, scope: str | None = None,
            file: str | None = None) -> dict:
    return {"code": code, "message": message, "hint": hint, "scope": scope, "file": file}


# ---- recognising nerv's hooks ---------------------------------------------------------------------

def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def nerv_hook_event(command) -> str | None:
    """The CLI event of a command that runs nerv's hook: a word containing `nerv` before `hook EVENT`
    (the bare `nerv hook x`, absolute paths, `python -m nerv hook x`, `env X=1 nerv hook x`...)."""
    if not isinstance(command, str):
        return None
    words = _words(command)
    for index, word in enumerate(words[:-1]):
        if word == "hook" and words[index + 1] in BY_COMMAND and any("nerv" in w for w in words[:index]):
            return words[index + 1]
    return None


def executable_of(command: str) -> str | None:
    """The program the shell starts: the first word after variable assignments (and `env`)."""
    words = _words(command)
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in ("env", "/usr/bin/env")):
        words = words[1:]
    return words[0] if words else None


def _hook_groups(data: dict):
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return
    for event, groups in hooks.items():
        for group in groups if isinstance(groups, list) else []:
            entries = group.get("hooks") if isinstance(group, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("type", "command") == "command":
                    yield event, group, entry


def nerv_hooks_in(scope: str, file: Path, data: dict | None = None) -> list[dict]:
    """Every nerv hook entry of one settings file: scope, file, event (the settings key), command_event,
    command, timeout (Claude Code's default when absent), matcher. An unreadable file has none."""
    if data is None:
        try:
            data = read_settings_file(file, missing_ok=True)
        except NervError:
            return []
    found = []
    for event, group, entry in _hook_groups(data):
        command_event = nerv_hook_event(entry.get("command"))
        if command_event is None:
            continue
        timeout = entry.get("timeout")
        found.append({"scope": scope, "file": str(file), "event": event, "command_event": command_event,
                      "command": entry["command"], "matcher": group.get("matcher"),
                      "timeout": timeout if isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
                      else CLAUDE_DEFAULT_TIMEOUT_S})
    return found


# ---- the settings files ---------------------------------------------------------------------------

def read_files(cwd: str | None) -> tuple[list[dict], list[dict]]:
    """(files, problems): each file Claude Code reads with its scope, whether it exists and its data."""
    files, problems = [], []
    for scope, path in claude_settings_files(cwd):
        entry = {"scope": scope, "file": str(path), "exists": path.is_file(), "data": {}}
        if entry["exists"]:
            try:
                entry["data"] = read_settings_file(path, missing_ok=True)
            except NervError as err:
                problems.append(problem("settings_unreadable", err.message, "Claude Code cannot use this file "
                                        "either; fix it by hand", scope=scope, file=str(path)))
        files.append(entry)
    return files, problems


# ---- the hooks ------------------------------------------------------------------------------------

def _stale(hook: dict) -> dict | None:
    exe = executable_of(hook["command"])
    where = {"scope": hook["scope"], "file": hook["file"]}
    if not exe or "/" not in exe:
        return problem("relies_on_path", f"{hook['event']} runs `{hook['command']}`, which is found only if "
                       f"`{exe}` is on the PATH Claude Code runs hooks with (if not: exit 127, and Claude Code "
                       "proceeds without nerv)", "run `nerv hook install` to write the absolute path", **where)
    if not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        state = "does not exist" if not os.path.exists(exe) else "is not an executable file"
        return problem("stale_path", f"{hook['event']} runs {exe}, which {state}: Claude Code proceeds without "
                       "nerv on every call", "run `nerv hook install` again from the nerv you use", **where)
    return None


def check_hooks(hooks: list[dict], cwd: str, *, run: bool) -> list[dict]:
    """Sets each hook's `status` (ok, failed, stale, relies_on_path, not_run) and returns the problems."""
    from nerv.services import hook_check

    problems, runnable = [], []
    for hook in hooks:
        if BY_COMMAND[hook["command_event"]].name != hook["event"]:
            problems.append(problem("wrong_event", f"{hook['file']}: hooks.{hook['event']} runs "
                                    f"`{hook['command']}`, nerv's handler of another event",
                                    "remove it (`nerv hook uninstall` leaves it, it is not what install writes) "
                                    "and run `nerv hook install`", scope=hook["scope"], file=hook["file"]))
        stale = _stale(hook)
        if stale:
            hook["status"] = stale["code"]
            problems.append(stale)
        elif run:
            runnable.append(hook)
        else:
            hook["status"] = "not_run"
    pairs = sorted({(h["event"], h["command"]) for h in runnable})
    results = {(r["event"], r["command"]): r for r in hook_check.check_commands(pairs, cwd=cwd)}
    for hook in runnable:
        result = results[(hook["event"], hook["command"])]
        hook.update(status="ok" if result["ok"] else "failed", version=result["version"],
                    duration_ms=result["duration_ms"])
        if not result["ok"]:
            hook["problem"] = result["problem"]
            problems.append(problem("hook_failed", f"{hook['event']} (`{hook['command']}`) does not answer as "
                                    f"Claude Code runs it: {result['problem']}", "run `nerv hook install` again; "
                                    f"the check runs `sh -c` with PATH={hook_check.MINIMAL_PATH}",
                                    scope=hook["scope"], file=hook["file"]))
    return problems


def coverage_problems(hooks: list[dict]) -> list[dict]:
    """Missing events (or nerv not installed at all) and events that reach nerv more than once."""
    wanted = [e.name for e in registered_events()]
    if not hooks:
        return [problem("not_installed", "no settings file Claude Code reads runs nerv's hooks: nerv's rules "
                        "decide nothing and nothing is recorded", "run `nerv hook install`")]
    problems = []
    by_event: dict[str, list[dict]] = {}
    for hook in hooks:
        if BY_COMMAND[hook["command_event"]].name == hook["event"]:  # else wrong_event, and not handled
            by_event.setdefault(hook["event"], []).append(hook)
    missing = [name for name in wanted if name not in by_event]
    if missing:
        problems.append(problem("missing_event", f"nerv's hooks are installed without {', '.join(missing)}",
                                "run `nerv hook install` in the scope that holds the others"))
    # One problem per set of places, not per event: installing in two scopes doubles every event at once.
    doubled: dict[tuple, list[str]] = {}
    for event, found in by_event.items():
        if len(found) > 1:
            doubled.setdefault(tuple((h["scope"], h["file"]) for h in found), []).append(event)
    for places, events in doubled.items():
        where = ", ".join(f"{scope} ({file})" for scope, file in places)
        problems.append(problem("duplicate_install", f"{', '.join(events)} reach nerv {len(places)} times: {where}",
                                "keep one scope: `nerv hook uninstall --scope SCOPE` for the others",
                                scope=places[-1][0], file=places[-1][1]))
    return problems


def switched_off_problems(files: list[dict], hooks: list[dict]) -> list[dict]:
    """nerv hooks Claude Code will not run: `disableAllHooks` (in managed settings: every hook; elsewhere:
    every hook outside managed settings) and managed `allowManagedHooksOnly` (hooks outside managed)."""
    managed_off = any(f["scope"] == "managed" and f["data"].get("disableAllHooks") is True for f in files)
    managed_only = any(f["scope"] == "managed" and f["data"].get("allowManagedHooksOnly") is True for f in files)
    switch = next((f for f in files if f["scope"] != "managed" and f["data"].get("disableAllHooks") is True), None)
    if managed_off:
        off, why, where = hooks, "managed settings set disableAllHooks", None
    elif managed_only or switch:
        off = [h for h in hooks if h["scope"] != "managed"]
        why = "managed settings set allowManagedHooksOnly" if managed_only else f"{switch['file']} sets disableAllHooks"
        where = None if managed_only else switch
    else:
        return []
    if not off:
        return []
    return [problem("hooks_disabled", f"Claude Code runs none of nerv's {len(off)} hook(s): {why}",
                    "remove the setting, or have nerv's hooks in managed settings",
                    scope=where["scope"] if where else "managed", file=where["file"] if where else None)]


def timeout_problems(hooks: list[dict], queue_mode: bool, wait_s: float) -> list[dict]:
    """A PreToolUse / PermissionRequest hook that Claude Code would kill before a queued approval ends."""
    if not queue_mode:
        return []
    return [problem("timeout_too_short", f"{h['event']} has a {h['timeout']:g} s timeout, but hook.mode = queue "
                    f"may wait {wait_s:g} s (hook.queue_timeout_s): Claude Code kills the hook first and the call "
                    "gets no decision from nerv", "run `nerv hook install` again (it derives the timeout from "
                    "the setting)", scope=h["scope"], file=h["file"])
            for h in hooks if h["event"] in WAITING_EVENTS and h["timeout"] < wait_s + MIN_QUEUE_MARGIN_S]


# ---- permission rules -----------------------------------------------------------------------------

def claude_rules(files: list[dict]) -> tuple[list[dict], list[str]]:
    """Every parsable permissions.allow/ask/deny entry: action, rule (parsed), text, scope, file."""
    rules, warnings = [], []
    for entry in files:
        permissions = entry["data"].get("permissions")
        if not isinstance(permissions, dict):
            continue
        for action in ACTIONS:
            texts = permissions.get(action)
            for text in texts if isinstance(texts, list) else []:
                try:
                    rules.append({"action": action, "rule": parse_rule(text), "text": text,
                                  "scope": entry["scope"], "file": entry["file"]})
                except RuleError as err:
                    warnings.append(f"{entry['file']}: permissions.{action} entry {text!r} does not parse "
                                    f"({err}); doctor skipped it")
    return rules, warnings


def _pattern(rule) -> str | None:
    if rule.kind in ("bash", "powershell"):
        return bash_pattern(rule.specifier)
    if rule.kind == "domain" and rule.specifier == "domain:*":
        return None  # `WebFetch(domain:*)` is `WebFetch`
    return rule.specifier


def same_calls(a, b) -> bool:
    """Two rules that match exactly the same calls: same tool and the same (normalised) specifier."""
    return a.tool == b.tool and _pattern(a) == _pattern(b)


def covers(broad, narrow) -> bool:
    """Whether every call `narrow` matches is matched by `broad`, for the obvious cases only: a tool-name
    glob (`*`, `mcp__*`), an MCP server (`mcp__s` covers `mcp__s__t`), the bare tool, and a Bash/PowerShell
    `prefix *` whose literal prefix starts `narrow`'s pattern at a word boundary. Anything subtler is not
    reported (a partial overlap is usually a deliberate exception)."""
    if same_calls(broad, narrow):
        return True
    if broad.kind == "glob":
        return fnmatch.fnmatchcase(narrow.tool, broad.tool)
    if broad.kind == "mcp" and narrow.tool.startswith(broad.tool + "__") and broad.tool.count("__") == 1:
        return True
    if broad.tool != narrow.tool:
        return False
    wide, small = _pattern(broad), _pattern(narrow)
    if wide is None:
        return True
    if small is None or broad.kind not in ("bash", "powershell") or not wide.endswith(" *"):
        return False
    literal = wide[:-2]
    return "*" not in literal and (small == literal or small.startswith(literal + " "))


def rule_problems(nerv: list[dict], claude: list[dict]) -> list[dict]:
    """Claude Code ask/deny rules that shadow a nerv allow (Claude Code's rules still apply after a hook's
    allow), and the same rule allowed on one side and asked/denied on the other (contradiction)."""
    problems = []
    for mine in nerv:
        for theirs in claude:
            opposite = (mine["action"] == "allow") != (theirs["action"] == "allow")
            if not opposite:
                continue
            where = {"scope": theirs["scope"], "file": theirs["file"]}
            if same_calls(mine["parsed"], theirs["rule"]):
                winner = ("Claude Code's " + theirs["action"]) if mine["action"] == "allow" else \
                    ("nerv's " + mine["action"])
                problems.append(problem(
                    "contradiction", f"nerv {mine['action']}s {mine['rule']} (rule #{mine['id']}) but "
                    f"permissions.{theirs['action']} in {theirs['file']} has {theirs['text']}: {winner} wins",
                    "keep the rule on one side: `nerv rule rm` or edit the settings file", **where))
            elif mine["action"] == "allow" and covers(theirs["rule"], mine["parsed"]):
                problems.append(problem(
                    "shadowed_allow", f"nerv allows {mine['rule']} (rule #{mine['id']}), but Claude Code's "
                    f"{theirs['action']} rule {theirs['text']} in {theirs['file']} matches the same calls and "
                    "wins over a hook's allow", "narrow the Claude Code rule, or remove the nerv rule", **where))
    return problems


def nerv_rules(store, cwd: str) -> list[dict]:
    """nerv's rules that apply at `cwd`: global ones and those of the project whose repo holds it."""
    from nerv.store.models import ApprovalRule

    project = store.projects.for_path(cwd)
    query = ApprovalRule.select().where(ApprovalRule.project.is_null() |
                                        (ApprovalRule.project == (project["id"] if project else None)))
    rows = []
    for row in query.order_by(ApprovalRule.id):
        try:
            rows.append({"id": row.id, "rule": row.rule, "action": row.action, "parsed": parse_rule(row.rule)})
        except RuleError:
            continue  # `nerv rule list` and the integrity checks report those
    return rows


# ---- the database ---------------------------------------------------------------------------------

def database_report() -> tuple[dict, list[dict], list[str]]:
    """(report, problems, warnings) from the read-only status and quick check; the file is never created."""
    from nerv.services import database
    from nerv.store.db import open_readonly_store

    try:
        status = database.status()
    except NervError as err:
        return {"path": None, "healthy": False}, [problem("database", err.message, err.hint)], []
    report = {"path": status["path"], "exists": status["exists"], "schema_version": status["current_version"],
              "pending_migrations": len(status["pending"])}
    if not status["exists"]:
        return report, [], [f"no database yet at {status['path']}: the first hook call creates it"]
    warnings = [f"{len(status['pending'])} migration(s) pending: applied on the next command or hook call"] \
        if status["pending"] else []
    try:
        store = open_readonly_store(any_schema=True)  # the file at status["path"], or the team's server
    except NervError as err:
        return {**report, "healthy": False}, [problem("database", err.message, err.hint)], warnings
    try:
        health = store.admin.health()
    except NervError as err:  # damage quick_check cannot even walk: the store says `corrupt`
        return {**report, "healthy": False}, [problem("database", err.message,
                                                      "run `nerv db integrity`; restore with `nerv db restore`")], warnings
    finally:
        store.close()
    if "quick_check" not in health:  # a server: nerv.store.admin.server_health
        report.update(healthy=health["healthy"], read_only_replica=health["read_only_replica"],
                      connections=health["connections"], max_connections=health["max_connections"])
        problems = [] if health["healthy"] else [problem(
            "database", f"{status['path']} is not healthy: {health['connections']} of {health['max_connections']}"
            f" connections{', a read-only replica' if health['read_only_replica'] else ''}", "run `nerv db health`")]
        return report, problems, warnings
    report.update(healthy=health["healthy"], quick_check=health["quick_check"], wal_mode=health["wal_mode"])
    problems = [] if health["healthy"] else [problem(
        "database", f"{status['path']} is not healthy: quick_check {health['quick_check']}, "
        f"WAL {'on' if health['wal_mode'] else 'off'}", "run `nerv db health` and `nerv db integrity`")]
    return report, problems, warnings


def _with_database(body):
    """Run body(store) on a read-only, ORM-bound store; None when there is no usable current database."""
    from nerv.store.db import has_database, open_readonly_store, use_for_models

    try:
        if not has_database():
            return None
        store = open_readonly_store()  # refused for an older schema: the models may not match it yet
    except NervError:
        return None
    try:
        use_for_models(store)
        return body(store)
    except NervError:
        return None
    finally:
        store.close()


def _remove_leftovers() -> list[str]:
    from nerv.services.backups import remove_leftovers
    from nerv.store import paths

    return remove_leftovers(paths.db_path())


def _unpriced(store) -> dict[str, int]:
    return store.usage.unpriced_models()


def _queue_mode_anywhere(store) -> bool:
    return "queue" in store.settings.stored_values("hook.mode")


# ---- the whole diagnosis --------------------------------------------------------------------------

def diagnose(cwd: str | None = None, *, run_hooks: bool = True) -> dict:
    """ok, version, files, hooks, database, problems [{code, message, hint, scope, file}], warnings."""
    from nerv.services.hook_install import queue_wait_s

    cwd = os.path.abspath(cwd or os.getcwd())
    files, problems = read_files(cwd)
    hooks = [h for f in files if f["exists"] for h in nerv_hooks_in(f["scope"], Path(f["file"]), f["data"])]
    problems += coverage_problems(hooks)
    problems += switched_off_problems(files, hooks)
    problems += check_hooks(hooks, cwd, run=run_hooks)
    database, db_problems, warnings = database_report()
    problems += db_problems
    database["leftovers_removed"] = _remove_leftovers()
    warnings += [f"removed a stale leftover of a killed operation: {path}" for path in database["leftovers_removed"]]
    rules, queue_mode, unpriced = _with_database(lambda store: (nerv_rules(store, cwd), _queue_mode_anywhere(store),
                                                                _unpriced(store))) or ([], False, {})
    warnings += [f"{calls} API calls of {model} have no price and count as $0: `nerv pricing set {model} "
                 "--input ... --output ...`, then `nerv cost --recompute`" for model, calls in unpriced.items()]
    problems += timeout_problems(hooks, queue_mode, queue_wait_s())
    claude, rule_warnings = claude_rules([f for f in files if f["exists"]])
    problems += rule_problems(rules, claude)
    warnings += rule_warnings + _version_warnings(hooks)
    return {"ok": not problems, "version": __version__, "cwd": cwd,
            "files": [{k: v for k, v in f.items() if k != "data"} for f in files],
            "hooks": hooks, "database": database,
            "rules": {"nerv": len(rules), "claude_code": len(claude)},
            "problems": problems, "warnings": warnings}


def _version_warnings(hooks: list[dict]) -> list[str]:
    others = sorted({h["version"] for h in hooks if h.get("version") and h["version"] != __version__})
    return [f"the hooks answer as nerv {', '.join(others)}, this is nerv {__version__}"] if others else []
