"""Tool names: globs in the tool-name position, MCP servers and tools, bare tool rules, Agent and its alias Task,
Monitor (Bash's rules), WebSearch (no specifier), Skill."""

from __future__ import annotations

from ._helpers import (AGENT, ALLOW, ALLOW_GLOBS, ASK, BARE_DENY, DENY, MCP, MONITOR, MONITOR_WS, NONE, NOT_ALLOW,
                       ORDER, READ_EDIT_BASH, SKILL, TASK_ALIAS, TOOL_GLOBS, WEBSEARCH, bash, case, fetch, read,
                       rules)

CASES = []


def tool(id, name, tool_input, expect, cite, rule_set, **extra):
    return case(id, name, tool_input, expect, cite, rule_set, **extra)


AGENT_IN = {"description": "d", "prompt": "p", "subagent_type": "Explore"}

# ---- tool-name globs -------------------------------------------------------------------------------------
STAR_DENY = rules(deny=["*"])
CASES += [
    bash("tools-star-deny-bash", "ls", DENY, TOOL_GLOBS, STAR_DENY),
    read("tools-star-deny-read", "/work/repo/a.txt", DENY, TOOL_GLOBS, STAR_DENY),
    tool("tools-star-deny-mcp", "mcp__github__create_issue", {}, DENY, TOOL_GLOBS, STAR_DENY),
    fetch("tools-star-deny-fetch", "https://example.com/", DENY, TOOL_GLOBS, STAR_DENY),
    tool("tools-star-deny-agent", "Agent", AGENT_IN, DENY, TOOL_GLOBS, STAR_DENY),
    tool("tools-star-ask-websearch", "WebSearch", {"query": "x"}, ASK, TOOL_GLOBS, rules(ask=["*"])),
    bash("tools-star-ask-beats-allow", "npm test", ASK, TOOL_GLOBS + "; " + ORDER, rules(ask=["*"], allow=["Bash(npm test *)"])),
    bash("tools-star-allow-skipped", "ls", NONE, ALLOW_GLOBS, rules(allow=["*"])),
    read("tools-star-allow-skipped-read", "/work/repo/a.txt", NONE, ALLOW_GLOBS, rules(allow=["*"])),
    tool("tools-star-allow-skipped-mcp", "mcp__github__create_issue", {}, NONE, ALLOW_GLOBS, rules(allow=["*"])),
    bash("tools-b-star-allow-skipped", "ls", NONE, ALLOW_GLOBS + " -- 'B*'", rules(allow=["B*"])),
    bash("tools-b-star-deny", "ls", DENY, TOOL_GLOBS + " -- B* matches the full name Bash", rules(deny=["B*"])),
    read("tools-b-star-deny-other", "/work/repo/a.txt", NONE, TOOL_GLOBS + " -- B* does not match Read", rules(deny=["B*"])),
    tool("tools-mcp-star-deny", "mcp__github__create_issue", {}, DENY, TOOL_GLOBS, rules(deny=["mcp__*"])),
    tool("tools-mcp-star-deny-2", "mcp__db__query", {}, DENY, TOOL_GLOBS, rules(deny=["mcp__*"])),
    bash("tools-mcp-star-deny-not-bash", "ls", NONE, TOOL_GLOBS + " -- mcp__* matches MCP tools only", rules(deny=["mcp__*"])),
    tool("tools-mcp-star-ask", "mcp__db__query", {}, ASK, TOOL_GLOBS, rules(ask=["mcp__*"], allow=["mcp__db"])),
    tool("tools-mcp-star-allow-skipped", "mcp__github__create_issue", {}, NONE, ALLOW_GLOBS, rules(allow=["mcp__*"])),
    tool("tools-mcp-anchored-glob", "mcp__github__get_issue", {}, ALLOW, ALLOW_GLOBS + " -- 'mcp__github__get_* matches its get_ tools'", rules(allow=["mcp__github__get_*"])),
    tool("tools-mcp-anchored-glob-miss", "mcp__github__create_issue", {}, NONE, ALLOW_GLOBS, rules(allow=["mcp__github__get_*"])),
    tool("tools-mcp-anchored-glob-other-server", "mcp__gitlab__get_issue", {}, NONE, ALLOW_GLOBS, rules(allow=["mcp__github__get_*"])),
    tool("tools-mcp-server-glob-allow", "mcp__github__get_issue", {}, NONE, ALLOW_GLOBS + " -- 'The server segment must be glob-free'", rules(allow=["mcp__git*__get_issue"])),
    tool("tools-mcp-server-glob-deny", "mcp__github__get_issue", {}, DENY, TOOL_GLOBS + " -- deny globs may sit anywhere", rules(deny=["mcp__git*__get_issue"])),
    tool("tools-mcp-mid-glob-deny", "mcp__db__delete_row", {}, DENY, TOOL_GLOBS, rules(deny=["mcp__*__delete_*"])),
    tool("tools-mcp-mid-glob-deny-miss", "mcp__db__query", {}, NONE, TOOL_GLOBS, rules(deny=["mcp__*__delete_*"])),
    tool("tools-suffix-glob-deny", "mcp__db__drop", {}, DENY, TOOL_GLOBS, rules(deny=["*__drop"])),
]

