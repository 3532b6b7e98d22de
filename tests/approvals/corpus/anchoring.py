"""Where `/path` points depends on where the rule came from (its source); `//`, `~/` and relative patterns
do not. Sources: `claude-settings:<absolute settings file>` for imported rules, `cli` for nerv's own."""

from __future__ import annotations

from ._helpers import (ALLOW, ANCHOR_TABLE, DENY, LOCAL_ANCHOR, LOCAL_SETTINGS, NERV_CLI_ANCHOR, NONE, NOT_ALLOW,
                       PATH_FORMS, PROJECT_SETTINGS, REDIRECT, USER_ANCHOR, USER_SETTINGS, bash, edit, read, rules)

SUB_PROJECT = "claude-settings:/work/repo/pkg/.claude/settings.json"
EXTRA = "claude-settings:/opt/team/perms.json"
SUBDIR = {"cwd": "/work/repo/pkg", "root": "/work/repo"}
SETTINGS_FILE_FLAG = (ANCHOR_TABLE + " -- a settings file outside any .claude/ folder can only come from --settings "
                      "(docs silent on how nerv tells; nerv can only go by the file's place)")


def src(text: str, source: str) -> dict:
    return {text: source}


EDIT_SRC = rules(allow=["Edit(/src/**)"])
CASES = [
    # project settings: <project root>/path, the folder holding .claude/
    edit("anchor-project-1", "/work/repo/src/a.py", ALLOW, ANCHOR_TABLE, EDIT_SRC,
         sources=src("Edit(/src/**)", PROJECT_SETTINGS)),
    edit("anchor-project-2", "/src/a.py", NONE, ANCHOR_TABLE + " -- not the filesystem root", EDIT_SRC,
         sources=src("Edit(/src/**)", PROJECT_SETTINGS)),
    edit("anchor-project-3", "/work/repo/src/a.py", ALLOW, ANCHOR_TABLE + " -- the project root, not the cwd",
         EDIT_SRC, sources=src("Edit(/src/**)", PROJECT_SETTINGS), **SUBDIR),
    edit("anchor-project-4", "/work/repo/pkg/src/a.py", NONE, ANCHOR_TABLE + " -- the project root, not the cwd",
         EDIT_SRC, sources=src("Edit(/src/**)", PROJECT_SETTINGS), **SUBDIR),
    edit("anchor-project-5", "/work/repo/pkg/src/a.py", ALLOW, ANCHOR_TABLE + " -- the project of that settings file is pkg",
         EDIT_SRC, sources=src("Edit(/src/**)", SUB_PROJECT), **SUBDIR),
    edit("anchor-project-6", "/work/repo/src/a.py", NONE, ANCHOR_TABLE + " -- the project of that settings file is pkg",
         EDIT_SRC, sources=src("Edit(/src/**)", SUB_PROJECT), **SUBDIR),
    # local settings: the original working directory
    edit("anchor-local-1", "/work/repo/pkg/src/a.py", ALLOW, LOCAL_ANCHOR, EDIT_SRC,
         sources=src("Edit(/src/**)", LOCAL_SETTINGS), **SUBDIR),
    edit("anchor-local-2", "/work/repo/src/a.py", NONE, LOCAL_ANCHOR, EDIT_SRC,
         sources=src("Edit(/src/**)", LOCAL_SETTINGS), **SUBDIR),
    edit("anchor-local-3", "/work/repo/src/a.py", ALLOW, LOCAL_ANCHOR + " -- started at the root: the same folder",
         EDIT_SRC, sources=src("Edit(/src/**)", LOCAL_SETTINGS)),
    # user settings: ~/.claude/path
    read("anchor-user-1", "/home/ann/.claude/secrets/x", DENY, USER_ANCHOR, rules(deny=["Read(/secrets/**)"]),
         sources=src("Read(/secrets/**)", USER_SETTINGS)),
    read("anchor-user-2", "/work/repo/secrets/x", NONE, USER_ANCHOR, rules(deny=["Read(/secrets/**)"]),
         sources=src("Read(/secrets/**)", USER_SETTINGS)),
    read("anchor-user-3", "/secrets/x", NONE, USER_ANCHOR, rules(deny=["Read(/secrets/**)"]),
         sources=src("Read(/secrets/**)", USER_SETTINGS)),
    read("anchor-user-4", "/home/ann/.claude/.env", DENY, ANCHOR_TABLE, rules(deny=["Read(/.env)"]),
         sources=src("Read(/.env)", USER_SETTINGS)),
    read("anchor-user-5", "/work/repo/.env", NONE, ANCHOR_TABLE + " -- 'use a // absolute path or a ~/ home-relative path instead'",
         rules(deny=["Read(/.env)"]), sources=src("Read(/.env)", USER_SETTINGS)),
    read("anchor-user-6", "/home/ann/.claude/agents/a.md", ALLOW, ANCHOR_TABLE, rules(allow=["Read(/agents/**)"]),
         sources=src("Read(/agents/**)", USER_SETTINGS)),
    edit("anchor-user-7", "/home/ann/.claude/agents/a.md", NOT_ALLOW, ANCHOR_TABLE + "; permission-modes#protected-paths: ~/.claude is a .claude folder, no allow rule pre-approves writing it",
         rules(allow=["Edit(/agents/**)"]), sources=src("Edit(/agents/**)", USER_SETTINGS)),
    # --settings FILE: the file's folder
    edit("anchor-flag-1", "/opt/team/src/a.py", ALLOW, SETTINGS_FILE_FLAG, EDIT_SRC, sources=src("Edit(/src/**)", EXTRA)),
    edit("anchor-flag-2", "/work/repo/src/a.py", NONE, SETTINGS_FILE_FLAG, EDIT_SRC, sources=src("Edit(/src/**)", EXTRA)),
    # nerv's own rules: the project root
    edit("anchor-cli-1", "/work/repo/src/a.py", ALLOW, NERV_CLI_ANCHOR, EDIT_SRC, **SUBDIR),
    edit("anchor-cli-2", "/work/repo/pkg/src/a.py", NONE, NERV_CLI_ANCHOR, EDIT_SRC, **SUBDIR),
    # the other anchors ignore the source
    read("anchor-other-1", "/home/ann/.ssh/id_rsa", DENY, PATH_FORMS + " -- ~/ whatever the source",
         rules(deny=["Read(~/.ssh/**)"]), sources=src("Read(~/.ssh/**)", USER_SETTINGS)),
    read("anchor-other-2", "/etc/shadow", DENY, PATH_FORMS + " -- // whatever the source",
         rules(deny=["Read(//etc/shadow)"]), sources=src("Read(//etc/shadow)", USER_SETTINGS)),
    read("anchor-other-3", "/work/repo/.env", DENY, PATH_FORMS + " -- a relative pattern is at the cwd whatever the source",
         rules(deny=["Read(.env)"]), sources=src("Read(.env)", USER_SETTINGS)),
    read("anchor-other-4", "/work/repo/pkg/.env", DENY, PATH_FORMS + " -- ./ is the cwd",
         rules(deny=["Read(./.env)"]), sources=src("Read(./.env)", LOCAL_SETTINGS), **SUBDIR),
    read("anchor-other-5", "/work/repo/.env", NONE, PATH_FORMS + " -- ./ is the cwd, not the project root",
         rules(deny=["Read(./.env)"]), sources=src("Read(./.env)", PROJECT_SETTINGS), **SUBDIR),
    # one text, two sources
    read("anchor-mixed-1", "/work/repo/secrets/a", ALLOW, USER_ANCHOR + " -- the user deny is in ~/.claude, the project allow in the repo",
         rules(deny=["Read(/secrets/**)"], allow=["Read(/secrets/**)"]),
         sources={"deny:Read(/secrets/**)": USER_SETTINGS, "allow:Read(/secrets/**)": PROJECT_SETTINGS}),
    read("anchor-mixed-2", "/home/ann/.claude/secrets/a", DENY, USER_ANCHOR,
         rules(deny=["Read(/secrets/**)"], allow=["Read(/secrets/**)"]),
         sources={"deny:Read(/secrets/**)": USER_SETTINGS, "allow:Read(/secrets/**)": PROJECT_SETTINGS}),
    # redirections follow the same anchors
    bash("anchor-redirect-1", "echo x > out/a.txt", ALLOW, REDIRECT + "; " + ANCHOR_TABLE,
         rules(allow=["Bash(echo *)", "Edit(/out/**)"]), sources=src("Edit(/out/**)", PROJECT_SETTINGS)),
    bash("anchor-redirect-2", "echo x > out/a.txt", NOT_ALLOW, REDIRECT + "; " + ANCHOR_TABLE + " -- out/a.txt is pkg/out, the rule is the root's out",
         rules(allow=["Bash(echo *)", "Edit(/out/**)"]), sources=src("Edit(/out/**)", PROJECT_SETTINGS), **SUBDIR),
    bash("anchor-redirect-3", "echo x > /work/repo/out/a.txt", ALLOW, REDIRECT + "; " + ANCHOR_TABLE,
         rules(allow=["Bash(echo *)", "Edit(/out/**)"]), sources=src("Edit(/out/**)", PROJECT_SETTINGS), **SUBDIR),
    bash("anchor-redirect-4", "cat ~/.claude/secrets/k", DENY, USER_ANCHOR + "; permissions#read-and-edit (Bash file commands)",
         rules(deny=["Read(/secrets/**)"], allow=["Bash(cat *)"]), sources=src("Read(/secrets/**)", USER_SETTINGS)),
    bash("anchor-bash-rule", "rm -rf build", DENY, "permissions#bash: a Bash rule has no anchor; its source changes nothing",
         rules(deny=["Bash(rm *)"]), sources=src("Bash(rm *)", USER_SETTINGS)),
]
