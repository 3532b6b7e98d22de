"""Permission rules: add, list, remove, match, and the round trip with Claude Code settings files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nerv.errors import NervError, invalid, not_found
from nerv.rules import ACTIONS, RuleError, evaluate, make_context, parse_rule
from nerv.rules.candidates import candidate_rules
from nerv.rules.grammar import bash_pattern
from nerv.rules.tools import rule_warnings
from nerv.services import validate
from nerv.services.claude_files import read_settings_file
from nerv.services.projects import scope_id
from nerv.services.scope import command_scope, scope_fields
from nerv.store.db import Store
from nerv.store.models import ApprovalRule, Project
from nerv.rules.rows import derived_columns, rule_problem

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
                        details=rule_problem(err)) from None


def rule_row(rule, action: str, project_id: str | None, reason: str | None, source: str, now: str) -> dict:
    """The approval_rules row of a parsed rule: every way a rule is stored builds it here."""
    return {"project_id": project_id, **derived_columns(rule), "rule": rule.text, "action": action,
            "reason": reason, "source": source, "created_at": now}


def _existing(project_id: str | None, text: str, action: str):
    scope = (ApprovalRule.project == project_id) if project_id else ApprovalRule.project.is_null()
    return ApprovalRule.get_or_none(scope & (ApprovalRule.rule == text) & (ApprovalRule.action == action))


def _pattern_key(rule) -> tuple:
    # `Bash(x:*)` is the legacy spelling of `Bash(x *)`: the same calls, so the same pattern.
    return rule.tool, bash_pattern(rule.specifier) if rule.kind == "bash" else rule.specifier


def _coexisting(rule, action: str, project_id: str | None) -> list[str]:
    """Warnings for stored rules of the same pattern with another action that are evaluated together with it."""
    query = ApprovalRule.select().where((ApprovalRule.tool == rule.tool) & (ApprovalRule.action != action))
    if project_id:
        query = query.where(ApprovalRule.project.is_null() | (ApprovalRule.project == project_id))
    warnings = []
    for other in query.order_by(ApprovalRule.id):
        try:
            same = _pattern_key(parse_rule(other.rule)) == _pattern_key(rule)
        except RuleError:
            continue
        if not same:
            continue
        first, then = sorted((action, other.action), key=ACTIONS.index)
        warnings.append(f"{other.action} rule #{other.id} {other.rule} has the same pattern: {first} rules are "
                        f"evaluated before {then} rules, so the {then} rule never decides")
    return warnings


def warnings_for(rule, action: str, project_id: str | None) -> list[str]:
    """Why this rule, once stored, may not do what it says (never a reason to refuse it)."""
    return rule_warnings(rule, action) + _coexisting(rule, action, project_id)


def add_rule(store: Store, text: str, action: str, project_ref: str | None = None, reason: str | None = None,
             source: str = "cli", everywhere: bool = False) -> dict:
    """Store a rule for the command's scope (services/scope.py); the row carries `warnings` and the scope.
    Raises invalid (with the position), conflict."""
    validate.choice(action, "action", ACTIONS)
    rule = parse_or_refuse(text)
    reason = validate.one_line(reason, "reason", required=False)
    project = command_scope(store, project_ref, everywhere)
    project_id = project["id"] if project else None

    def body(tx):
        if _existing(project_id, rule.text, action):
            raise NervError("conflict", f"{action} rule {rule.text} already exists"
                            + (" for this project" if project_id else " (global)"), "see `nerv rule list`")
        row = rule_row(rule, action, project_id, reason, source, tx.now)
        row["id"] = ApprovalRule.insert(row).execute()
        tx.audit("rule.add", "rule", row["id"], project_id=project_id, after=row)
        return {**row, "warnings": warnings_for(rule, action, project_id), **scope_fields(project)}

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
    validate.row_id(rule_id, "rule id")
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
    """What the hook would decide for this call from the stored rules: decision, rule, its source, part, reason."""
    tool = validate.one_line(tool, "tool", max_len=200)
    tool_input = build_tool_input(tool, value, input_json)
    cwd = os.path.abspath(os.path.expanduser(cwd)) if cwd else os.getcwd()
    if project_ref:
        from nerv.services.projects import find_project

        found = find_project(project_ref)
        project = {"id": found.id, "name": found.name, "repo_path": None}
        repo = store.projects.for_path(cwd)
        if repo and repo["id"] == found.id:
            project["repo_path"] = repo["repo_path"]
    else:
        project = store.projects.for_path(cwd)
    rules = candidate_rules(store.rules, tool, tool_input, project["id"] if project else None)
    ctx = make_context(cwd, root=(project or {}).get("repo_path") or cwd)
    result = evaluate(rules, tool, tool_input, ctx).to_dict()
    result.update({"tool": tool, "tool_input": tool_input, "cwd": cwd, "project": project["name"] if project else None})
    _add_sources(result)
    return result


def _add_sources(result: dict) -> None:
    """Where the deciding rule (and each part's) came from: `cli`, `claude-settings:PATH`, `approval:#12`."""
    ids = {result["rule_id"], *(p.get("rule_id") for p in result["parts"])} - {None}
    sources = {r.id: r.source for r in ApprovalRule.select(ApprovalRule.id, ApprovalRule.source)
               .where(ApprovalRule.id.in_(list(ids)))} if ids else {}
    result["source"] = sources.get(result["rule_id"])
    for part in result["parts"]:
        part["source"] = sources.get(part.get("rule_id"))


# ---- Claude Code settings files -------------------------------------------------------------------

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


def _parse_entries(lists: dict[str, list[str]]) -> tuple[list, list[dict]]:
    parsed, refused = [], []
    for action in SETTINGS_LISTS:
        for index, text in enumerate(lists[action]):
            try:
                parsed.append((action, parse_rule(text)))
            except RuleError as err:
                refused.append(rule_problem(err, action=action, entry=f"permissions.{action}[{index}]"))
    return parsed, refused


def import_claude_settings(store: Store, path: str, project_ref: str | None = None, everywhere: bool = False) -> dict:
    """Add the permissions.allow/ask/deny rules of a settings file that parse; list in `refused` those that do not.

    Returns file, added, skipped (already stored), rules (added), refused, warnings. Raises io / invalid when
    the file itself cannot be read or is not a settings object, not_found for an unknown project.
    """
    file = validate.user_path(path, "settings file")
    lists = _permission_lists(read_settings_file(file, missing_ok=False), file)
    project = command_scope(store, project_ref, everywhere)
    project_id = project["id"] if project else None
    parsed, refused = _parse_entries(lists)
    source = f"claude-settings:{file.resolve()}"[:500]

    def body(tx):
        added, skipped, warnings = [], 0, []
        for action, rule in parsed:
            if _existing(project_id, rule.text, action):
                skipped += 1
                continue
            row = rule_row(rule, action, project_id, None, source, tx.now)
            row["id"] = ApprovalRule.insert(row).execute()
            tx.audit("rule.import", "rule", row["id"], project_id=project_id, after=row)
            added.append({"action": action, "rule": rule.text, "id": row["id"]})
            warnings += [{"action": action, "rule": rule.text, "warning": w}
                         for w in warnings_for(rule, action, project_id)]
        return {"file": str(file), "added": len(added), "skipped": skipped, "rules": added, "refused": refused,
                "warnings": warnings, **scope_fields(project)}

    return store.write(body)


def export_claude_settings(store: Store, path: str, project_ref: str | None = None) -> dict:
    """Merge nerv's rules (global + the project's) into a settings file; other keys untouched, backup first."""
    from nerv.services.claude_files import backup_file, write_json_file

    file = validate.user_path(path, "settings file")
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
