"""Read and Edit path rules: the four anchors, * and **, bare names, single-segment depth, which tools each
rule covers, rules never consulted, .. folding, symlinks (a real filesystem under {tmp})."""

from __future__ import annotations

from ._helpers import (ALLOW, BARE_NAMES, DENY, DOTDOT_AFTER_SYMLINK, EDIT_COVERS, EDIT_GRANTS_READ, GITIGNORE_STAR,
                       NEVER_CONSULTED, NONE, NOT_ALLOW, OTHER_SHAPES, PATH_FORMS, READ_COVERS, READ_DENY_EDIT,
                       READ_EDIT_BASH, REDIRECT, SINGLE_SEGMENT, SYMLINK_ALLOW, SYMLINK_DENY, TOOL_LEVEL, UNDER_ANCHOR,
                       ASK, case, edit, notebook, read, rules, series, write)

GITIGNORE_DIR = ("gitignore(5): 'If there is a separator at the end of the pattern then the pattern will only match "
                 "directories'; a matched directory covers everything inside it (deny and ask)")
DOT_ANCHOR = ("docs silent on whether ./dir/** is a 'single-segment directory pattern'; the docs' own example "
              "Read(./.env) 'Matches reading the .env file in the current directory', so ./ anchors at the cwd")

CASES = []

# ---- the four anchors (source cli: /p is the project root) ------------------------------------------
CASES += series("path-abs", rules(allow=["Read(//opt/data/**)"]), [
    ("/opt/data/a.csv", ALLOW, PATH_FORMS + " -- //path"),
    ("/opt/data/x/y.csv", ALLOW, PATH_FORMS + " -- ** any depth"),
    ("/opt/datax/a.csv", NONE, PATH_FORMS),
    ("/work/repo/opt/data/a.csv", NONE, PATH_FORMS + " -- // is the filesystem root, not the project"),
], make=read)
CASES += series("path-home", rules(allow=["Read(~/notes/**)"]), [
    ("/home/ann/notes/a.md", ALLOW, PATH_FORMS + " -- ~/path"),
    ("/home/ann/notesx/a.md", NONE, PATH_FORMS),
    ("/home/bob/notes/a.md", NONE, PATH_FORMS + " -- ~ is the user's own home"),
    ("/work/repo/~/notes/a.md", NONE, PATH_FORMS),
], make=read)
CASES += series("path-root", rules(allow=["Edit(/src/**)"]), [
    ("/work/repo/src/a.py", ALLOW, PATH_FORMS + " -- /path at the project root"),
    ("/src/a.py", NONE, "permissions#read-and-edit: 'A pattern like /Users/alice/file isn't an absolute path.'"),
    ("/work/repo/.claude/src/a.py", NONE, "permissions#read-and-edit: 'Edit(/docs/**): edits in <project>/docs/, not /docs/ or <project>/.claude/docs/'"),
    ("/work/repo/pkg/src/a.py", NONE, OTHER_SHAPES),
], make=edit)
CASES += series("path-cwd", rules(allow=["Edit(./lib/**)"]), [
    ("/work/repo/pkg/lib/a.py", ALLOW, PATH_FORMS + " -- ./path at the working directory"),
    ("/work/repo/lib/a.py", NONE, PATH_FORMS + " -- the cwd is /work/repo/pkg, not the project root"),
], make=edit, cwd="/work/repo/pkg")
CASES += series("path-dot-anchor", rules(deny=["Read(./secrets/**)"]), [
    ("/work/repo/secrets/k", DENY, PATH_FORMS),
    ("/work/repo/a/secrets/k", NONE, DOT_ANCHOR),
], make=read)