# ---- MCP servers and tools -------------------------------------------------------------------------------
CASES += [
    tool("tools-mcp-server-1", "mcp__github__create_issue", {}, ALLOW, MCP, rules(allow=["mcp__github"])),
    tool("tools-mcp-server-2", "mcp__github2__create_issue", {}, NONE, MCP + " -- another server", rules(allow=["mcp__github"])),
    tool("tools-mcp-server-3", "mcp__githu__create_issue", {}, NONE, MCP, rules(allow=["mcp__github"])),
    tool("tools-mcp-server-star-1", "mcp__github__list_prs", {}, ALLOW, MCP, rules(allow=["mcp__github__*"])),
    tool("tools-mcp-server-star-2", "mcp__githubx__list_prs", {}, NONE, MCP, rules(allow=["mcp__github__*"])),
    tool("tools-mcp-tool-1", "mcp__github__create_issue", {}, ALLOW, MCP, rules(allow=["mcp__github__create_issue"])),
    tool("tools-mcp-tool-2", "mcp__github__create_issue_comment", {}, NONE, MCP + " -- the whole tool name", rules(allow=["mcp__github__create_issue"])),
    tool("tools-mcp-tool-3", "mcp__github__list_prs", {}, NONE, MCP, rules(allow=["mcp__github__create_issue"])),
    tool("tools-mcp-deny-server", "mcp__db__query", {}, DENY, MCP + "; changelog: 'Fixed deny: [\"mcp__servername\"] permission rules not removing MCP server tools'", rules(deny=["mcp__db"], allow=["mcp__db__query"])),
    tool("tools-mcp-deny-tool", "mcp__db__drop", {}, DENY, MCP + "; " + ORDER, rules(deny=["mcp__db__drop"], allow=["mcp__db"])),
    tool("tools-mcp-deny-tool-other", "mcp__db__query", {}, ALLOW, MCP, rules(deny=["mcp__db__drop"], allow=["mcp__db"])),
    tool("tools-mcp-ask-tool", "mcp__db__write", {}, ASK, MCP + "; " + ORDER, rules(ask=["mcp__db__write"], allow=["mcp__db"])),
    tool("tools-mcp-underscore-server", "mcp__claude_ai_drive__search", {}, ALLOW, MCP + " -- connector tools are mcp__claude_ai_<server>__<tool>", rules(allow=["mcp__claude_ai_drive"])),
    tool("tools-mcp-underscore-prefix", "mcp__claude_ai_drive__search", {}, NONE, MCP + " -- mcp__claude is another server name", rules(allow=["mcp__claude"])),
]

