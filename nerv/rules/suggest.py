"""The rule a person would most likely write to approve a tool call like this one. Stdlib only."""

from __future__ import annotations

import os
import re

from nerv.rules import shell
from nerv.rules.evaluate import url_host
from nerv.rules.grammar import EDIT_TOOLS, READ_TOOLS

# `npm run build -- --x` -> `Bash(npm run build *)`: subcommand-like words, never paths, options or values.
_SUBCOMMAND = re.compile(r"[a-z][a-z0-9_:-]*")
MAX_PREFIX_WORDS = 3


def suggest_rule(tool: str, tool_input, cwd: str | None = None) -> str | None:
    """`Bash(npm test *)` for `npm test -- -x`; `Edit(src/**)`; `WebFetch(domain:host)`; else the bare tool.

    None when no safe generalisation exists (a compound or uncertain command).
    """
    if not isinstance(tool_input, dict):
        tool_input = {}
    if tool == "Bash":
        return _bash(tool_input.get("command"))
    if tool in EDIT_TOOLS or tool in READ_TOOLS:
        return _path(tool, tool_input.get("file_path") or tool_input.get("notebook_path"), cwd)
    if tool == "WebFetch":
        host = url_host(tool_input.get("url"))
        return f"WebFetch(domain:{host})" if host else None
    return tool if tool else None


def _bash(command) -> str | None:
    if not isinstance(command, str):
        return None
    parts = [p for p in shell.split_command(command) if not p.nested]
    if len(parts) != 1 or parts[0].uncertain or parts[0].redirects:
        return None
    words = shell.strip_wrappers(parts[0].words)
    if not words or any(w.expands for w in words[:2]) or shell.is_assignment(words[0]):
        return None
    if words[0].value in shell.NEVER_BY_PREFIX or words[0].value == "find":
        return None
    prefix = [words[0].raw]
    for word in words[1:MAX_PREFIX_WORDS]:
        if not _SUBCOMMAND.fullmatch(word.raw):
            break
        prefix.append(word.raw)
    return f"Bash({' '.join(prefix)} *)"


def _path(tool: str, path, cwd: str | None) -> str | None:
    if not isinstance(path, str) or not path:
        return None
    rule_tool = "Edit" if tool in EDIT_TOOLS else "Read"
    folder = os.path.dirname(os.path.normpath(path))
    if cwd and (folder + "/").startswith(cwd.rstrip("/") + "/"):
        relative = os.path.relpath(folder, cwd)
        return f"{rule_tool}(./**)" if relative == "." else f"{rule_tool}(./{relative}/**)"
    return f"{rule_tool}(/{folder}/**)"