# ---- * and **, bare names ------------------------------------------------------------------------------
CASES += series("path-star", rules(allow=["Edit(docs/*.md)", "Edit(notes/**/*.md)"]), [
    ("/work/repo/docs/a.md", ALLOW, GITIGNORE_STAR),
    ("/work/repo/docs/x/a.md", NONE, GITIGNORE_STAR + " -- * stays in one segment"),
    ("/work/repo/docs/a.txt", NONE, GITIGNORE_STAR),
    ("/work/repo/notes/a.md", ALLOW, GITIGNORE_STAR + " -- **/ also matches no folder"),
    ("/work/repo/notes/x/y/a.md", ALLOW, GITIGNORE_STAR + " -- ** crosses folders"),
    ("/work/repo/notes/x/a.txt", NONE, GITIGNORE_STAR),
], make=edit)
CASES += series("path-bare", rules(deny=["Read(.env)"]), [
    ("/work/repo/.env", DENY, BARE_NAMES),
    ("/work/repo/a/b/.env", DENY, BARE_NAMES + " -- any depth"),
    ("/work/.env", NONE, UNDER_ANCHOR),
    ("/home/ann/.env", NONE, UNDER_ANCHOR),
    ("/work/repo/.env.local", NONE, BARE_NAMES + " -- the whole name"),
    ("/work/repo/x.env", NONE, BARE_NAMES + " -- the whole name"),
], make=read)
CASES += series("path-bare-glob", rules(deny=["Read(*.env)"]), [
    ("/work/repo/prod.env", DENY, BARE_NAMES),
    ("/work/repo/a/b/prod.env", DENY, BARE_NAMES + " -- a bare pattern matches at any depth"),
    ("/work/repo/.env", DENY, GITIGNORE_STAR + " -- gitignore's * also matches a leading dot"),
    ("/work/repo/prod.envx", NONE, GITIGNORE_STAR),
], make=read)
CASES += series("path-everywhere", rules(deny=["Read(//**/.env)"]), [
    ("/work/.env", DENY, "permissions#read-and-edit: 'Read(//**/.env) blocks any .env anywhere on the filesystem'"),
    ("/home/ann/.env", DENY, "permissions#read-and-edit: 'Read(//**/.env) blocks any .env anywhere on the filesystem'"),
    ("/.env", DENY, "permissions#read-and-edit: 'Read(//**/.env) blocks any .env anywhere on the filesystem'"),
], make=read)
CASES += series("path-mid-glob", rules(deny=["Read(secrets-*/config.json)"]), [
    ("/work/repo/secrets-prod/config.json", DENY, "changelog: 'file permission rules with mid-pattern wildcards (e.g. Read(secrets-*/config.json)) being rejected at startup' (fixed)"),
    ("/work/repo/secrets-prod/x/config.json", NONE, GITIGNORE_STAR),
], make=read)
CASES += series("path-etc-star", rules(deny=["Read(//etc/*)"]), [
    ("/etc/passwd", DENY, GITIGNORE_STAR),
    ("/etc/ssh/sshd_config", DENY, GITIGNORE_DIR + " -- /etc/* matches the folder /etc/ssh"),
], make=read)

# ---- single-segment directory patterns: depth by rule type ---------------------------------------------
CASES += series("path-seg-allow", rules(allow=["Edit(src/**)"]), [
    ("/work/repo/src/app.ts", ALLOW, SINGLE_SEGMENT + " (table: Edit(src/**) as an allow rule matches src/app.ts)"),
    ("/work/repo/vendor/pkg/src/lib.js", NONE, SINGLE_SEGMENT + " (table: as an allow rule, not vendor/pkg/src/lib.js); changelog: 'Fixed single-segment dir/** allow rules like Edit(src/**) auto-approving writes to nested dir/ directories'"),
], make=edit)
CASES += series("path-seg-deny", rules(deny=["Edit(src/**)"]), [
    ("/work/repo/src/app.ts", DENY, SINGLE_SEGMENT),
    ("/work/repo/vendor/pkg/src/lib.js", DENY, SINGLE_SEGMENT + " (table: as a deny or ask rule, Yes)"),
    ("/work/src/lib.js", NONE, UNDER_ANCHOR + " -- any depth under the current directory, not above it"),
], make=edit)
CASES += series("path-seg-ask", rules(ask=["Read(secrets/**)"]), [
    ("/work/repo/a/b/secrets/x", ASK, SINGLE_SEGMENT),
    ("/work/repo/secrets/x", ASK, SINGLE_SEGMENT),
], make=read)
CASES += series("path-seg-deny-read", rules(deny=["Read(secrets/**)"]), [
    ("/work/repo/a/b/secrets/x", DENY, SINGLE_SEGMENT + " -- 'Read(secrets/**) matches a directory named secrets at any depth'"),
    ("/work/repo/secretsx/x", NONE, SINGLE_SEGMENT),
], make=read)
CASES += series("path-any-depth", rules(allow=["Edit(**/src/**)"]), [
    ("/work/repo/src/app.ts", ALLOW, OTHER_SHAPES + " (table: Edit(**/src/**) Yes, Yes)"),
    ("/work/repo/vendor/pkg/src/lib.js", ALLOW, OTHER_SHAPES),
], make=edit)
CASES += series("path-two-segments", rules(allow=["Edit(src/components/**)"], deny=["Edit(src/gen/**)"]), [
    ("/work/repo/src/components/a.tsx", ALLOW, OTHER_SHAPES),
    ("/work/repo/x/src/components/a.tsx", NONE, OTHER_SHAPES + " -- two segments: anchored"),
    ("/work/repo/src/gen/a.ts", DENY, OTHER_SHAPES),
    ("/work/repo/x/src/gen/a.ts", NONE, OTHER_SHAPES + " -- two segments: anchored, for deny too"),
], make=edit)

