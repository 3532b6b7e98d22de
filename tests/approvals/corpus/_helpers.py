"""Builders shared by the topic modules, and the documentation sentences the cases cite.

Pages are code.claude.com/docs/en/<page>#<anchor> (snapshot of 2026-08-22, Claude Code 2.1.240);
`changelog` lines are quoted from the changelog page of the same snapshot.
"""

from __future__ import annotations

CWD = ROOT = "/work/repo"
HOME = "/home/ann"
PROJECT_SETTINGS = "claude-settings:/work/repo/.claude/settings.json"
LOCAL_SETTINGS = "claude-settings:/work/repo/.claude/settings.local.json"
USER_SETTINGS = "claude-settings:/home/ann/.claude/settings.json"

ALLOW, ASK, DENY, NONE, NOT_ALLOW = "allow", "ask", "deny", "none", "not-allow"


def rules(allow=(), deny=(), ask=()) -> dict:
    return {"allow": list(allow), "deny": list(deny), "ask": list(ask)}


def case(id: str, tool: str, tool_input, expect: str, cite: str, rule_set: dict, **extra) -> dict:
    found = {"id": id, "rules": rule_set, "tool": tool, "input": tool_input, "expect": expect, "cite": cite}
    found.update(extra)
    return found


def bash(id, command, expect, cite, rule_set, **extra) -> dict:
    return case(id, "Bash", {"command": command}, expect, cite, rule_set, **extra)


def read(id, path, expect, cite, rule_set, **extra) -> dict:
    return case(id, "Read", {"file_path": path}, expect, cite, rule_set, **extra)


def edit(id, path, expect, cite, rule_set, **extra) -> dict:
    return case(id, "Edit", {"file_path": path, "old_string": "a", "new_string": "b"}, expect, cite, rule_set,
                **extra)


def write(id, path, expect, cite, rule_set, **extra) -> dict:
    return case(id, "Write", {"file_path": path, "content": "x"}, expect, cite, rule_set, **extra)


def notebook(id, path, expect, cite, rule_set, **extra) -> dict:
    return case(id, "NotebookEdit", {"notebook_path": path, "new_source": "x"}, expect, cite, rule_set, **extra)


def fetch(id, url, expect, cite, rule_set, **extra) -> dict:
    return case(id, "WebFetch", {"url": url, "prompt": "summarise"}, expect, cite, rule_set, **extra)


def series(prefix: str, rule_set: dict, rows, make=bash, **extra) -> list[dict]:
    """`prefix-1`, `prefix-2`... from (input, expect, cite) rows sharing one rule set."""
    return [make(f"{prefix}-{index}", value, expect, cite, rule_set, **extra)
            for index, (value, expect, cite) in enumerate(rows, start=1)]


# ---- documentation sentences ----------------------------------------------------------------------

ORDER = ("permissions#manage-permissions: 'Rules are evaluated in order: deny, then ask, then allow. The first "
         "match in that order determines the outcome, and rule specificity doesn't change the order.'")
BARE_TOOL = ("permissions#match-all-uses-of-a-tool: 'Bash(*) is equivalent to Bash and matches all Bash "
             "commands.'")
COMPOUND = ("permissions#compound-commands: 'The recognized command separators are &&, ||, ;, |, |&, &, and "
            "newlines. A rule must match each subcommand independently.'")
COMMENT = ("shell grammar (POSIX 2.3, bash 'Comments'): a word beginning with # starts a comment that ends at the "
           "newline, whatever quotes it holds; reference claude-code.md §1 Bash")
WILDCARD = ("permissions#bash: 'A single * matches any sequence of characters including spaces, so one wildcard "
            "can span multiple arguments.'")
WORD_BOUNDARY = ("permissions#bash: 'When * appears at the end with a space before it (like Bash(ls *)), it "
                 "enforces a word boundary ... Bash(ls*) without a space matches both ls -la and lsof'")
LEGACY_COLON = ("permissions#wildcard-patterns: 'The :* suffix is an equivalent way to write a trailing "
                "wildcard ... The :* form is only recognized at the end of a pattern.'")
