"""Deciding a tool call against permission rules: deny, then ask, then allow. Stdlib only.

Never allow by accident: every way out of `evaluate` that is not a positive, certain match of every
part of the call ends in `none` (no opinion) or `ask`.
"""

from __future__ import annotations

from functools import lru_cache

from nerv.rules.decision import (DECISIONS, Context, Match, StoredRule, decided, first, make_context,
                                 tool_glob_hits)
from nerv.rules.file_eval import evaluate_path_tool
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS, TOOL_ALIASES
from nerv.rules.shell_eval import bash_forms, command_regex, evaluate_shell, parameter_hits

__all__ = ["DECISIONS", "Context", "Match", "StoredRule", "bash_forms", "evaluate", "make_context", "url_host",
           "PRIMARY_INPUT"]

# The input field a tool's specifier talks about; `Tool(param:value)` rules never name it.
PRIMARY_INPUT = {"Bash": "command", "PowerShell": "command", "Monitor": "command", "Read": "file_path",
                 "Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path", "NotebookEdit": "notebook_path",
                 "WebFetch": "url", "WebSearch": "query", "Agent": "subagent_type", "Skill": "skill",
                 "Grep": "path", "Glob": "path", "LS": "path", "LSP": "filePath", "SlashCommand": "command"}
# Agent calls without a subagent_type run the general-purpose agent.
DEFAULT_SUBAGENT = "general-purpose"
SHELL_CALLS = ("Bash", "Monitor", "PowerShell")  # Monitor's command is judged by Bash's rules


def evaluate(rules: list[StoredRule], tool: str, tool_input, ctx: Context) -> Match:
    """The decision of `rules` on one tool call, with the rule and the part that decided."""
    if not isinstance(tool_input, dict):
        tool_input = {}
    tool = TOOL_ALIASES.get(tool, tool)
    primary = PRIMARY_INPUT.get(tool)
    if tool in SHELL_CALLS:
        return evaluate_shell(rules, tool, tool_input, ctx, primary)
    refusal = _parameter_refusal(rules, tool, tool_input, primary)
    if refusal is not None:
        return refusal
    if tool in EDIT_TOOLS or tool in READ_TOOLS:
        return evaluate_path_tool(rules, tool, tool_input, ctx)
    if tool == "WebFetch":
        return _evaluate_webfetch(rules, tool_input.get("url"))
    return _evaluate_plain(rules, tool, tool_input)


def _parameter_refusal(rules, tool: str, tool_input: dict, primary: str | None) -> Match | None:
    for action in ("deny", "ask"):
        hit = first(rules, action, lambda s: s.rule.tool == tool and parameter_hits(s.rule, tool_input, primary))
        if hit:
            return decided(hit, action, None, f"{action} rule {hit.rule.text} matches the call's input")
    return None


# ---- WebFetch -------------------------------------------------------------------------------------

def url_host(url) -> str | None:
    """The host Claude Code (Node's WHATWG URL) would fetch from, or None."""
    return web_host(url)[0]


def web_host(url) -> tuple[str | None, bool]:
    if not isinstance(url, str):
        return None, False
    from nerv.rules.urlhost import url_host as whatwg_host  # only WebFetch calls pay for it

    host, certain = whatwg_host(url)
    return (host.rstrip(".").lower() if host else None), certain


@lru_cache(maxsize=1024)
def _domain_regex(wanted: str) -> re.Pattern:
    """`*.x.com`: subdomains at any depth; any other `*` is exactly one label."""
    import re

    labels = wanted.split(".")
    lead = ""
    if len(labels) > 1 and labels[0] == "*":
        lead, labels = r"(?:[^.]+\.)+", labels[1:]
    return re.compile(lead + r"\.".join("[^.]+" if label == "*" else "[^.]*".join(map(re.escape, label.split("*")))
                                         for label in labels))


def _domain_hits(stored: StoredRule, host: str | None, certain: bool, action: str) -> bool:
    rule = stored.rule
    if rule.kind == "glob":
        return tool_glob_hits(rule, "WebFetch", action)
    if rule.tool != "WebFetch":
        return False
    if rule.kind == "tool":
        return True
    if host is None or rule.kind != "domain" or (action == "allow" and not certain):
        return False
    wanted = rule.specifier[len("domain:"):].rstrip(".").lower()
    return wanted == "*" or _domain_regex(wanted).fullmatch(host) is not None


def _evaluate_webfetch(rules: list[StoredRule], url) -> Match:
    host, certain = web_host(url)
    for action in ("deny", "ask", "allow"):
        hit = first(rules, action, lambda s: _domain_hits(s, host, certain, action))
        if hit:
            return decided(hit, action, host, f"{action} rule {hit.rule.text} matches {host or url!r}")
    if host is not None and not certain:
        return Match("none", reason=f"the host of this URL is not certain ({host}): no allow rule applies")
    return Match("none", reason=f"no rule matches {host or 'this URL'}")


# ---- MCP and other tools --------------------------------------------------------------------------

def _plain_hits(stored: StoredRule, tool: str, tool_input: dict, action: str) -> bool:
    rule = stored.rule
    if rule.kind == "glob":
        return tool_glob_hits(rule, tool, action)
    if rule.kind == "mcp":
        name = rule.tool
        if tool == name:
            return True
        return name.count("__") == 1 and tool.startswith(name + "__")
    if rule.tool != tool:
        return False
    if rule.kind == "tool":
        return True
    if tool == "WebSearch" or rule.kind != "generic":
        return False  # WebSearch takes no specifier: such a rule never matches
    value = _specified_value(tool, tool_input)
    return isinstance(value, str) and command_regex(rule.specifier).fullmatch(value) is not None


def _specified_value(tool: str, tool_input: dict):
    """What `Tool(x)` is matched against: the primary field, with a skill's arguments (`Skill(name *)`)."""
    value = tool_input.get(PRIMARY_INPUT.get(tool, ""))
    if tool == "Agent" and value is None:
        return DEFAULT_SUBAGENT
    if tool == "Skill" and isinstance(value, str):
        args = tool_input.get("args")
        if isinstance(args, str) and args.strip():
            return f"{value} {args.strip()}"
    return value


def _evaluate_plain(rules: list[StoredRule], tool: str, tool_input: dict) -> Match:
    for action in ("deny", "ask", "allow"):
        hit = first(rules, action, lambda s: _plain_hits(s, tool, tool_input, action))
        if hit:
            return decided(hit, action, None, f"{action} rule {hit.rule.text} matches {tool}")
    return Match("none", reason=f"no rule for {tool}")