# ---- bare tool rules ---------------------------------------------------------------------------------------
CASES += [
    bash("tools-bare-deny-bash", "ls -la", DENY, BARE_DENY, rules(deny=["Bash"], allow=["Bash(ls *)"])),
    read("tools-bare-deny-read", "/work/repo/README.md", DENY, BARE_DENY, rules(deny=["Read"])),
    fetch("tools-bare-deny-fetch", "https://docs.example.com/", DENY, BARE_DENY, rules(deny=["WebFetch"], allow=["WebFetch(domain:docs.example.com)"])),
    tool("tools-bare-deny-other", "ExitPlanMode", {}, DENY, "tools-reference: 'Tools not listed here, such as ExitPlanMode ... accept only the bare tool name'", rules(deny=["ExitPlanMode"])),
    tool("tools-bare-allow-other", "TodoWrite", {"todos": []}, ALLOW, "permissions#match-all-uses-of-a-tool", rules(allow=["TodoWrite"])),
    tool("tools-bare-case", "bash", {"command": "ls"}, NONE, "permissions#tool-name-wildcards: 'Permission rules ... match the canonical name only'", rules(allow=["Bash"])),
]

# ---- Agent and Task ---------------------------------------------------------------------------------------------
CASES += [
    tool("tools-agent-1", "Agent", AGENT_IN, ALLOW, AGENT, rules(allow=["Agent(Explore)"])),
    tool("tools-agent-2", "Agent", {**AGENT_IN, "subagent_type": "Plan"}, NONE, AGENT, rules(allow=["Agent(Explore)"])),
    tool("tools-agent-task-rule", "Agent", AGENT_IN, ALLOW, TASK_ALIAS + " -- a Task(...) rule matches the Agent tool", rules(allow=["Task(Explore)"])),
    tool("tools-agent-task-call", "Task", AGENT_IN, ALLOW, TASK_ALIAS + " -- an Agent(...) rule matches a call named Task", rules(allow=["Agent(Explore)"])),
    tool("tools-agent-deny", "Agent", {**AGENT_IN, "subagent_type": "general-purpose"}, DENY, AGENT + "; reference claude-code.md §1 (observed 2.1.197: a Task(general-purpose) deny blocks it)", rules(deny=["Task(general-purpose)"])),
    tool("tools-agent-deny-agent", "Task", {**AGENT_IN, "subagent_type": "Plan"}, DENY, TASK_ALIAS, rules(deny=["Agent(Plan)"])),
    tool("tools-agent-deny-beats-allow", "Agent", AGENT_IN, DENY, ORDER, rules(deny=["Agent(Explore)"], allow=["Agent"])),
    tool("tools-agent-bare-deny", "Task", AGENT_IN, DENY, TASK_ALIAS + "; " + BARE_DENY, rules(deny=["Agent"])),
    tool("tools-agent-bare-task-deny", "Agent", AGENT_IN, DENY, TASK_ALIAS + "; " + BARE_DENY, rules(deny=["Task"])),
    tool("tools-agent-custom", "Agent", {**AGENT_IN, "subagent_type": "my-custom-agent"}, ALLOW, "permissions#agent-subagents: 'Agent(my-custom-agent) matches a custom subagent named my-custom-agent'", rules(allow=["Agent(my-custom-agent)"])),
    tool("tools-agent-omitted-type", "Agent", {"description": "d", "prompt": "p"}, DENY, "docs silent: a call without subagent_type runs general-purpose (skills: 'If omitted, uses general-purpose'), so a demanding user expects the deny", rules(deny=["Agent(general-purpose)"])),
]