EXACT = "permissions#bash: 'Bash(npm run build) matches the exact Bash command npm run build'"
WRAPPERS = ("permissions#process-wrappers: 'The stripped wrappers are timeout, time, nice, nohup, and stdbuf, "
            "plus the shell builtins command and builtin, and zsh's noglob.'")
NOT_STRIPPED = ("permissions#process-wrappers: 'Two related forms aren't stripped: the query form command -v, "
                "which looks up a command rather than running one, and zsh's nocorrect.'")
XARGS = ("permissions#process-wrappers: 'Bare xargs is also stripped, so Bash(grep *) matches xargs grep "
         "pattern. Stripping applies only when xargs has no flags'")
RUNNERS = ("permissions#process-wrappers: 'Development environment runners such as direnv exec, devbox run, "
           "mise exec, npx, and docker exec are not in the list ... a rule like Bash(devbox run *) matches "
           "whatever comes after run'")
EXEC_WRAPPERS = ("permissions#process-wrappers: 'Exec wrappers such as watch, setsid, ionice, and flock can't be "
                 "auto-approved by a prefix rule ... The same applies to find with -exec or -delete'")
EXACT_FOR_EXEC = ("permissions#process-wrappers: 'To approve a specific invocation, write an exact-match rule for "
                  "the full command string.'")
SAFE_ENV = ("permissions#process-wrappers: 'Claude Code also strips a leading assignment of certain known-safe "
            "environment variables, so Bash(npm test *) matches NODE_ENV=test npm test. An allow rule won't "
            "match past an assignment of any other variable.'")
SAFE_ENV_EXAMPLES = ("permission-modes#auto-approve-file-edits-with-acceptedits-mode: 'prefixed with safe "
                     "environment variables such as LANG=C or NO_COLOR=1'; changelog: 'unless the var is "
                     "known-safe (LANG, TZ, NO_COLOR, etc.)'")
DENY_ENV = ("permissions#process-wrappers: 'A deny or ask rule matches past any leading assignment, so "
            "Bash(rm *) in deny still matches FOO=bar rm -rf tmp/.'")
BARE_ASSIGNMENT = ("changelog: 'Fixed a permission-prompt bypass where bare variable assignments to "
                   "non-allowlisted environment variables in Bash commands were auto-approved'")
DENY_EXEC_WRAPPERS = ("changelog: 'Security: Bash deny rules now match commands wrapped in env/sudo/watch/"
                      "ionice/setsid and similar exec wrappers'")
REDIRECT = ("permissions#redirections: 'Claude Code checks the target of an output redirection, such as >, >>, "
            "or 2>, as a file write. The check covers your Edit allow and deny rules, protected paths, and the "
            "working directories. A rule such as Bash(git commit *) allows the command, not the target.'")
REDIRECT_DEVNULL = "permissions#redirections: 'A /dev/null target isn't checked.'"
REDIRECT_TILDE_GLOB = "permissions#redirections: 'A target that starts with ~ or contains a glob character needs approval.'"
INPUT_REDIRECT = ("changelog: 'Bash input redirections (< file) are now permission-checked like their argument "
                  "spellings'; reference claude-code.md §1: '< f' is a Read")
READ_EDIT_BASH = ("permissions#read-and-edit: 'Read and Edit deny rules apply to Claude's built-in file tools and "
                  "to file commands Claude Code recognizes in Bash, such as cat, head, tail, and sed.'")
READ_EDIT_GREP = ("tools-reference#edit-tool-behavior: 'Read and Edit deny rules also apply to file commands "
                  "Claude Code recognizes in Bash, such as cat, head, tail, sed, and grep'")
NOT_SCRIPTS = ("permissions#read-and-edit: 'They don't apply to arbitrary subprocesses that read or write files "
               "indirectly, like a Python or Node script that opens files itself.'")
EGREP = ("tools-reference#edit-tool-behavior: 'egrep and fgrep count for read-before-edit but are not checked "
         "against Read deny rules.'")
HOME_VAR = ("changelog: 'Fixed deny rules on home-directory paths (e.g. Read(~/Desktop/**)) not blocking Bash "
            "commands that reference the path via $HOME'")
