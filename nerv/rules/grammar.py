"""Parsing Claude Code permission rules (`Tool`, `Tool(specifier)`, `mcp__server__tool`). Stdlib only."""

from __future__ import annotations

from nerv.domain.vocabulary import RULE_ACTIONS as ACTIONS
# Tools whose specifier is a gitignore-style path; Edit rules cover every tool that edits files.
READ_TOOLS = ("Read", "Grep", "Glob", "LS", "LSP")
EDIT_TOOLS = ("Edit", "Write", "MultiEdit", "NotebookEdit")
PATH_RULE_TOOLS = ("Read",) + EDIT_TOOLS
# Path rules Claude Code accepts but never consults (2.1.210+): only Read(...) and Edit(...) decide files.
UNCONSULTED_PATH_TOOLS = ("Write", "MultiEdit", "NotebookEdit", "Glob")
# `Task` is the old name of `Agent`; its rules still apply to Agent calls.
TOOL_ALIASES = {"Task": "Agent"}
# Tools whose specifier has Bash's shape: a command pattern.
SHELL_TOOLS = ("Bash", "PowerShell")
# Parsing runs for every stored deny and ask rule on every hook call: plain string scans, not `re`
# (whose import alone is a fifth of the hook's time; see nerv/rules/regex.py).
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_TOOL_CHARS = _ALNUM | frozenset("_-*")
_NAME_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_REST = _NAME_FIRST | frozenset("0123456789")
# A host label; `*` stands for any text inside one label (`api-*.example.com`, `example.*`).
_LABEL_END = _ALNUM | frozenset("*")
_LABEL_CHARS = _LABEL_END | frozenset("-")
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


_UNSET = object()


class Rule:
    """A parsed rule. A plain slotted class: importing dataclasses would cost the hook milliseconds."""

    # _prefix and _condition: literal_prefix and parameter_condition, worked out on first use. The hook daemon
    # decides call after call from the same parsed rules (nerv.rules.candidates), and working them out again
    # for every rule on every call was a fifth of a decision. A Rule is never changed once made.
    __slots__ = ("text", "tool", "specifier", "kind", "_prefix", "_condition")

    def __init__(self, text: str, tool: str, specifier: str | None, kind: str):
        self.text = text  # as written (stripped): what export writes back, so the round trip is lossless
        self.tool = tool
        self.specifier = specifier  # None: the whole tool (also for `Tool(*)`)
        self.kind = kind  # tool | bash | powershell | path | domain | mcp | glob | generic
        self._prefix = self._condition = _UNSET

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"

    @property
    def literal_prefix(self) -> str | None:
        """For Bash rules, the literal text before the first wildcard (the SQL candidate filter)."""
        if self._prefix is _UNSET:
            self._prefix = self._literal_prefix()
        return self._prefix

    def _literal_prefix(self) -> str | None:
        if self.kind not in ("bash", "powershell"):
            return None
        pattern = bash_pattern(self.specifier)
        # Trailing spaces go: `Bash(ls *)` also matches plain `ls`, which has no space after it.
        return pattern.split("*", 1)[0].rstrip(" ")


def bash_pattern(specifier: str) -> str:
    """The specifier with the legacy trailing `:*` spelled as the modern ` *`."""
    if specifier.endswith(":*"):
        return specifier[:-2] + " *"
    return specifier


def parse_rule(text: str, *, compile_paths: bool = True) -> Rule:
    """Parse one rule; raise RuleError naming the position of the first problem.

    `compile_paths=False` skips compiling path patterns: every way into the table compiled them already, and
    the hook, which parses every stored deny rule on each call, compiles only the ones a call reaches (a
    pattern that fails there makes the hook fail safe).
    """
    if not isinstance(text, str):
        raise RuleError("a rule must be text", 0, str(text))
    raw = text
    text = text.strip()
    if not text:
        raise RuleError("the rule is empty", 0, raw)
    if len(text) > MAX_RULE_LEN:
        raise RuleError(f"the rule is longer than {MAX_RULE_LEN} characters", MAX_RULE_LEN, text[:MAX_RULE_LEN + 1])
    control = -1 if text.isprintable() else next((i for i, c in enumerate(text) if c < " " or c == "\x7f"), -1)
    if control >= 0:
        raise RuleError("control character (newline, tab...) in the rule", control, text)
    open_at = text.find("(")
    tool = text if open_at < 0 else text[:open_at]
    if not tool:
        raise RuleError("the rule must start with a tool name", 0, text)
    if not (tool[0].isalpha() or tool[0] == "*"):
        raise RuleError("a tool name starts with a letter", 0, text)
    bad = next((i for i, c in enumerate(tool) if c not in _TOOL_CHARS), -1)
    if bad >= 0:
        raise RuleError(f"unexpected character {tool[bad]!r} in the tool name", bad, text)
    if tool.startswith("mcp__"):
        return _parse_mcp(text, tool, open_at)
    if "*" in tool:
        if open_at >= 0:
            raise RuleError("a tool-name glob takes no specifier in parentheses", open_at, text)
        return Rule(text, tool, None, "glob")
    tool = TOOL_ALIASES.get(tool, tool)
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
    if tool in SHELL_TOOLS:
        return Rule(text, tool, specifier, tool.lower())
    if tool in PATH_RULE_TOOLS:
        _check_path(specifier, start, text, compile_paths)
        return Rule(text, tool, specifier, "path")
    if tool == "WebFetch" and not (_parameter_name(specifier) and not specifier.startswith("domain:")):
        _check_domain(specifier, start, text)
        return Rule(text, tool, specifier, "domain")
    return Rule(text, tool, specifier, "generic")


