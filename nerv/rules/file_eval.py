"""Read and Edit path rules: for the file tools, and for the files a shell command names. Stdlib only.

Edit rules cover Edit, Write, MultiEdit and NotebookEdit; Read rules cover Read, Grep, Glob, LS and LSP; an
Edit allow also grants reading; a Read deny also blocks Edit, Write and MultiEdit (not NotebookEdit). Path
rules written for Write, MultiEdit, NotebookEdit or Glob are accepted but never consulted, as in Claude Code.
"""

from __future__ import annotations

from nerv.rules import paths
from nerv.rules.decision import Context, Match, StoredRule, decided, first, rule_root, tool_glob_hits
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS, UNCONSULTED_PATH_TOOLS
from nerv.rules.protected import is_protected

SEARCHERS = ("Grep", "Glob", "LS")


def _applies(stored: StoredRule, tool: str, action: str) -> bool:
    """Whether this rule speaks about calls of `tool` at all (before looking at the path)."""
    rule = stored.rule
    if rule.kind == "glob":
        return tool_glob_hits(rule, tool, action)
    if rule.kind == "tool":
        if tool in EDIT_TOOLS:
            return rule.tool in ("Edit", tool)
        return rule.tool in (tool, "Read") or (action == "allow" and rule.tool == "Edit")
    if rule.kind != "path" or rule.tool in UNCONSULTED_PATH_TOOLS:
        return False
    if tool in EDIT_TOOLS:
        return rule.tool == "Edit" or (action == "deny" and rule.tool == "Read" and tool != "NotebookEdit")
    return rule.tool == "Read" or (action == "allow" and rule.tool == "Edit")


def path_rule_hits(stored: StoredRule, tool: str, targets: list[str], ctx: Context, action: str) -> bool:
    """Deny and ask hit when any spelling of the path matches; allow needs every spelling to match."""
    if not _applies(stored, tool, action):
        return False
    rule = stored.rule
    if rule.kind != "path":
        return True
    root = rule_root(stored, ctx)
    contents = action != "allow"
    check = any if contents else all
    return check(paths.path_matches(rule.specifier, t, cwd=ctx.cwd, root=root, home=ctx.home, contents=contents)
                 for t in targets)


def first_path_rule(rules: list[StoredRule], action: str, tool: str, targets: list[str], ctx: Context):
    return first(rules, action, lambda s: path_rule_hits(s, tool, targets, ctx, action))


def evaluate_path_tool(rules: list[StoredRule], tool: str, tool_input: dict, ctx: Context) -> Match:
    raw_path = (tool_input.get("file_path") or tool_input.get("notebook_path") or tool_input.get("path")
                or tool_input.get("filePath"))
    if raw_path is None and tool in SEARCHERS:
        raw_path = ctx.cwd
    if not isinstance(raw_path, str) or not raw_path or "\x00" in raw_path:
        bare = first(rules, "deny", lambda s: _applies(s, tool, "deny") and s.rule.kind != "path")
        if bare:
            return decided(bare, "deny", None, f"{tool} is denied")
        return Match("none", reason="no file path to match")
    targets = paths.candidates(raw_path, ctx.cwd, ctx.home)
    # Searching a folder reads what is inside it, so a denied folder is hit by a search rooted at it.
    refusable = targets + [t.rstrip("/") + "/" for t in targets] if tool in SEARCHERS else targets
    for action in ("deny", "ask"):
        hit = first_path_rule(rules, action, tool, refusable, ctx)
        if hit:
            return decided(hit, action, targets[0], f"{action} rule {hit.rule.text} matches {targets[-1]}")
    hit = first_path_rule(rules, "allow", tool, targets, ctx)
    if hit is None:
        return Match("none", reason=f"no rule matches {targets[0]}")
    if tool in EDIT_TOOLS and any(is_protected(t) for t in targets):
        return Match("ask", hit.rule.text, hit.id, targets[0],
                     f"{targets[-1]} is a protected path: no allow rule pre-approves writing it")
    return decided(hit, "allow", targets[0], f"allowed by {hit.rule.text}")