HEREDOC_MATCH = ("changelog: 'Fixed several permission rule matching issues: wildcard rules not matching commands "
                 "with heredocs, embedded newlines, or no arguments'")
HEREDOC_SMUGGLING = "changelog: 'Improved heredoc delimiter parsing to prevent command smuggling'"
LINE_CONTINUATION = "changelog: 'Fixed permission bypass via shell line continuation that could allow blocked commands to execute'"
HIDDEN_PARTS = "changelog: 'Fixed a Bash permission bypass where a crafted command could hide parts of itself from permission checks'"
INVISIBLE = ("changelog: 'Fixed permission prompts so commands padded with tabs or invisible Unicode can no longer "
             "hide part of the command from the approval dialog'")
QUOTED_HASH = "changelog: 'Fixed Bash(cmd:*) permission rules not matching when a quoted argument contains #'"
SUBSTITUTION = ("reference claude-code.md §1 Bash (docs/rules.md): a part containing command or process "
                "substitution is never allowed by a prefix rule; deny and ask rules still see inside")

PATH_FORMS = ("permissions#read-and-edit: '//path Absolute path from filesystem root; ~/path Path from home "
              "directory; /path Path relative to the settings source; path or ./path Path relative to current "
              "directory'")
GITIGNORE_STAR = ("permissions#read-and-edit: 'In gitignore patterns, * matches within a single path segment and "
                  "can appear at any position in the pattern, while ** matches across directories.'")
BARE_NAMES = ("permissions#read-and-edit: 'Bare filenames follow gitignore semantics and match at any depth, so "
              "Read(.env) and Read(**/.env) are equivalent'")
UNDER_ANCHOR = ("permissions#read-and-edit: 'A rule only matches files under its anchor' (Read(.env) does not "
                "block '.env in a parent directory or another project')")
SINGLE_SEGMENT = ("permissions#read-and-edit: 'Allow rules: Edit(src/**) matches only <cwd>/src and the files "
                  "under it ... Deny and ask rules: Read(secrets/**) matches a directory named secrets at any "
                  "depth under the current directory'")
OTHER_SHAPES = ("permissions#read-and-edit: 'Edit(/src/**) and Edit(src/components/**) match only at their "
                "anchored location, while Edit(**/src/**) matches at any depth.'")
EDIT_COVERS = ("tools-reference#configure-tools-with-permission-rules-and-hooks: 'Edit(/src/**) applies to Edit, "
               "Write, NotebookEdit'")
READ_COVERS = ("tools-reference#configure-tools-with-permission-rules-and-hooks: 'Read(~/secrets/**) applies to "
               "Read, Grep, Glob, LSP'")
EDIT_GRANTS_READ = ("tools-reference#configure-tools-with-permission-rules-and-hooks: 'An Edit(...) allow rule "
                    "also grants read access to the same path'")
READ_DENY_EDIT = ("permissions#read-and-edit: 'A Read deny rule also blocks the Edit and Write tools on the same "
                  "path, including creating a new file there. NotebookEdit isn't covered'")
NEVER_CONSULTED = ("permissions#read-and-edit: 'If you write a path rule for Write, NotebookEdit, Glob, or the "
                   "legacy MultiEdit tool instead, Claude Code accepts the rule but never consults it'")
TOOL_LEVEL = ("permissions#read-and-edit: 'Claude Code doesn't warn about a tool-name rule with no path, such as a "
              "deny rule for Write; it matches that rule at the tool level everywhere.'")
SYMLINK_ALLOW = ("permissions#read-and-edit: 'Allow rules: apply only when both the symlink path and its target "
                 "match. A symlink inside an allowed directory that points outside it still prompts you.'")
SYMLINK_DENY = ("permissions#read-and-edit: 'Deny rules: apply when either the symlink path or its target "
                "matches. A symlink that points to a denied file is itself denied.'")
DOTDOT_AFTER_SYMLINK = ("POSIX path resolution (path_resolution(7)): '..' is taken in the directory the symlink "
                        "resolves to, so link/../.env is the .env beside the link's target, not beside the link")
