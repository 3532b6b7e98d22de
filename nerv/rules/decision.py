"""The values every part of the matcher shares: a stored rule, the call's context, the outcome. Stdlib only."""

from __future__ import annotations

import os
from functools import lru_cache

from nerv.rules import paths
from nerv.rules.grammar import Rule

DECISIONS = ("allow", "ask", "deny", "none")


# Plain slotted classes, not dataclasses: importing dataclasses costs the hook several milliseconds.
class StoredRule:
    """A rule with its action, database id and source (where `/path` anchors depends on the source)."""

    __slots__ = ("rule", "action", "id", "project_id", "source")

    def __init__(self, rule: Rule, action: str, id: int | None = None, project_id: str | None = None,
                 source: str | None = None):
        self.rule = rule
        self.action = action
        self.id = id
        self.project_id = project_id
        self.source = source


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
        # allow rule matched something it cannot vouch for (a substitution, a protected path, a critical rm).
        self.rule_action = rule_action

    def to_dict(self) -> dict:
        return {"decision": self.decision, "rule": self.rule, "rule_id": self.rule_id, "part": self.part,
                "reason": self.reason, "parts": self.parts}


class Context:
    __slots__ = ("cwd", "root", "home")

    def __init__(self, cwd: str, root: str, home: str):
        self.cwd = cwd
        self.root = root  # what `/path` in nerv's own rules is relative to: the project's repo root, else cwd
        self.home = home


def make_context(cwd: str | None = None, root: str | None = None, home: str | None = None) -> Context:
    cwd = os.path.abspath(cwd or os.getcwd())
    return Context(cwd=cwd, root=os.path.abspath(root or cwd), home=home or os.path.expanduser("~"))


def rule_root(stored: StoredRule, ctx: Context) -> str:
    """Where `/p` of this rule is anchored; local settings anchor where Claude Code was started (its cwd)."""
    source = stored.source or ""
    if source.startswith("claude-settings:") and source.endswith("/settings.local.json"):
        return ctx.cwd
    return paths.settings_root(source, ctx.home) or ctx.root


def first(rules: list[StoredRule], action: str, predicate) -> StoredRule | None:
    for stored in rules:
        if stored.action == action and predicate(stored):
            return stored
    return None


def decided(stored: StoredRule, action: str, part: str | None, reason: str) -> Match:
    return Match(action, stored.rule.text, stored.id, part, reason, rule_action=action)


@lru_cache(maxsize=256)
def _name_glob(pattern: str) -> re.Pattern:
    import re

    return re.compile(".*".join(re.escape(piece) for piece in pattern.split("*")), re.DOTALL)


def tool_glob_hits(rule: Rule, tool: str, action: str) -> bool:
    """A tool-name glob (`*`, `mcp__*`, `mcp__github__get_*`) against a whole tool name.

    Allow globs count only after a literal `mcp__server__`; Claude Code skips unanchored ones (`*`, `mcp__*`),
    so they can never approve a call.
    """
    if rule.kind != "glob":
        return False
    if action == "allow" and not is_anchored_glob(rule.tool):
        return False
    return bool(_name_glob(rule.tool).fullmatch(tool))


def is_anchored_glob(name: str) -> bool:
    if not name.startswith("mcp__"):
        return False
    server, sep, _ = name[len("mcp__"):].partition("__")
    return bool(sep) and bool(server) and "*" not in server
