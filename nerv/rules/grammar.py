"""Parsing Claude Code permission rules (`Tool`, `Tool(specifier)`, `mcp__server__tool`). Stdlib only."""

from __future__ import annotations

import re

ACTIONS = ("deny", "ask", "allow")  # evaluation order
# Tools whose specifier is a gitignore-style path; Edit rules cover every tool that edits files.
READ_TOOLS = ("Read", "Grep", "Glob", "LS")
EDIT_TOOLS = ("Edit", "Write", "MultiEdit", "NotebookEdit")
PATH_RULE_TOOLS = ("Read",) + EDIT_TOOLS
_TOOL_CHAR = re.compile(r"[A-Za-z0-9_\-]")
_HOST = re.compile(r"(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.?")
MAX_RULE_LEN = 4000


class RuleError(ValueError):
    """A rule that does not parse; `position` is the 0-based index of the offending character."""

    def __init__(self, message: str, position: int, text: str):
        super().__init__(f"{message} at position {position + 1}")
        self.message = message
        self.position = position
        self.text = text

    def pointer(self) -> str:
        """The rule with a marker where the problem is: `Bash(rm *«here»`."""
        return f"the problem is here: {self.text[:self.position]}«here»{self.text[self.position:]}"


class Rule:
    """A parsed rule. A plain slotted class: importing dataclasses would cost the hook milliseconds."""

    __slots__ = ("text", "tool", "specifier", "kind")

    def __init__(self, text: str, tool: str, specifier: str | None, kind: str):
        self.text = text  # as written (stripped): what export writes back, so the round trip is lossless
        self.tool = tool
        self.specifier = specifier  # None: the whole tool (also for `Tool(*)`)
        self.kind = kind  # tool | bash | path | domain | mcp | generic

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"

    @property
    def literal_prefix(self) -> str | None:
        """For Bash rules, the literal text before the first wildcard (the SQL candidate filter)."""
        if self.kind != "bash":
            return None
        pattern = bash_pattern(self.specifier)
        # Trailing spaces go: `Bash(ls *)` also matches plain `ls`, which has no space after it.
        return pattern.split("*", 1)[0].rstrip(" ")


def bash_pattern(specifier: str) -> str:
    """The specifier with the legacy trailing `:*` spelled as the modern ` *`."""
    if specifier.endswith(":*"):
        return specifier[:-2] + " *"
    return specifier


def parse_rule(text: str) -> Rule:
    """Parse one rule; raise RuleError naming the position of the first problem."""
    if not isinstance(text, str):
        raise RuleError("a rule must be text", 0, str(text))
    raw = text
    text = text.strip()
    if not text:
        raise RuleError("the rule is empty", 0, raw)
    if len(text) > MAX_RULE_LEN:
        raise RuleError(f"the rule is longer than {MAX_RULE_LEN} characters", MAX_RULE_LEN, text[:MAX_RULE_LEN + 1])
    for index, char in enumerate(text):
        if ord(char) < 32 or ord(char) == 127:
            raise RuleError("control character (newline, tab...) in the rule", index, text)
    open_at = text.find("(")
    tool = text if open_at < 0 else text[:open_at]
    if not tool:
        raise RuleError("the rule must start with a tool name", 0, text)
    if not tool[0].isalpha():
        raise RuleError("a tool name starts with a letter", 0, text)
    checked = tool[:-3] if tool.startswith("mcp__") and tool.endswith("__*") else tool
    for index, char in enumerate(checked):
        if not _TOOL_CHAR.fullmatch(char):
            raise RuleError(f"unexpected character {char!r} in the tool name", index, text)
    if tool.startswith("mcp__"):
        return _parse_mcp(text, tool, open_at)
    if open_at < 0:
        return Rule(text, tool, None, "tool")
    if not text.endswith(")"):
        raise RuleError("missing closing parenthesis", len(text), text)
    specifier = text[open_at + 1:-1]
    if not specifier.strip():
        raise RuleError("empty specifier between the parentheses", open_at + 1, text)
    if specifier == "*":
        return Rule(text, tool, None, "tool")
    start = open_at + 1
    if tool == "Bash":
        return Rule(text, tool, specifier, "bash")
    if tool in PATH_RULE_TOOLS:
        _check_path(specifier, start, text)
        return Rule(text, tool, specifier, "path")
    if tool == "WebFetch":
        _check_domain(specifier, start, text)
        return Rule(text, tool, specifier, "domain")
    return Rule(text, tool, specifier, "generic")


def _parse_mcp(text: str, tool: str, open_at: int) -> Rule:
    if open_at >= 0:
        raise RuleError("MCP rules take no specifier in parentheses", open_at, text)
    rest = tool[len("mcp__"):]
    if not rest:
        raise RuleError("missing server name after mcp__", len(tool), text)
    if rest.startswith("_"):
        raise RuleError("missing server name after mcp__", len("mcp__"), text)
    return Rule(text, tool, None, "mcp")


def _check_path(specifier: str, start: int, text: str) -> None:
    if specifier.startswith("///"):
        raise RuleError("too many leading slashes (use //absolute/path)", start + 2, text)
    if specifier.startswith("~") and not (specifier == "~" or specifier.startswith("~/")):
        raise RuleError("only ~/ (your own home) is supported", start + 1, text)
    depth = 0
    for index, char in enumerate(specifier):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise RuleError("']' without '['", start + index, text)
    if depth:
        raise RuleError("'[' without ']'", start + specifier.rfind("["), text)
    stars = re.search(r"\*{3,}", specifier)
    if stars:
        raise RuleError("use * (one folder) or ** (any depth), not more stars", start + stars.start(), text)


def _check_domain(specifier: str, start: int, text: str) -> None:
    if not specifier.startswith("domain:"):
        raise RuleError("WebFetch rules take domain:HOST", start, text)
    host = specifier[len("domain:"):]
    if not host:
        raise RuleError("missing host after domain:", start + len("domain:"), text)
    if host == "*":
        return
    match = _HOST.match(host)
    end = match.end() if match else 0
    if end != len(host):
        raise RuleError(f"unexpected character {host[end]!r} in the host", start + len("domain:") + end, text)
