"""The corpus that came before this package, imported from tests/approvals/test_matcher_corpus.py.

That file stays the home of those cases (others edit it); this module reads its CASES and RULES_TEXT and
gives each case an id and a cite: the section comment it sits under and its inline comment. Where the
documentation says otherwise, OVERRIDES changes the expectation here and says why in the cite.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.approvals import test_matcher_corpus as source

from ._helpers import (BARE_ASSIGNMENT, COMPOUND, EXEC_WRAPPERS, HEREDOC_MATCH, MCP, REDIRECT, SUBSTITUTION,
                       WEBFETCH, WRAPPERS, case)

RULES = {action: list(source.RULES_TEXT[action]) for action in ("allow", "deny", "ask")}

SECTION_CITES = {
    "documented Bash examples": ("doc", "permissions#bash and #manage-permissions examples: Bash(npm run build) "
                                        "exact, Bash(ls *) word boundary, Bash(ls*) none, Bash(git * main), the :* "
                                        "suffix, a deny Bash(aws *) beats an allow Bash(aws s3 ls)"),
    "compound commands: every part must be allowed": ("compound", COMPOUND),
    "substitutions, backticks, here-docs: never allowed by a prefix rule": ("subst", SUBSTITUTION),
    "quoting tricks": ("quoting", "shell quoting (bash QUOTING, POSIX 2.2): quotes and escapes decide where words "
                                  "and separators are; an allow rule matches the command as written, deny and ask "
                                  "also the unquoted words"),
    "assignments and wrappers": ("wrappers", WRAPPERS + "; " + BARE_ASSIGNMENT),
    "commands no prefix rule can approve": ("exec", EXEC_WRAPPERS),
    "redirections are file writes": ("redirect", REDIRECT),
    "command names only known at run time": ("runtime", "an allow rule matches the command as written: a command "
                                                        "name only known at run time ($CMD, a glob) matches nothing "
                                                        "certain; an input without a command has nothing to match"),
    "files": ("files", "permissions#read-and-edit: //, ~/, /, ./ anchors; * one segment, ** any depth; bare names "
                       "at any depth; Edit rules cover Edit, Write, NotebookEdit; a Read deny also blocks Edit and "
                       "Write; Write(...) path rules are never consulted"),
    "WebFetch": ("webfetch", WEBFETCH),
    "MCP and other tools": ("mcp", MCP),
}

# (tool, command or path) -> (expectation, cite): the documentation disagrees with test_matcher_corpus.py.
OVERRIDES = {
    ("Bash", "cat <<EOF\nhello\nEOF"): (
        "allow", HEREDOC_MATCH + " -- here: not-allow in test_matcher_corpus.py; a here-doc whose body has no "
                                 "expansion is one `cat` command, which Bash(cat *) allows"),
    ("Bash", "cat <<'EOF'\nhello\nEOF"): (
        "allow", HEREDOC_MATCH + " -- here: not-allow in test_matcher_corpus.py; a quoted here-doc body is "
                                 "literal text, so this is one `cat` command"),
}


def _source_rows() -> list[tuple[str | None, str | None]]:
    """(section, inline comment) of every line of CASES in the source file, in order."""
    lines = Path(source.__file__).read_text(encoding="utf-8").splitlines()
    rows, section, inside = [], None, False
    for line in lines:
        stripped = line.strip()
        if line.startswith("CASES = ["):
            inside = True
            continue
        if inside and line == "]":
            break
        if not inside:
            continue
        if stripped.startswith("# ---"):
            section = stripped.strip("# -").strip()
        elif stripped.startswith("("):
            found = re.search(r"\),\s*#\s*(.*)$", stripped)
            rows.append((section, found.group(1) if found else None))
    return rows


def _key(tool: str, tool_input) -> tuple:
    if not isinstance(tool_input, dict):
        return (tool, None)
    value = tool_input.get("command") if tool == "Bash" else tool_input.get("file_path") or tool_input.get("url")
    return (tool, value if isinstance(value, str) else None)


def _build() -> list[dict]:
    rows = _source_rows()
    aligned = len(rows) == len(source.CASES)
    counts: dict[str, int] = {}
    built = []
    for index, ((tool, tool_input), expected) in enumerate(source.CASES):
        section, comment = rows[index] if aligned else (None, None)
        slug, cite = SECTION_CITES.get(section, ("case", "tests/approvals/test_matcher_corpus.py"))
        counts[slug] = counts.get(slug, 0) + 1
        if comment:
            cite = f"{cite} -- {comment}"
        expected, cite = OVERRIDES.get(_key(tool, tool_input), (expected, cite))
        built.append(case(f"legacy-{slug}-{counts[slug]}", tool, tool_input, expected, cite, RULES))
    return built


CASES = _build()
