"""Claude Code's tool names, and what a rule that parses can still get wrong about them. Stdlib only.

Names from code.claude.com/docs/en/tools-reference (snapshot 2026-08), plus names older releases used
(`Task`, `MultiEdit`, `LS`, `BashOutput`, `KillShell`, `SlashCommand`, `NotebookRead`, `TodoRead`) so
settings files written for them are not flagged as unknown.
"""

from __future__ import annotations

TOOLS = frozenset({
    "Agent", "Artifact", "AskUserQuestion", "Bash", "BashOutput", "CronCreate", "CronDelete", "CronList", "Edit",
    "EnterPlanMode", "EnterWorktree", "ExitPlanMode", "ExitWorktree", "Glob", "Grep", "KillShell", "LS", "LSP",
    "ListMcpResourcesTool", "Monitor", "MultiEdit", "NotebookEdit", "NotebookRead", "PowerShell", "Read",
    "ReadMcpResourceTool", "SendMessage", "Skill", "SlashCommand", "Task", "TaskCreate", "TaskGet", "TaskList",
    "TaskOutput", "TaskStop", "TaskUpdate", "TeamCreate", "TeamDelete", "TodoRead", "TodoWrite", "ToolSearch",
    "WebFetch", "WebSearch", "Write",
})
_BY_LOWER = {name.lower(): name for name in TOOLS}
# Claude Code 2.1.210+ never consults path rules of these tools; the rule that does the job instead.
UNCONSULTED_PATH_RULES = {"Write": "Edit", "MultiEdit": "Edit", "NotebookEdit": "Edit", "Glob": "Read"}
NO_SPECIFIER = ("WebSearch",)
UNANCHORED_GLOBS = ("*", "mcp__*")


def rule_warnings(rule, action: str) -> list[str]:
    """Why a parsed rule may never do what it says; empty when nothing looks wrong."""
    tool = rule.tool
    if rule.kind == "glob":
        from nerv.rules.decision import is_anchored_glob

        if action == "allow" and not is_anchored_glob(tool):
            return [f"Claude Code skips unanchored allow globs such as {tool}; "
                    "allow one server with mcp__SERVER or mcp__SERVER__*"]
        return []
    if tool.startswith("mcp__"):
        if action == "allow" and tool in UNANCHORED_GLOBS:
            return [f"Claude Code skips unanchored allow globs such as {tool}; "
                    "allow one server with mcp__SERVER or mcp__SERVER__*"]
        return []
    if tool not in TOOLS:
        known = _BY_LOWER.get(tool.lower())
        if known:
            return [f"{rule.text} can never match: tool names are case-sensitive; did you mean {known}?"]
        return [f"{tool} is not one of Claude Code's tools, so {rule.text} may never match "
                "(an MCP tool is named mcp__SERVER__TOOL)"]
    specifier = rule.specifier  # None for `Tool` and `Tool(*)`: the whole tool, which always counts
    if specifier is None:
        return []
    if tool in UNCONSULTED_PATH_RULES:
        instead = UNCONSULTED_PATH_RULES[tool]
        return [f"Claude Code never consults {tool}(...) path rules; write {instead}({specifier}) instead"]
    if tool in NO_SPECIFIER:
        return [f"{tool} takes no specifier, so {rule.text} is not matched against the query; use plain {tool}"]
    return []