# ---- which tools a rule covers -------------------------------------------------------------------------
SRC = rules(allow=["Edit(./src/**)"])
CASES += [
    write("path-tools-write", "/work/repo/src/new.py", ALLOW, EDIT_COVERS, SRC),
    notebook("path-tools-notebook", "/work/repo/src/n.ipynb", ALLOW, EDIT_COVERS + "; tools-reference#notebookedit-tool-behavior: 'A rule like Edit(notebooks/**) covers NotebookEdit calls'", SRC),
    read("path-tools-edit-grants-read", "/work/repo/src/a.py", ALLOW, EDIT_GRANTS_READ, SRC),
    case("path-tools-edit-grants-grep", "Grep", {"pattern": "x", "path": "/work/repo/src/a.py"}, ALLOW, EDIT_GRANTS_READ + "; " + READ_COVERS, SRC),
    edit("path-tools-relative", "src/a.py", ALLOW, "hooks#pretooluse-input: file paths arrive absolute; a relative one is taken from the cwd", SRC),
    edit("path-tools-double-slash", "/work/repo/src//a.py", ALLOW, "POSIX: repeated slashes are one separator", SRC),
    read("path-tools-dot", "/work/repo/src/./a.py", ALLOW, "POSIX: . is the same folder", SRC),
    edit("path-tools-outside", "/work/repo/srcx/a.py", NONE, EDIT_COVERS, SRC),
]
SECRETS = rules(deny=["Read(./secrets/**)"])
CASES += [
    read("path-read-covers-read", "/work/repo/secrets/k.txt", DENY, READ_COVERS, SECRETS),
    case("path-read-covers-grep", "Grep", {"pattern": "KEY", "path": "/work/repo/secrets/k.txt"}, DENY, READ_COVERS, SECRETS),
    case("path-read-covers-grep-dir", "Grep", {"pattern": "KEY", "path": "/work/repo/secrets"}, DENY, READ_COVERS + " -- docs silent on the folder itself: searching it reads every denied file", SECRETS),
    case("path-read-covers-glob", "Glob", {"pattern": "**/*", "path": "/work/repo/secrets/sub"}, DENY, READ_COVERS, SECRETS),
    case("path-read-covers-lsp", "LSP", {"operation": "hover", "filePath": "/work/repo/secrets/a.py", "line": 1, "character": 1}, DENY, READ_COVERS + " (LSP input field filePath: undocumented, as Claude Code's tool schema names it)", SECRETS),
    case("path-read-covers-grep-other", "Grep", {"pattern": "KEY", "path": "/work/repo/src"}, NONE, READ_COVERS, SECRETS),
    edit("path-read-deny-edit", "/work/repo/secrets/k.txt", DENY, READ_DENY_EDIT, SECRETS),
    write("path-read-deny-write", "/work/repo/secrets/new.txt", DENY, READ_DENY_EDIT + " -- 'including creating a new file there'", SECRETS),
]
PRIVATE = rules(deny=["Read(./private/**)"], allow=["Edit(./**)"])
CASES += [
    edit("path-read-deny-beats-edit-allow", "/work/repo/private/a.txt", DENY, READ_DENY_EDIT, PRIVATE),
    write("path-read-deny-beats-write", "/work/repo/private/new.txt", DENY, READ_DENY_EDIT, PRIVATE),
    notebook("path-read-deny-not-notebook", "/work/repo/private/n.ipynb", ALLOW, READ_DENY_EDIT + " -- 'NotebookEdit isn't covered'", PRIVATE),
    edit("path-edit-allow-elsewhere", "/work/repo/public/a.txt", ALLOW, EDIT_COVERS, PRIVATE),
]

