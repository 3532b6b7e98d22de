"""`Tool(param:value)`: deny and ask rules on one top-level scalar input parameter."""

from __future__ import annotations

from ._helpers import (ALLOW, ASK, DENY, NONE, ORDER, PARAM, PARAM_ABSENT, PARAM_ALLOW, PARAM_LITERAL, PARAM_NESTED,
                       PARAM_PRIMARY, PARAM_SPACES, PARAM_WILDCARD, case, rules)


def agent(**fields):
    return {"description": "d", "prompt": "p", "subagent_type": "general-purpose", **fields}


BG = rules(deny=["Bash(run_in_background:true)"])
MODEL = rules(deny=["Agent(model:opus)"])

CASES = [
    case("param-bg-1", "Bash", {"command": "npm test", "run_in_background": True}, DENY, PARAM + " (table: Bash(run_in_background:true))", BG),
    case("param-bg-2", "Bash", {"command": "npm test", "run_in_background": False}, NONE, PARAM + " -- false is not true", BG),
    case("param-bg-3", "Bash", {"command": "npm test"}, NONE, PARAM_ABSENT, BG),
    case("param-bg-4", "Bash", {"command": "npm test", "run_in_background": True}, DENY, PARAM + "; " + ORDER,
         rules(deny=["Bash(run_in_background:true)"], allow=["Bash(npm test *)"])),
    case("param-bg-5", "Bash", {"command": "npm test", "run_in_background": False}, ALLOW, PARAM + " -- the deny does not match; the allow does",
         rules(deny=["Bash(run_in_background:true)"], allow=["Bash(npm test *)"])),
    case("param-bg-ask", "Bash", {"command": "npm test", "run_in_background": True}, ASK, PARAM + " -- ask rules too",
         rules(ask=["Bash(run_in_background:true)"], allow=["Bash(npm test *)"])),
    case("param-model-1", "Agent", agent(model="opus"), DENY, PARAM + " (table: Agent(model:opus))", MODEL),
    case("param-model-2", "Agent", agent(model="claude-opus-4-8"), NONE, PARAM_LITERAL, MODEL),
    case("param-model-3", "Agent", agent(model="Opus"), NONE, PARAM_WILDCARD + " -- exact", MODEL),
    case("param-model-4", "Agent", agent(model="sonnet"), NONE, PARAM, MODEL),
    case("param-model-5", "Agent", agent(), NONE, PARAM_ABSENT, MODEL),
    case("param-model-6", "Task", agent(model="opus"), DENY, PARAM + "; sub-agents: Task is an alias of Agent", MODEL),
    case("param-model-star-1", "Agent", agent(model="haiku"), DENY, PARAM_WILDCARD, rules(deny=["Agent(model:*)"])),
    case("param-model-star-2", "Agent", agent(), NONE, PARAM_ABSENT + " -- 'Agent(model:*) doesn't match a call that leaves model unset'", rules(deny=["Agent(model:*)"])),
    case("param-model-prefix-1", "Agent", agent(model="opus"), DENY, PARAM_WILDCARD, rules(deny=["Agent(model:opus*)"])),
    case("param-model-prefix-2", "Agent", agent(model="opus-4"), DENY, PARAM_WILDCARD, rules(deny=["Agent(model:opus*)"])),
    case("param-model-prefix-3", "Agent", agent(model="claude-opus-4-8"), NONE, PARAM_WILDCARD + " -- opus* is a prefix", rules(deny=["Agent(model:opus*)"])),
    case("param-isolation", "Agent", agent(isolation="worktree"), ASK, PARAM + " (table: Agent(isolation:worktree))", rules(ask=["Agent(isolation:worktree)"])),
    case("param-isolation-star", "Agent", agent(isolation="remote"), DENY, PARAM_WILDCARD + " -- 'Agent(isolation:*) matches any explicit isolation value'", rules(deny=["Agent(isolation:*)"])),
    case("param-two-rules", "Agent", agent(model="opus", isolation="worktree"), DENY, "permissions#match-by-input-parameter: 'Each rule names one parameter ... write two rules'",
         rules(deny=["Agent(model:opus)"], ask=["Agent(isolation:worktree)"])),
    case("param-spaces", "Agent", agent(model="opus"), DENY, PARAM_SPACES, rules(deny=["Agent(model : opus)"])),
    case("param-number", "Bash", {"command": "npm test", "timeout": 600000}, DENY, PARAM + " -- a number is a scalar", rules(deny=["Bash(timeout:600000)"])),
    case("param-string-field", "Bash", {"command": "ls", "description": "cleanup run"}, DENY, PARAM_WILDCARD, rules(deny=["Bash(description:cleanup*)"])),
    case("param-edit", "Edit", {"file_path": "/work/repo/a.py", "old_string": "a", "new_string": "b", "replace_all": True}, DENY, PARAM, rules(deny=["Edit(replace_all:true)"])),
    case("param-read-offset", "Read", {"file_path": "/work/repo/a.py", "offset": 10}, DENY, PARAM + " -- 'on any tool'", rules(deny=["Read(offset:*)"])),
    case("param-read-offset-absent", "Read", {"file_path": "/work/repo/a.py"}, NONE, PARAM_ABSENT, rules(deny=["Read(offset:*)"])),
    case("param-webfetch-prompt", "WebFetch", {"url": "https://docs.example.com/", "prompt": "x"}, DENY, PARAM + " -- prompt is not WebFetch's primary field", rules(deny=["WebFetch(prompt:*)"], allow=["WebFetch(domain:docs.example.com)"])),
    case("param-mcp", "mcp__db__query", {"sql": "select 1", "readonly": False}, DENY, PARAM + " -- 'on any tool'", rules(deny=["mcp__db__query(readonly:false)"], allow=["mcp__db"])),
    case("param-nested-array", "WebSearch", {"query": "x", "allowed_domains": ["evil.test"]}, NONE, PARAM_NESTED, rules(deny=["WebSearch(allowed_domains:*)"])),
    case("param-nested-object", "Monitor", {"ws": {"url": "wss://x"}, "description": "d"}, NONE, PARAM_NESTED, rules(deny=["Monitor(ws:*)"])),
    case("param-primary-command", "Bash", {"command": "rm -rf build"}, NONE, PARAM_PRIMARY + " -- Bash(command:rm *)", rules(deny=["Bash(command:rm *)"])),
    case("param-primary-file", "Read", {"file_path": "/etc/passwd"}, NONE, PARAM_PRIMARY + " -- Read(file_path:...)", rules(deny=["Read(file_path:/etc/passwd)"])),
    case("param-primary-path", "Grep", {"pattern": "x", "path": "/work/repo/.env"}, NONE, PARAM_PRIMARY + " -- Grep(path:...)", rules(deny=["Grep(path:/work/repo/.env)"])),
    case("param-primary-notebook", "NotebookEdit", {"notebook_path": "/work/repo/a.ipynb", "new_source": "x"}, NONE, PARAM_PRIMARY, rules(deny=["NotebookEdit(notebook_path:*)"])),
    case("param-primary-url", "WebFetch", {"url": "https://evil.test/", "prompt": "x"}, NONE, PARAM_PRIMARY + " -- WebFetch(url:...)", rules(deny=["WebFetch(url:*)"])),
    case("param-primary-powershell", "PowerShell", {"command": "Remove-Item x"}, NONE, PARAM_PRIMARY, rules(deny=["PowerShell(command:Remove-Item *)"])),
    case("param-allow-bash", "Bash", {"command": "evil", "run_in_background": True}, NONE, PARAM_ALLOW, rules(allow=["Bash(run_in_background:true)"])),
    case("param-allow-agent", "Agent", agent(subagent_type="Explore", model="opus"), NONE, PARAM_ALLOW, rules(allow=["Agent(model:opus)"])),
    case("param-allow-mcp", "mcp__db__query", {"sql": "drop table x", "readonly": True}, NONE, PARAM_ALLOW, rules(allow=["mcp__db__query(readonly:true)"])),
]