ANCHOR_TABLE = ("permissions#read-and-edit: 'Project settings at .claude/settings.json -> <project root>/path; "
                "Local settings at .claude/settings.local.json -> <original cwd>/path; User settings at "
                "~/.claude/settings.json -> ~/.claude/path; A file passed with --settings <file> -> <directory of "
                "file>/path'")
LOCAL_ANCHOR = ("permissions#read-and-edit: 'Local settings rules anchor at the directory you started Claude Code "
                "from, not at the repository root where Claude Code stores the file'")
USER_ANCHOR = ("permissions#read-and-edit: 'A deny rule such as Read(/secrets/**) in user settings blocks "
               "~/.claude/secrets/**, not a secrets directory in your project.'")
NERV_CLI_ANCHOR = ("nerv brief / docs/rules.md: a rule nerv stores itself (source cli) anchors /path at the "
                   "project root, the 'root' of the context")

TOOL_GLOBS = ("permissions#tool-name-wildcards: 'Deny and ask rules also accept glob patterns in the tool-name "
              "position. The pattern must match the full tool name: \"*\" matches every tool, and \"mcp__*\" "
              "matches every MCP tool across all servers.'")
ALLOW_GLOBS = ("permissions#tool-name-wildcards: 'Allow rules accept tool-name globs only after a literal "
               "mcp__<server>__ prefix ... An unanchored allow glob such as \"*\", \"B*\", or \"mcp__*\" is skipped "
               "with a warning and doesn't auto-approve anything.'")
MCP = ("permissions#mcp: 'mcp__puppeteer matches any tool provided by the puppeteer server; mcp__puppeteer__* ... "
       "also matches all tools from the puppeteer server; mcp__puppeteer__puppeteer_navigate matches the "
       "puppeteer_navigate tool'")
AGENT = "permissions#agent-subagents: 'Agent(Explore) matches the Explore subagent'"
TASK_ALIAS = ("sub-agents#restrict-which-subagents-can-be-spawned: 'In version 2.1.63, the Task tool was renamed to "
              "Agent. Existing Task(...) references in settings and agent definitions still work as aliases.'")
MONITOR = ("tools-reference#monitor-tool: 'When Monitor runs a command, it uses the same permission rules as Bash, "
           "so allow and deny patterns you have set for Bash apply here too.' (input field: command, "
           "agent-sdk/typescript#monitor)")
MONITOR_WS = ("tools-reference#websocket-source: 'A WebSocket watch takes a ws input in place of command ... "
              "Opening a WebSocket prompts for approval'")
WEBSEARCH = ("tools-reference#websearch-tool-behavior: 'WebSearch permission rules take no specifier. A bare "
             "WebSearch entry in allow or deny is the only form.'")
SKILL = "skills#restrict-claudes-skill-access: 'Permission syntax: Skill(name) for exact match, Skill(name *) for prefix match with any arguments.'"
BARE_DENY = ("permissions#manage-permissions: 'A bare tool name like Bash removes the tool from Claude's context "
             "entirely'")

PARAM = ("permissions#match-by-input-parameter: 'Deny and ask rules can match a top-level input parameter on any "
         "tool with Tool(param:value). The rule matches when Claude calls the tool with that parameter set to that "
         "exact value.'")
PARAM_ALLOW = ("permissions#match-by-input-parameter: 'An allow rule for one parameter value wouldn't establish "
               "that the call is safe overall, so allow rules continue to use each tool's own specifier syntax.'")
PARAM_WILDCARD = ("permissions#match-by-input-parameter: 'The value supports * as a wildcard that matches any "
                  "sequence of characters ... Without * the match is exact'")
PARAM_ABSENT = ("permissions#match-by-input-parameter: 'A parameter the model omits is never matched, so "
                "Agent(model:*) doesn't match a call that leaves model unset'")
PARAM_LITERAL = ("permissions#match-by-input-parameter: 'The value is compared against the literal input Claude "
                 "sends, before any normalization. Agent(model:opus) matches the alias opus but not a full model "
                 "ID.'")