# ---- rules never consulted (2.1.210+) and tool-level rules ---------------------------------------------
CASES += [
    write("path-never-write-deny", "/work/repo/src/a.py", NONE, NEVER_CONSULTED, rules(deny=["Write(./src/**)"])),
    write("path-never-write-allow", "/work/repo/build/a.js", NONE, NEVER_CONSULTED, rules(allow=["Write(./build/**)"])),
    edit("path-never-write-allow-edit", "/work/repo/build/a.js", NONE, NEVER_CONSULTED, rules(allow=["Write(./build/**)"])),
    notebook("path-never-notebook-deny", "/work/repo/nb/a.ipynb", NONE, NEVER_CONSULTED, rules(deny=["NotebookEdit(./nb/**)"])),
    notebook("path-never-notebook-allow", "/work/repo/nb/a.ipynb", NONE, NEVER_CONSULTED, rules(allow=["NotebookEdit(./nb/**)"])),
    case("path-never-glob-allow", "Glob", {"pattern": "*.py", "path": "/work/repo/src"}, NONE, NEVER_CONSULTED, rules(allow=["Glob(./src/**)"])),
    case("path-never-glob-deny", "Glob", {"pattern": "*", "path": "/work/repo/secrets/x"}, NONE, NEVER_CONSULTED, rules(deny=["Glob(./secrets/**)"])),
    edit("path-never-multiedit-deny", "/work/repo/src/a.py", NONE, NEVER_CONSULTED, rules(deny=["MultiEdit(./src/**)"])),
    edit("path-never-multiedit-allow", "/work/repo/src/a.py", NONE, NEVER_CONSULTED, rules(allow=["MultiEdit(./src/**)"])),
    write("path-tool-level-write-deny", "/work/repo/any/file.txt", DENY, TOOL_LEVEL, rules(deny=["Write"])),
    notebook("path-tool-level-notebook-deny", "/work/repo/a.ipynb", DENY, TOOL_LEVEL, rules(deny=["NotebookEdit"])),
    write("path-tool-level-write-allow", "/work/repo/any/file.txt", ALLOW, TOOL_LEVEL, rules(allow=["Write"])),
    edit("path-tool-level-edit-not-write", "/work/repo/any/file.txt", NONE, TOOL_LEVEL + " -- a bare Write rule is about the Write tool", rules(deny=["Write"])),
    read("path-tool-level-read-deny", "/work/repo/README.md", DENY, "permissions#match-all-uses-of-a-tool: 'Read Matches all file reads'", rules(deny=["Read"])),
    case("path-tool-level-read-deny-grep", "Grep", {"pattern": "x"}, DENY, READ_COVERS + "; a bare Read deny is every read", rules(deny=["Read"])),
]

# ---- .. folding -------------------------------------------------------------------------------------------
ENV_SRC = rules(deny=["Read(./.env)"], allow=["Edit(./src/**)"])
CASES += [
    edit("path-dotdot-1", "/work/repo/src/../.env", DENY, READ_DENY_EDIT + " -- .. folded before matching", ENV_SRC),
    read("path-dotdot-2", "/work/repo/src/../.env", DENY, "permissions#read-and-edit -- .. folded before matching", ENV_SRC),
    edit("path-dotdot-3", "/work/repo/src/../../etc/passwd", NONE, "folded: /work/etc/passwd is outside Edit(./src/**)", ENV_SRC),
    edit("path-dotdot-4", "/work/repo/src/a/../b.py", ALLOW, "folded: /work/repo/src/b.py", ENV_SRC),
    edit("path-dotdot-5", "/work/repo/docs/../src/a.py", ALLOW, "folded: /work/repo/src/a.py", ENV_SRC),
    read("path-dotdot-6", "/work/repo/a/b/../../.env", DENY, "folded: /work/repo/.env", ENV_SRC),
]

