"""The matcher corpus: one module per topic, each a list `CASES` of dicts (see _helpers.case).

A case: {"id", "rules": {"allow": [...], "ask": [...], "deny": [...]}, "tool", "input", "expect", "cite"}
plus optional "cwd", "root", "home" (defaults /work/repo, /work/repo, /home/ann), "sources" (rule text, or
"action:text", -> source; default "cli") and "fs" (files, folders and symlinks the runner builds under a
temporary folder; `{tmp}` in any string of the case is that folder).

`expect` is allow | ask | deny | none | not-allow (ask or none: a person decides).
`cite` names the documentation sentence (page#anchor of code.claude.com/docs/en/) or the bypass technique.
"""

from __future__ import annotations

from importlib import import_module

TOPICS = ("legacy", "bash_split", "bash_rules", "read_edit_bash", "path_rules", "anchoring", "tools_mcp",
          "params", "powershell", "protected", "critical_rm", "webfetch", "misc_bypass")
EXPECTATIONS = ("allow", "ask", "deny", "none", "not-allow")


def load() -> list[dict]:
    """Every case of every topic, each a copy with its "topic" added, in topic order."""
    cases = []
    for topic in TOPICS:
        module = import_module(f"{__name__}.{topic}")
        for case in module.CASES:
            cases.append({**case, "topic": topic})
    return cases