PARAM_NESTED = ("permissions#match-by-input-parameter: 'The parameter name must be a direct field of the tool's "
                "input ... Fields nested inside an object or array are not matchable'")
PARAM_SPACES = "permissions#match-by-input-parameter: 'Whitespace around the colon is ignored'"
PARAM_PRIMARY = ("permissions#match-by-input-parameter: 'You can't match a tool's primary content field this way: "
                 "command for Bash and PowerShell, file_path for Read, Edit, and Write, path for Grep and Glob, "
                 "notebook_path for NotebookEdit, and url for WebFetch ... Claude Code ignores it'")

POWERSHELL = ("permissions#powershell: 'PowerShell permission rules use the same shape as Bash rules. Wildcards "
              "with * match at any position, the :* suffix is equivalent to a trailing *, and a bare PowerShell or "
              "PowerShell(*) matches every command.'")
PS_ALIASES = ("permissions#powershell: 'Common aliases are canonicalized before matching. A rule written for the "
              "cmdlet name also matches its aliases ... Matching is case-insensitive.'")
PS_SPLIT = ("permissions#powershell: 'Pipeline operators |, statement separators ;, and on PowerShell 7+ the chain "
            "operators && and || split a compound command into subcommands. A rule must match every subcommand'")
PS_REMOVE_ITEM = ("permission-modes#remove-item-in-powershell: 'System paths: the filesystem root and its top-level "
                  "directories, drive roots ... and your home directory. Claude Code denies the command in every "
                  "mode' / 'Wildcards: a bare *, or any target ending in /* or \\*'")

PROTECTED = ("permission-modes#protected-paths: 'permissions.allow rules in settings files do not pre-approve "
             "protected-path writes. The safety check runs before Claude Code evaluates allow rules'")
PROTECTED_DIRS = ("permission-modes#protected-paths: 'Protected directories: .git, .config/git, .vscode, .idea, "
                  ".husky, .cargo, .devcontainer, .yarn, .mvn, .claude, except for .claude/worktrees'")
PROTECTED_FILES = "permission-modes#protected-paths: 'Protected files:' list"

CRITICAL = ("permission-modes#critical-paths: 'Claude Code never lets a permissions.allow rule or a PreToolUse hook "
            "that returns \"allow\" approve an rm or rmdir command that targets a critical path'")
CRITICAL_LIST = ("permission-modes#critical-paths: 'The filesystem root; Top-level directories, meaning any direct "
                 "child of the root, such as /usr, /etc, or /data; Your home directory; ... Your working directory "
                 "and its parents'")
CRITICAL_VAR = ("permission-modes#critical-paths: 'Claude Code also treats a glob or trailing slash directly under a "
                "shell variable, such as rm -rf \"$DIR\"/*, as a critical-path removal'")
CRITICAL_SUBST = ("permission-modes#critical-paths: 'Hiding the removal inside command substitution with $(...) or "
                  "backticks, or process substitution with <(...), doesn't skip the check.'")
CRITICAL_DENY = "permission-modes#critical-paths: 'A matching deny rule still blocks the command outright.'"

WEBFETCH = ("permissions#webfetch: 'WebFetch rules use a domain: prefix and match against the hostname of the "
            "requested URL. Matching is case-insensitive, supports * wildcards, and strips a trailing . from both "
            "the rule and the hostname'")
WEBFETCH_SUB = ("permissions#webfetch: 'WebFetch(domain:*.example.com) matches any subdomain at any depth, such as "
                "api.example.com or a.b.example.com, but not example.com itself'")
WEBFETCH_STAR = "permissions#webfetch: 'WebFetch(domain:*) matches every domain and is equivalent to a bare WebFetch rule'"
WEBFETCH_LABEL = ("permissions#webfetch: 'the wildcard matches only the text between two dots. "
                  "WebFetch(domain:example.*) matches example.org ... but not example.evil.com'")
WHATWG = ("reference claude-code.md §1 WebFetch: Claude Code is JavaScript, so the host is the WHATWG URL host "
          "(expectation from node 20: new URL(u).hostname)")
