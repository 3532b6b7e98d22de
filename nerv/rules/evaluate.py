"""Deciding a tool call against permission rules: deny, then ask, then allow. Stdlib only.

Never allow by accident: every way out of `evaluate` that is not a positive, certain match of every
part of the call ends in `none` (no opinion) or `ask`.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from nerv.rules import paths, shell
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS, Rule, bash_pattern

DECISIONS = ("allow", "ask", "deny", "none")
# Which key of tool_input carries the thing a specifier talks about, for tools without special handling.
PRIMARY_INPUT = {"Task": "subagent_type", "Agent": "subagent_type", "Skill": "skill", "WebSearch": "query",
                 "SlashCommand": "command"}


class StoredRule:
    """A rule with its action and database id (slotted class: no dataclasses import on the hook path)."""

    __slots__ = ("rule", "action", "id", "project_id")

    def __init__(self, rule: Rule, action: str, id: int | None = None, project_id: str | None = None):
        self.rule = rule
        self.action = action
        self.id = id
        self.project_id = project_id


class Match:
    """The outcome of `evaluate`."""

    __slots__ = ("decision", "rule", "rule_id", "part", "reason", "parts", "rule_action")

    def __init__(self, decision: str, rule: str | None = None, rule_id: int | None = None, part: str | None = None,
                 reason: str = "", parts: list[dict] | None = None, rule_action: str | None = None):
        self.decision = decision  # allow | ask | deny | none
        self.rule = rule  # the deciding rule's text
        self.rule_id = rule_id
        self.part = part  # the part of a compound command that decided
        self.reason = reason
        self.parts = parts or []  # for allow: which rule allowed each part
        # The action of the rule that decided; None when the matcher itself answers `ask` because an
        # allow rule matched text it cannot vouch for (a substitution, a redirection without Edit rule).
        self.rule_action = rule_action

    def to_dict(self) -> dict:
        return {"decision": self.decision, "rule": self.rule, "rule_id": self.rule_id, "part": self.part,
                "reason": self.reason, "parts": self.parts}


class Context:
    __slots__ = ("cwd", "root", "home")

    def __init__(self, cwd: str, root: str, home: str):
        self.cwd = cwd
        self.root = root  # what `/path` in a rule is relative to: the project's repo root, else cwd
        self.home = home


def make_context(cwd: str | None = None, root: str | None = None, home: str | None = None) -> Context:
    cwd = os.path.abspath(cwd or os.getcwd())
    return Context(cwd=cwd, root=os.path.abspath(root or cwd), home=home or os.path.expanduser("~"))


def evaluate(rules: list[StoredRule], tool: str, tool_input, ctx: Context) -> Match:
    """The decision of `rules` on one tool call, with the rule and the part that decided."""
    if not isinstance(tool_input, dict):
        tool_input = {}
    if tool == "Bash":
        return _evaluate_bash(rules, tool_input.get("command"), ctx)
    if tool in EDIT_TOOLS or tool in READ_TOOLS:
        return _evaluate_path_tool(rules, tool, tool_input, ctx)
    if tool == "WebFetch":
        return _evaluate_webfetch(rules, tool_input.get("url"))
    return _evaluate_plain(rules, tool, tool_input)


def _first(rules: list[StoredRule], action: str, predicate) -> StoredRule | None:
    for stored in rules:
        if stored.action == action and predicate(stored.rule):
            return stored
    return None


def _decided(stored: StoredRule, action: str, part: str | None, reason: str) -> Match:
    return Match(action, stored.rule.text, stored.id, part, reason, rule_action=action)


# ---- Bash -----------------------------------------------------------------------------------------

@lru_cache(maxsize=8192)
def bash_regex(specifier: str) -> re.Pattern:
    """`*` is any text; a trailing ` *` (or legacy `:*`) is optional and starts at a word boundary."""
    pattern = bash_pattern(specifier)
    optional_tail = pattern.endswith(" *")
    body = pattern[:-2] if optional_tail else pattern
    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    if optional_tail:
        regex += "(?: .*)?"
    return re.compile(regex, re.DOTALL)


def _bash_rule_hits(rule: Rule, forms: list[str]) -> bool:
    if rule.tool != "Bash":
        return False
    if rule.kind == "tool":
        return True
    if rule.kind != "bash":
        return False
    regex = bash_regex(rule.specifier)
    return any(regex.fullmatch(form) for form in forms)


def deny_forms(part: shell.Part) -> list[str]:
    """Every spelling of a part that deny and ask rules are tried against (past assignments and wrappers)."""
    stripped = shell.strip_for_deny(part.words)
    forms = [part.raw, part.plain, part.describe(), " ".join(w.raw for w in stripped),
             " ".join(w.value for w in stripped)]
    if stripped and stripped[0].value != stripped[0].value.lower():
        # `RM -rf /` runs rm on a case-insensitive file system (macOS).
        forms.append(" ".join([stripped[0].value.lower()] + [w.value for w in stripped[1:]]))
    return list(dict.fromkeys(f for f in forms if f))


def allow_forms(part: shell.Part) -> list[str]:
    """What an allow rule must match: the command past the documented wrappers (never past assignments).

    Once a wrapper is stripped only the wrapped command counts, so `Bash(timeout *)` does not approve
    `timeout 5 anything`.
    """
    stripped = shell.strip_wrappers(part.words)
    if len(stripped) != len(part.words):
        return [" ".join(w.raw for w in stripped)]
    return list(dict.fromkeys(f for f in (part.raw, part.describe()) if f))


def bash_forms(parts: list[shell.Part]) -> list[str]:
    """All strings any Bash rule could be matched against (the SQL candidate filter uses them)."""
    forms: list[str] = []
    for part in parts:
        forms.extend(deny_forms(part))
        forms.extend(allow_forms(part))
    return list(dict.fromkeys(forms))


def _evaluate_bash(rules: list[StoredRule], command, ctx: Context) -> Match:
    if not isinstance(command, str) or not command.strip():
        bare = _first(rules, "deny", lambda r: r.tool == "Bash" and r.kind == "tool")
        if bare:
            return _decided(bare, "deny", None, "Bash is denied")
        return Match("none", reason="no command to match")
    parts = shell.split_command(command)
    for action in ("deny", "ask"):
        for part in parts:
            forms = deny_forms(part)
            hit = _first(rules, action, lambda r: _bash_rule_hits(r, forms))
            if hit:
                return _decided(hit, action, part.describe(), f"{action} rule {hit.rule.text} matches "
                                                              f"{part.describe() or command!r}")
            for redirect in part.redirects:
                found = _redirect_rule(rules, action, redirect, ctx)
                if found:
                    return _decided(found, action, part.describe(),
                                    f"{action} rule {found.rule.text} covers the redirection to "
                                    f"{redirect.target.value}")
    bare = _first(rules, "allow", lambda r: r.tool == "Bash" and r.kind == "tool")
    if bare:
        return Match("allow", bare.rule.text, bare.id, None, "every Bash command is allowed", rule_action="allow")
    return _allow_every_part(rules, [p for p in parts if not p.nested], ctx)


def _redirect_rule(rules: list[StoredRule], action: str, redirect: shell.Redirect, ctx: Context) -> StoredRule | None:
    if redirect.target is None or redirect.target.expands:
        return None
    targets = paths.candidates(redirect.target.value, ctx.cwd, ctx.home)
    tool = "Edit" if redirect.writes else "Read"
    return _first(rules, action, lambda r: _path_rule_hits(r, tool, targets, ctx, action, any_candidate=True))


def _allow_every_part(rules: list[StoredRule], parts: list[shell.Part], ctx: Context) -> Match:
    allowed: list[dict] = []
    for part in parts:
        verdict, stored, reason = _allow_part(rules, part, ctx)
        if verdict != "allow":
            matched_anyway = stored is not None
            decision = "ask" if matched_anyway else "none"
            return Match(decision, stored.rule.text if stored else None, stored.id if stored else None,
                         part.describe(), reason, allowed)
        allowed.append({"part": part.describe(), "rule": stored.rule.text if stored else None,
                        "rule_id": stored.id if stored else None})
    if not allowed:
        return Match("none", reason="nothing to run")
    first = next((a for a in allowed if a["rule"]), allowed[0])
    return Match("allow", first["rule"], first["rule_id"], first["part"] if len(allowed) > 1 else None,
                 "every part is allowed" if len(allowed) > 1 else f"allowed by {first['rule']}", allowed,
                 rule_action="allow")


def _allow_part(rules: list[StoredRule], part: shell.Part, ctx: Context):
    """('allow'|'no', deciding or would-be rule, reason). A would-be rule with 'no' means: ask a person."""
    stripped = shell.strip_wrappers(part.words)
    hit = None
    if part.words:
        forms = allow_forms(part)
        hit = _first(rules, "allow", lambda r: _bash_rule_hits(r, forms))
    if part.uncertain:
        return "no", hit, f"{part.uncertain}: cannot be allowed by a prefix rule"
    if stripped:
        head = stripped[0]
        if head.expands or head.globbed:
            return "no", hit, "the command name is only known at run time"
        name = head.value.rsplit("/", 1)[-1]
        if name in shell.NEVER_BY_PREFIX:
            return "no", hit, f"{name} runs other commands: never approved by a prefix rule"
        values = {w.value for w in stripped[1:]}
        if name == "find" and values & (shell.FIND_EXEC_FLAGS | shell.FIND_WRITE_FLAGS):
            return "no", hit, "find -exec/-delete is never approved by a prefix rule"
        if hit is None:
            return "no", None, f"no allow rule matches {part.describe()!r}"
    elif not any(r.writes for r in part.redirects):
        return "no", None, f"nothing certain to allow in {part.describe()!r}"
    for redirect in part.redirects:
        if not redirect.writes:
            continue
        target = redirect.target
        if target.expands or target.globbed:
            return "no", hit, f"redirection target {target.raw} is only known at run time"
        if target.value == "/dev/null":
            continue
        targets = paths.candidates(target.value, ctx.cwd, ctx.home)
        edit = _first(rules, "allow", lambda r: _path_rule_hits(r, "Edit", targets, ctx, "allow", any_candidate=False))
        if edit is None:
            return "no", hit, f"writing {target.value} needs an Edit allow rule"
        hit = hit or edit
    return "allow", hit, ""


# ---- files ----------------------------------------------------------------------------------------

def _path_rule_hits(rule: Rule, tool: str, targets: list[str], ctx: Context, action: str, *,
                    any_candidate: bool) -> bool:
    editing = tool in EDIT_TOOLS
    if editing:
        applies = rule.tool in ("Edit", tool) or (action == "deny" and rule.tool == "Read" and rule.kind == "path")
    else:
        applies = rule.tool == tool or (rule.tool == "Read" and rule.kind == "path")
    if not applies:
        return False
    if rule.kind == "tool":
        return rule.tool in ("Edit", tool)
    if rule.kind != "path":
        return False
    check = any if any_candidate else all
    return check(paths.path_matches(rule.specifier, t, cwd=ctx.cwd, root=ctx.root, home=ctx.home,
                                    contents=action != "allow") for t in targets)


def _evaluate_path_tool(rules: list[StoredRule], tool: str, tool_input: dict, ctx: Context) -> Match:
    raw_path = tool_input.get("file_path") or tool_input.get("notebook_path") or tool_input.get("path")
    if raw_path is None and tool in ("Grep", "Glob", "LS"):
        raw_path = ctx.cwd
    if not isinstance(raw_path, str) or not raw_path or "\x00" in raw_path:
        bare = _first(rules, "deny", lambda r: r.kind == "tool" and r.tool == tool)
        if bare:
            return _decided(bare, "deny", None, f"{tool} is denied")
        return Match("none", reason="no file path to match")
    targets = paths.candidates(raw_path, ctx.cwd, ctx.home)
    for action in ("deny", "ask"):
        hit = _first(rules, action, lambda r: _path_rule_hits(r, tool, targets, ctx, action, any_candidate=True))
        if hit:
            return _decided(hit, action, targets[0], f"{action} rule {hit.rule.text} matches {targets[0]}")
    hit = _first(rules, "allow", lambda r: _path_rule_hits(r, tool, targets, ctx, "allow", any_candidate=False))
    if hit:
        return _decided(hit, "allow", targets[0], f"allowed by {hit.rule.text}")
    return Match("none", reason=f"no rule matches {targets[0]}")


# ---- WebFetch -------------------------------------------------------------------------------------

def url_host(url) -> str | None:
    if not isinstance(url, str):
        return None
    from urllib.parse import urlsplit  # only WebFetch calls pay for it

    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _domain_hits(rule: Rule, host: str | None) -> bool:
    if rule.tool != "WebFetch":
        return False
    if rule.kind == "tool":
        return True
    if host is None or rule.kind != "domain":
        return False
    wanted = rule.specifier[len("domain:"):].rstrip(".").lower()
    if wanted == "*":
        return True
    if wanted.startswith("*."):
        return host.endswith(wanted[1:])
    return host == wanted


def _evaluate_webfetch(rules: list[StoredRule], url) -> Match:
    host = url_host(url)
    for action in ("deny", "ask", "allow"):
        hit = _first(rules, action, lambda r: _domain_hits(r, host))
        if hit:
            return _decided(hit, action, host, f"{action} rule {hit.rule.text} matches {host or url!r}")
    return Match("none", reason=f"no rule matches {host or 'this URL'}")


# ---- MCP and other tools --------------------------------------------------------------------------

def _plain_hits(rule: Rule, tool: str, tool_input: dict) -> bool:
    if rule.kind == "mcp":
        name = rule.tool
        if name.endswith("__*"):
            return tool.startswith(name[:-1])
        if tool == name:
            return True
        return name.count("__") == 1 and tool.startswith(name + "__")
    if rule.tool != tool:
        return False
    if rule.kind == "tool":
        return True
    value = tool_input.get(PRIMARY_INPUT.get(tool, ""))
    if rule.kind != "generic" or not isinstance(value, str):
        return False
    return bool(bash_regex(rule.specifier).fullmatch(value))


def _evaluate_plain(rules: list[StoredRule], tool: str, tool_input: dict) -> Match:
    for action in ("deny", "ask", "allow"):
        hit = _first(rules, action, lambda r: _plain_hits(r, tool, tool_input))
        if hit:
            return _decided(hit, action, None, f"{action} rule {hit.rule.text} matches {tool}")
    return Match("none", reason=f"no rule for {tool}")
