"""Which stored rules can decide a call, read through the store's rule area and parsed. Stdlib only (the hook's
PreToolUse lookup, the hottest path nerv has).

Deny and ask rules are all read and parsed, so no row the hook fails to understand can hide a deny: one that
does not parse and could apply raises BrokenRule (the caller fails safe). Allow rules are narrowed: Bash ones
by their literal prefix against every spelling of the command, so a wrong derived column can only make an
allow rule miss. The SQL is nerv.store.queries_approvals.candidate_rows.
"""

from __future__ import annotations

from nerv.rules.decision import StoredRule
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS, Rule, RuleError, parse_rule
from nerv.rules.shell_eval import MAX_ALLOWED_CHARS, MAX_PARTS, bash_file_targets, bash_forms, split_bash

MAX_PREFIX_PROBES = 5000
# Parsed rules by text. A hook process parses each stored rule once anyway; the hook daemon decides call after
# call from the same rows, and parsing every deny rule again was a fifth of its CPU (docs/performance.md).
# Rules are never changed once parsed; the bound only caps memory when the texts keep changing.
_PARSED: dict = {}
MAX_PARSED = 20_000
SHORT_PREFIX = 256  # forms no longer than this are probed at every length, without asking the table


class BrokenRule(Exception):
    """A stored deny or ask rule that does not parse: the hook cannot know what it forbids."""

    def __init__(self, rule_id: int, text: str, action: str, problem: str):
        super().__init__(f"{action} rule #{rule_id} {text!r} does not parse ({problem}); "
                         f"fix it: `nerv rule rm {rule_id}` and add it again")
        self.rule_id = rule_id


def allow_tools_for(tool: str) -> list[str]:
    """Rule tool names whose allow rules can approve a call of `tool`."""
    if tool in ("Bash", "Monitor"):
        return ["Bash", "Monitor", "Read", "Edit"]
    if tool in EDIT_TOOLS:
        return sorted({"Edit", tool})
    if tool in READ_TOOLS:
        return sorted({"Read", "Edit", tool})
    if tool in ("Task", "Agent"):
        return ["Agent"]
    if tool.startswith("mcp__"):
        pieces = tool.split("__")
        return sorted({tool, f"mcp__{pieces[1]}"} if len(pieces) >= 2 else {tool})
    return [tool]


def candidate_rules(rules, tool: str, tool_input, project_id: str | None) -> list[StoredRule]:
    """The rules (global and the project's) that could decide this call, deny first, then ask, then allow.

    `rules` is the store's rule area (nerv.store.rule_area.RuleArea: `store.rules`, or `RuleArea(conn)` on the
    hook's connection). Raises BrokenRule when a stored deny or ask rule does not parse.
    """
    bash = tool in ("Bash", "Monitor")
    # Allow globs count only after a literal `mcp__server__`, so only an MCP call needs them.
    mcp_server = "mcp__" + tool.split("__")[1] + "__" if tool.startswith("mcp__") and tool.count("__") >= 2 else None
    kept = rules.kept()
    rows = rules.candidate_rows(project_id, allow_tools_for(tool), mcp_server=mcp_server, bash=bash,
                                # file allow rules matter to a shell command only when it names files
                                file_rules=bash and _names_files(tool_input),
                                bash_prefixes=_bash_prefixes(rules, tool_input) if bash else None,
                                deny_ask=kept is None)
    allowing = [stored for stored in (_stored(row, tool) for row in rows) if stored is not None]
    return allowing if kept is None else _kept_deny_ask(rules, kept, tool, project_id) + allowing


def _kept_deny_ask(rules, kept: dict, tool: str, project_id: str | None) -> list[StoredRule]:
    """The deny and ask rules in scope, parsed once per frozen set of rows (RuleArea.kept): the same rules, in
    the same order, with the same refusal of a broken one that could apply to `tool`, as _stored gives."""
    key = ("deny-ask", project_id)
    entries = kept.get(key)
    if entries is None:
        entries = []
        for row in rules.deny_ask_rows(project_id):
            try:
                entries.append((row, StoredRule(_parsed(row[1]), row[2], row[0], row[3], row[4]), None))
            except RuleError as err:
                entries.append((row, None, err.message))
        kept[key] = entries
    guarding = []
    for row, stored, problem in entries:
        if stored is not None:
            guarding.append(stored)
        elif _could_apply(row[1], tool):
            raise BrokenRule(row[0], row[1], row[2], problem)
    return guarding


def _names_files(tool_input) -> bool:
    """Whether a shell command names any file (a redirection target or a file command's operand)."""
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str) or len(command) > MAX_ALLOWED_CHARS:
        return False
    return any(bash_file_targets(part) for part in split_bash(command))


def _bash_prefixes(rules, tool_input) -> list[str] | None:
    """The literal prefixes a Bash allow rule needs to approve some spelling of the command: [] when no prefix
    rule can (too long, too many parts), None when there are too many to probe (every Bash allow rule is read,
    which is bounded by the table, never by the command).

    Every prefix of every spelling, up to the longest literal prefix stored, is probed: a few index lookups.
    """
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if not isinstance(command, str) or len(command) > MAX_ALLOWED_CHARS:
        return []
    parts = split_bash(command)
    if len(parts) > MAX_PARTS:
        return []
    forms = bash_forms(parts)
    longest = SHORT_PREFIX
    if any(len(form) > SHORT_PREFIX for form in forms):
        # Only a long command pays for finding the longest stored prefix (a scan of the Bash rules).
        longest = rules.longest_bash_allow_prefix()
    prefixes: set[str] = {""}
    for form in forms:
        for end in range(1, min(len(form), longest) + 1):
            prefixes.add(form[:end])
        if len(prefixes) > MAX_PREFIX_PROBES:
            return None
    return sorted(prefixes)


def _parsed(text) -> Rule:
    rule = _PARSED.get(text) if isinstance(text, str) else None
    if rule is None:
        rule = parse_rule(text, compile_paths=False)
        if len(_PARSED) >= MAX_PARSED:
            _PARSED.clear()
        _PARSED[text] = rule
    return rule


def _stored(row, tool: str) -> StoredRule | None:
    try:
        rule = _parsed(row[1])
    except RuleError as err:
        if row[2] in ("deny", "ask") and _could_apply(row[1], tool):
            raise BrokenRule(row[0], row[1], row[2], err.message) from None
        return None  # an allow rule that cannot be read can only fail to approve
    return StoredRule(rule, row[2], row[0], row[3], row[4])


def _could_apply(text, tool: str) -> bool:
    """Whether an unreadable rule's text names a tool that could decide this call (when in doubt: yes)."""
    if not isinstance(text, str):
        return True
    name = text.strip().split("(", 1)[0].strip()
    if not name or "*" in name or name == tool or tool.startswith(name + "__"):
        return True
    related = {"Bash": {"Read", "Edit", "Monitor"}, "Monitor": {"Bash", "Read", "Edit"},
               "PowerShell": {"Read", "Edit"}, "Agent": {"Task"}, "Task": {"Agent"}}
    if tool in EDIT_TOOLS or tool in READ_TOOLS:
        return name in ("Read", "Edit") or name in EDIT_TOOLS or name in READ_TOOLS
    return name in related.get(tool, ()) or not name.isidentifier()