def parameter_condition(rule: Rule) -> tuple[str, str] | None:
    """(parameter, value pattern) when the specifier reads as `param:value` (deny/ask input-parameter rules).

    Whether it is one depends on the call: only a top-level input field of that name that is not the tool's
    primary field makes it one, so the evaluator decides; this only splits the text.
    """
    if rule._condition is _UNSET:
        rule._condition = _parameter_condition(rule)
    return rule._condition


def _parameter_condition(rule: Rule) -> tuple[str, str] | None:
    spec = rule.specifier
    if spec is None or rule.kind in ("mcp", "glob", "tool"):
        return None
    found = _parameter_name(spec)
    if found is None:
        return None
    return found[0], spec[found[1]:].rstrip()


def _parameter_name(spec: str) -> tuple[str, int] | None:
    """`param:value`, whitespace around the colon ignored (permissions#match-by-input-parameter): the name
    and where the value starts. Whitespace is what `str.isspace` (and a regular expression's `\\s`) call so."""
    index, size = 0, len(spec)
    while index < size and spec[index].isspace():
        index += 1
    if index >= size or spec[index] not in _NAME_FIRST:
        return None
    start = index
    while index < size and spec[index] in _NAME_REST:
        index += 1
    name = spec[start:index]
    while index < size and spec[index].isspace():
        index += 1
    if index >= size or spec[index] != ":":
        return None
    index += 1
    while index < size and spec[index].isspace():
        index += 1
    return name, index


def _parse_mcp(text: str, tool: str, open_at: int) -> Rule:
    if open_at >= 0:
        specifier = text[open_at + 1:-1] if text.endswith(")") else ""
        if "*" in tool or not _parameter_name(specifier) or not tool[len("mcp__"):].count("__"):
            raise RuleError("MCP rules take no specifier in parentheses, except an input parameter "
                            "(mcp__server__tool(param:value))", open_at, text)
        return Rule(text, tool, specifier, "generic")
    rest = tool[len("mcp__"):]
    if not rest or rest == "*":
        if rest == "*":
            return Rule(text, tool, None, "glob")
        raise RuleError("missing server name after mcp__", len(tool), text)
    if rest.startswith("_"):
        raise RuleError("missing server name after mcp__", len("mcp__"), text)
    if "*" in tool:
        return Rule(text, tool, None, "glob")
    return Rule(text, tool, None, "mcp")


def _check_path(specifier: str, start: int, text: str, compile_paths: bool = True) -> None:
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
    stars = specifier.find("***")
    if stars >= 0:
        raise RuleError("use * (one folder) or ** (any depth), not more stars", start + stars, text)
    if not compile_paths:
        return
    import re

    from nerv.rules.paths import glob_regex

    try:
        glob_regex(specifier)
    except re.error as exc:
        # e.g. a reversed range `[z-a]`: a pattern that cannot compile would break every decision it is tried in.
        where = specifier.find("[")
        raise RuleError(f"the pattern does not compile ({exc.msg})", start + max(where, 0), text) from None


def _check_domain(specifier: str, start: int, text: str) -> None:
    if not specifier.startswith("domain:"):
        raise RuleError("WebFetch rules take domain:HOST", start, text)
    host = specifier[len("domain:"):]
    if not host:
        raise RuleError("missing host after domain:", start + len("domain:"), text)
    offset = start + len("domain:")
    labels = host[:-1].split(".") if host.endswith(".") and host != "." else host.split(".")
    for label in labels:
        if not (label and label[0] in _LABEL_END and label[-1] in _LABEL_END
                and all(c in _LABEL_CHARS for c in label)):
            bad = next((i for i, c in enumerate(label) if not (c.isascii() and (c.isalnum() or c == "-"))), 0)
            if not label:
                problem = "empty label in the host"
            else:
                problem = f"unexpected character {label[bad]!r} in the host"
            raise RuleError(problem, offset + bad, text)
        offset += len(label) + 1