# ---- symlinks: a real filesystem --------------------------------------------------------------------------
FS_CTX = {"cwd": "{tmp}/repo", "root": "{tmp}/repo", "home": "{tmp}/home"}
CASES += [
    read("path-symlink-dotdot-read", "{tmp}/repo/link/../.env", DENY, DOTDOT_AFTER_SYMLINK + "; " + SYMLINK_DENY,
         rules(deny=["Read(./real/.env)"]),
         fs={"repo/real/dir": "dir", "repo/real/.env": "file", "repo/.env": "file", "repo/link": "symlink:real/dir"},
         **FS_CTX),
    edit("path-symlink-dotdot-edit", "{tmp}/repo/link/../.env", DENY, DOTDOT_AFTER_SYMLINK + "; " + READ_DENY_EDIT,
         rules(deny=["Read(./real/.env)"], allow=["Edit(./**)"]),
         fs={"repo/real/dir": "dir", "repo/real/.env": "file", "repo/.env": "file", "repo/link": "symlink:real/dir"},
         **FS_CTX),
    read("path-symlink-dotdot-lexical", "{tmp}/repo/link/../.env", DENY, SYMLINK_DENY + " -- the spelling as written folds to ./.env: deny on either",
         rules(deny=["Read(./.env)"]),
         fs={"repo/real/dir": "dir", "repo/real/.env": "file", "repo/.env": "file", "repo/link": "symlink:real/dir"},
         **FS_CTX),
    edit("path-symlink-dotdot-allow", "{tmp}/repo/link/../x.py", NOT_ALLOW, DOTDOT_AFTER_SYMLINK + "; " + SYMLINK_ALLOW + " -- as written it folds to ./x.py (allowed), really it is real/x.py (not): allow needs both",
         rules(allow=["Edit(./x.py)"]),
         fs={"repo/real/dir": "dir", "repo/real/x.py": "file", "repo/link": "symlink:real/dir"},
         **FS_CTX),
    read("path-symlink-doc-example", "{tmp}/repo/project/key", DENY,
         "permissions#read-and-edit: 'with Read(./project/**) allowed and Read(~/.ssh/**) denied, a symlink at ./project/key pointing to ~/.ssh/id_rsa is blocked'",
         rules(allow=["Read(./project/**)"], deny=["Read(~/.ssh/**)"]),
         fs={"home/.ssh/id_rsa": "file", "repo/project/key": "symlink:{tmp}/home/.ssh/id_rsa"}, **FS_CTX),
    edit("path-symlink-points-out", "{tmp}/repo/src/out", NOT_ALLOW, SYMLINK_ALLOW,
         rules(allow=["Edit(./src/**)"]),
         fs={"outside/file": "file", "repo/src/out": "symlink:../../outside/file"}, **FS_CTX),
    edit("path-symlink-dir-points-out", "{tmp}/repo/src/lib/a.py", NOT_ALLOW, SYMLINK_ALLOW + " -- a symlinked folder",
         rules(allow=["Edit(./src/**)"]),
         fs={"outside/a.py": "file", "repo/src/lib": "symlink:../../outside"}, **FS_CTX),
    edit("path-symlink-stays-in", "{tmp}/repo/src/alias.py", ALLOW, SYMLINK_ALLOW + " -- both the link and its target are under src",
         rules(allow=["Edit(./src/**)"]),
         fs={"repo/src/real.py": "file", "repo/src/alias.py": "symlink:real.py"}, **FS_CTX),
    read("path-symlink-to-denied", "{tmp}/repo/link.txt", DENY, SYMLINK_DENY,
         rules(deny=["Read(./secret.txt)"]),
         fs={"repo/secret.txt": "file", "repo/link.txt": "symlink:secret.txt"}, **FS_CTX),
    case("path-symlink-bash-cat", "Bash", {"command": "cat link.txt"}, DENY, SYMLINK_DENY + "; " + READ_EDIT_BASH,
         rules(deny=["Read(./secret.txt)"], allow=["Bash(cat *)"]),
         fs={"repo/secret.txt": "file", "repo/link.txt": "symlink:secret.txt"}, **FS_CTX),
    case("path-symlink-redirect", "Bash", {"command": "echo x > src/out"}, DENY, SYMLINK_DENY + "; " + REDIRECT,
         rules(deny=["Edit(//{tmp}/etc/**)"], allow=["Bash(echo *)", "Edit(./src/**)"]),
         fs={"etc/passwd": "file", "repo/src/out": "symlink:{tmp}/etc/passwd"}, **FS_CTX),
    case("path-symlink-redirect-out", "Bash", {"command": "echo x > src/out"}, NOT_ALLOW, SYMLINK_ALLOW + "; " + REDIRECT,
         rules(allow=["Bash(echo *)", "Edit(./src/**)"]),
         fs={"etc/passwd": "file", "repo/src/out": "symlink:{tmp}/etc/passwd"}, **FS_CTX),
]