# ---- Monitor uses Bash's rules ----------------------------------------------------------------------------------
MON = rules(allow=["Bash(tail *)", "Bash(npm test *)"], deny=["Bash(rm *)", "Read(./.env)"])
CASES += [
    tool("tools-monitor-allow", "Monitor", {"command": "tail -f log/app.log", "description": "d"}, ALLOW, MONITOR, MON),
    tool("tools-monitor-deny", "Monitor", {"command": "rm -rf build", "description": "d"}, DENY, MONITOR, MON),
    tool("tools-monitor-compound", "Monitor", {"command": "tail -f x.log; rm -rf build", "description": "d"}, DENY, MONITOR + "; permissions#compound-commands", MON),
    tool("tools-monitor-compound-evil", "Monitor", {"command": "tail -f x.log && evil", "description": "d"}, NOT_ALLOW, MONITOR + "; permissions#compound-commands", MON),
    tool("tools-monitor-none", "Monitor", {"command": "evil", "description": "d"}, NOT_ALLOW, MONITOR, MON),
    tool("tools-monitor-read-deny", "Monitor", {"command": "tail -f .env", "description": "d"}, DENY, MONITOR + "; " + READ_EDIT_BASH, MON),
    tool("tools-monitor-wrapper", "Monitor", {"command": "timeout 60 npm test", "description": "d"}, ALLOW, MONITOR + "; permissions#process-wrappers", MON),
    tool("tools-monitor-ws", "Monitor", {"ws": {"url": "wss://feed.example.com/"}, "description": "d"}, NOT_ALLOW, MONITOR_WS, rules(allow=["Bash"])),
    tool("tools-monitor-bare", "Monitor", {"command": "evil", "description": "d"}, ALLOW, "permissions#match-all-uses-of-a-tool: a bare Monitor allow (tools-reference#monitor-tool sets it aside in auto mode only)", rules(allow=["Monitor"])),
    tool("tools-monitor-bare-deny-wins", "Monitor", {"command": "rm -rf build", "description": "d"}, DENY, MONITOR + "; " + ORDER, rules(allow=["Monitor"], deny=["Bash(rm *)"])),
    tool("tools-monitor-bash-bare-allow", "Monitor", {"command": "evil", "description": "d"}, ALLOW, MONITOR + " -- a bare Bash allow covers Monitor commands", rules(allow=["Bash"])),
    tool("tools-monitor-bash-bare-deny", "Monitor", {"command": "tail -f x", "description": "d"}, DENY, MONITOR + "; " + BARE_DENY, rules(deny=["Bash"])),
]

# ---- WebSearch takes no specifier ----------------------------------------------------------------------------------
CASES += [
    tool("tools-websearch-allow", "WebSearch", {"query": "react hooks"}, ALLOW, WEBSEARCH, rules(allow=["WebSearch"])),
    tool("tools-websearch-deny", "WebSearch", {"query": "react hooks"}, DENY, WEBSEARCH, rules(deny=["WebSearch"], allow=["WebSearch"])),
    tool("tools-websearch-none", "WebSearch", {"query": "react hooks"}, NONE, WEBSEARCH, rules()),
    tool("tools-websearch-specifier-allow", "WebSearch", {"query": "react"}, NOT_ALLOW, WEBSEARCH + " -- a specifier cannot narrow it: WebSearch(react) is no allow rule", rules(allow=["WebSearch(react)"])),
    tool("tools-websearch-domains-not-webfetch", "WebSearch", {"query": "x", "allowed_domains": ["docs.example.com"]}, NONE, WEBSEARCH + " -- WebFetch domain rules are WebFetch's", rules(allow=["WebFetch(domain:docs.example.com)"])),
]

# ---- Skill ------------------------------------------------------------------------------------------------------
SK = rules(allow=["Skill(commit)", "Skill(review-pr *)"], deny=["Skill(deploy *)"])
CASES += [
    tool("tools-skill-exact", "Skill", {"skill": "commit"}, ALLOW, SKILL, SK),
    tool("tools-skill-exact-miss", "Skill", {"skill": "commit-all"}, NONE, SKILL, SK),
    tool("tools-skill-exact-args", "Skill", {"skill": "commit", "args": "-m x"}, NOT_ALLOW, SKILL + " -- exact match: docs silent on arguments, so no vouching for them", SK),
    tool("tools-skill-prefix", "Skill", {"skill": "review-pr"}, ALLOW, SKILL + "; changelog: 'Fixed Skill(name *) permission rules — the wildcard form now works as a prefix match, matching Bash(ls *) behavior'", SK),
    tool("tools-skill-prefix-args", "Skill", {"skill": "review-pr", "args": "123"}, ALLOW, SKILL, SK),
    tool("tools-skill-prefix-miss", "Skill", {"skill": "review-prx"}, NONE, SKILL + " -- word boundary as Bash(ls *)", SK),
    tool("tools-skill-deny", "Skill", {"skill": "deploy"}, DENY, SKILL, SK),
    tool("tools-skill-deny-args", "Skill", {"skill": "deploy", "args": "prod"}, DENY, SKILL, SK),
    tool("tools-skill-bare-deny", "Skill", {"skill": "commit"}, DENY, "skills#restrict-claudes-skill-access: 'Disable all skills by denying the Skill tool'", rules(deny=["Skill"], allow=["Skill(commit)"])),
]
