"""Permission rules: add, list, remove, match, and the round trip with Claude Code settings files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nerv.errors import NervError, invalid, not_found
from nerv.rules import ACTIONS, RuleError, evaluate, make_context, parse_rule
from nerv.services import validate
from nerv.services.projects import scope_id
from nerv.store import lookups
from nerv.store import queries_approvals as q
from nerv.store.db import Store
from nerv.store.models import ApprovalRule, Project

# What INPUT means for `rule match TOOL INPUT`, per tool.
INPUT_KEY = {"Bash": "command", "Read": "file_path", "Edit": "file_path", "Write": "file_path",
             "MultiEdit": "file_path", "NotebookEdit": "notebook_path", "WebFetch": "url", "Grep": "path",
             "Glob": "path", "LS": "path", "Task": "subagent_type", "Agent": "subagent_type", "Skill": "skill",
             "WebSearch": "query"}
SETTINGS_LISTS = ("allow", "ask", "deny")


def parse_or_refuse(text: str):
    """The parsed rule, or NervError('invalid') pointing at the offending character."""
    try:
        return parse_rule(text)
    except RuleError as err:
        raise NervError("invalid", f"rule {err.text!r} does not parse: {err}", err.pointer(),
                        details={"rule": err.text, "position": err.position + 1, "problem": err.message}) from None


def _rule_row(rule, action: str, project_id: str | None, reason: str | None, source: str, now: str) -> dict:
    return {"project_id": project_id, "tool": rule.tool, "pattern": rule.specifier, "rule": rule.text,
            "action": action, "reason": reason, "source": source, "literal_prefix": rule.literal_prefix,
            "created_at": now}


def _existing(project_id: str | None, text: str, action: str):
    scope = (ApprovalRule.project == project_id) if project_id else ApprovalRule.project.is_null()
    return ApprovalRule.get_or_none(scope & (ApprovalRule.rule == text) & (ApprovalRule.action == action))


def add_rule(store: Store, text: str, action: str, project_ref: str | None = None, reason: str | None = None,
             source: str = "cli") -> dict:
    """Store a rule (global, or for one project). Raises invalid (with the position), conflict."""
    validate.choice(action, "action", ACTIONS)
    rule = parse_or_refuse(text)
    reason = validate.one_line(reason, "reason", required=False)
    project_id = scope_id(project_ref)

    def body(tx):
        if _existing(project_id, rule.text, action):
            raise NervError("conflict", f"{action} rule {rule.text} already exists"
                            + (" for this project" if project_id else " (global)"), "see `nerv rule list`")
        row = _rule_row(rule, action, project_id, reason, source, tx.now)
        row["id"] = ApprovalRule.insert(row).execute()
        tx.audit("rule.add", "rule", row["id"], project_id=project_id, after=row)
        return row

    return store.write(body)


def _public(rule: ApprovalRule, names: dict) -> dict:
    row = rule.to_dict()
    row.pop("literal_prefix", None)
    row["project_id"] = row.pop("project")
    row["project"] = names.get(row["project_id"])
    return row


def list_rules(store: Store, project_ref: str | None = None, action: str | None = None) -> list[dict]:
    """Every rule, or with a project the rules that apply to it (global + its own), deny/ask/allow order."""
    if action:
        validate.choice(action, "action", ACTIONS)
    query = ApprovalRule.select()
    if project_ref:
        project_id = scope_id(project_ref)
        query = query.where(ApprovalRule.project.is_null() | (ApprovalRule.project == project_id))
    if action:
        query = query.where(ApprovalRule.action == action)
    names = {p.id: p.name for p in Project.select(Project.id, Project.name)}
    rows = [_public(r, names) for r in query.order_by(ApprovalRule.id)]
    return sorted(rows, key=lambda r: (ACTIONS.index(r["action"]), r["id"]))


def remove_rule(store: Store, rule_id: int) -> dict:
    """Delete one rule by id. Raises not_found."""
    rule = ApprovalRule.get_or_none(ApprovalRule.id == rule_id)
    if rule is None:
        raise not_found("rule", rule_id, "see `nerv rule list`")
    before = _public(rule, {})

    def body(tx):
        ApprovalRule.delete().where(ApprovalRule.id == rule_id).execute()
        tx.audit("rule.rm", "rule", rule_id, project_id=before["project_id"], before=before)
        return before

    return store.write(body)


def build_tool_input(tool: str, value: str | None, input_json: str | None) -> dict:
    """`tool_input` from INPUT (meaning depends on the tool) or from a whole JSON object."""
    if input_json is not None:
        try:
            data = json.loads(input_json)
        except json.JSONDecodeError as exc:
            raise invalid(f"--input-json is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise invalid("--input-json must be a JSON object (the tool_input of a tool call)")
        return data
    if value is None:
        raise NervError("usage", "give INPUT or --input-json", "e.g. `nerv rule match Bash 'npm test'`", exit_code=2)
    key = INPUT_KEY.get(tool)
    return {key: value} if key else {}


def match(store: Store, tool: str, value: str | None, *, cwd: str | None = None, project_ref: str | None = None,
          input_json: str | None = None) -> dict:
    """What the hook would decide for this call from the stored rules: decision, rule, part, reason."""
    tool = validate.one_line(tool, "tool", max_len=200)
    tool_input = build_tool_input(tool, value, input_json)
    cwd = os.path.abspath(os.path.expanduser(cwd)) if cwd else os.getcwd()
    if project_ref:
        from nerv.services.projects import find_project

        found = find_project(project_ref)
        project = {"id": found.id, "name": found.name, "repo_path": None}
        repo = lookups.project_for_path(store.conn, os.path.realpath(cwd))
        if repo and repo["id"] == found.id:
            project["repo_path"] = repo["repo_path"]
    else:
        project = lookups.project_for_path(store.conn, os.path.realpath(cwd))
    rules = q.candidate_rules(store.conn, tool, tool_input, project["id"] if project else None)
    ctx = make_context(cwd, root=(project or {}).get("repo_path") or cwd)
    result = evaluate(rules, tool, tool_input, ctx).to_dict()
    result.update({"tool": tool, "tool_input": tool_input, "cwd": cwd, "project": project["name"] if project else None})
    return result


# ---- Claude Code settings files -------------------------------------------------------------------

def read_settings_file(path: Path, *, missing_ok: bool) -> dict:
    """A Claude Code settings file as a dict ({} when missing and allowed). Raises io / invalid."""
    if not path.exists():
        if missing_ok:
            return {}
        raise NervError("io", f"{path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NervError("io", f"cannot read {path}: {exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"{path} is not valid JSON ({exc})", "fix the file; nerv never rewrites a file it cannot read") from None
    if not isinstance(data, dict):
        raise invalid(f"{path} holds a JSON {type(data).__name__}, not an object")
    return data


def _permission_lists(data: dict, path: Path) -> dict[str, list[str]]:
    permissions = data.get("permissions", {})
    if not isinstance(permissions, dict):
        raise invalid(f"{path}: `permissions` is not an object")
    lists = {}
    for action in SETTINGS_LISTS:
        entries = permissions.get(action, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise invalid(f"{path}: permissions.{action} must be a list of strings")
        lists[action] = entries
    return lists


def import_claude_settings(store: Store, path: str, project_ref: str | None = None) -> dict:
    """Add the permissions.allow/ask/deny rules of a settings file; every rule must parse, or none is added."""
    file = Path(path).expanduser()
    lists = _permission_lists(read_settings_file(file, missing_ok=False), file)
    project_id = scope_id(project_ref)
    parsed, problems = [], []
    for action in SETTINGS_LISTS:
        for text in lists[action]:
            try:
                parsed.append((action, parse_rule(text)))
            except RuleError as err:
                problems.append({"action": action, "rule": text, "position": err.position + 1, "problem": err.message})
    if problems:
        raise NervError("invalid", f"{len(problems)} rule(s) in {file} do not parse; nothing was imported",
                        "fix or remove them, then import again", details={"problems": problems})
    source = f"claude-settings:{file.resolve()}"[:500]

    def body(tx):
        added, skipped = [], 0
        for action, rule in parsed:
            if _existing(project_id, rule.text, action) or any(a == action and r == rule.text for a, r, _ in added):
                skipped += 1
                continue
            row = _rule_row(rule, action, project_id, None, source, tx.now)
            row["id"] = ApprovalRule.insert(row).execute()
            tx.audit("rule.import", "rule", row["id"], project_id=project_id, after=row)
            added.append((action, rule.text, row["id"]))
        return {"file": str(file), "added": len(added), "skipped": skipped,
                "rules": [{"action": a, "rule": r, "id": i} for a, r, i in added]}

    return store.write(body)


def export_claude_settings(store: Store, path: str, project_ref: str | None = None) -> dict:
    """Merge nerv's rules (global + the project's) into a settings file; other keys untouched, backup first."""
    from nerv.services.claude_files import backup_file, write_json_file

    file = Path(path).expanduser()
    data = read_settings_file(file, missing_ok=True)
    lists = _permission_lists(data, file)
    rules = list_rules(store, project_ref)
    added = {action: 0 for action in SETTINGS_LISTS}
    for row in rules:
        entries = lists[row["action"]]
        if row["rule"] not in entries:
            entries.append(row["rule"])
            added[row["action"]] += 1
    backup = None
    if sum(added.values()):
        permissions = data.setdefault("permissions", {})
        for action in SETTINGS_LISTS:
            if lists[action] or action in permissions:
                permissions[action] = lists[action]
        backup = backup_file(file)
        write_json_file(file, data)
    return {"file": str(file), "added": added, "backup": str(backup) if backup else None,
            "unchanged": not sum(added.values())}
