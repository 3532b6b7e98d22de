"""Protected paths: no allow rule pre-approves a write to them, through a file tool or a Bash redirection.
nerv answers ask (not-allow); reads stay allowed; `.claude/worktrees` is not protected."""

from __future__ import annotations

from ._helpers import (ALLOW, NOT_ALLOW, PROTECTED, PROTECTED_DIRS, PROTECTED_FILES, REDIRECT, bash, case, edit,
                       notebook, read, rules, write)

DIRS = [".git", ".config/git", ".vscode", ".idea", ".husky", ".cargo", ".devcontainer", ".yarn", ".mvn", ".claude"]
FILES = [".gitconfig", ".gitmodules", ".bashrc", ".bash_profile", ".bash_login", ".bash_aliases", ".bash_logout",
         ".zshrc", ".zprofile", ".zshenv", ".zlogin", ".zlogout", ".profile", ".envrc", ".npmrc", ".yarnrc",
         ".yarnrc.yml", ".pnp.cjs", ".pnp.loader.mjs", ".pnpmfile.cjs", "bunfig.toml", ".bunfig.toml", ".bazelrc",
         ".bazelversion", ".bazeliskrc", ".pre-commit-config.yaml", "lefthook.yml", "lefthook.yaml", ".lefthook.yml",
         ".lefthook.yaml", "gradle-wrapper.properties", "maven-wrapper.properties", ".devcontainer.json",
         ".ripgreprc", "pyrightconfig.json", ".mcp.json", ".claude.json"]

EVERYTHING = rules(allow=["Edit(./**)", "Edit(~/**)", "Bash(echo *)", "Bash(tee *)", "Bash(sed *)", "Bash(cp *)",
                          "Read(./**)"])
BARE = rules(allow=["Edit", "Write", "NotebookEdit"])
WHERE_SILENT = ("docs silent on where the name sits: a protected name at any depth or in the home folder is the "
                "same file to git, the shell or the package manager")
WORKTREES = "permission-modes#protected-paths: '.claude, except for .claude/worktrees where Claude stores its own git worktrees'"

CASES = []
for name in DIRS:
    slug = name.strip(".").replace("/", "-")
    CASES.append(write(f"protected-dir-{slug}", f"/work/repo/{name}/x", NOT_ALLOW, PROTECTED + "; " + PROTECTED_DIRS, EVERYTHING))
for name in FILES:
    slug = ("dot-" + name[1:] if name.startswith(".") else name).replace(".", "-")
    CASES.append(edit(f"protected-file-{slug}", f"/work/repo/{name}", NOT_ALLOW, PROTECTED + "; " + PROTECTED_FILES + f" ({name})", EVERYTHING))

CASES += [
    edit("protected-bare-edit-git", "/work/repo/.git/config", NOT_ALLOW, PROTECTED + " -- a bare Edit allow is an allow rule too", BARE),
    write("protected-bare-write-hooks", "/work/repo/.git/hooks/pre-commit", NOT_ALLOW, PROTECTED, BARE),
    notebook("protected-bare-notebook", "/work/repo/.claude/n.ipynb", NOT_ALLOW, PROTECTED, BARE),
    edit("protected-claude-settings", "/work/repo/.claude/settings.json", NOT_ALLOW,
         PROTECTED + " -- 'an entry such as Edit(.claude/**) ... does not change the per-mode outcome'", rules(allow=["Edit(.claude/**)"])),
    write("protected-claude-local", "/work/repo/.claude/settings.local.json", NOT_ALLOW, PROTECTED, rules(allow=["Edit(/.claude/**)"])),
    edit("protected-home-bashrc", "/home/ann/.bashrc", NOT_ALLOW, PROTECTED + " (.bashrc)", EVERYTHING),
    edit("protected-home-gitconfig", "/home/ann/.gitconfig", NOT_ALLOW, PROTECTED + " (.gitconfig)", EVERYTHING),
    edit("protected-home-git-config", "/home/ann/.config/git/config", NOT_ALLOW, PROTECTED_DIRS + " (.config/git)", EVERYTHING),
    edit("protected-home-cargo", "/home/ann/.cargo/config.toml", NOT_ALLOW, PROTECTED_DIRS + " (.cargo)", EVERYTHING),
    edit("protected-home-claude-json", "/home/ann/.claude.json", NOT_ALLOW, PROTECTED + " (.claude.json)", EVERYTHING),
    edit("protected-nested-git", "/work/repo/vendor/lib/.git/config", NOT_ALLOW, PROTECTED_DIRS + "; " + WHERE_SILENT, EVERYTHING),
    edit("protected-nested-npmrc", "/work/repo/packages/a/.npmrc", NOT_ALLOW, PROTECTED + "; " + WHERE_SILENT, EVERYTHING),
    edit("protected-dotdot", "/work/repo/src/../.git/config", NOT_ALLOW, PROTECTED + " -- .. folded", EVERYTHING),
    edit("protected-worktrees-dotdot", "/work/repo/.claude/worktrees/../settings.json", NOT_ALLOW, PROTECTED + " -- folds to .claude/settings.json", EVERYTHING),
    edit("protected-worktreesx", "/work/repo/.claude/worktreesx/a.py", NOT_ALLOW, WORKTREES + " -- only the worktrees folder itself", EVERYTHING),
    edit("protected-case", "/work/repo/.GIT/config", NOT_ALLOW, PROTECTED_DIRS + " -- docs silent on case; macOS and Windows file systems ignore it", EVERYTHING),
    edit("protected-worktrees", "/work/repo/.claude/worktrees/feat/src/a.py", ALLOW, WORKTREES, EVERYTHING),
    write("protected-worktrees-write", "/work/repo/.claude/worktrees/feat/README.md", ALLOW, WORKTREES, EVERYTHING),
    edit("protected-near-gitignore", "/work/repo/.gitignore", ALLOW, PROTECTED_FILES + " -- .gitignore is not on the list", EVERYTHING),
    edit("protected-near-github", "/work/repo/.github/workflows/ci.yml", ALLOW, PROTECTED_DIRS + " -- .github is not on the list", EVERYTHING),
    edit("protected-near-bashrc-bak", "/work/repo/.bashrc.bak", ALLOW, PROTECTED_FILES + " -- the exact name only", EVERYTHING),
    edit("protected-near-env", "/work/repo/.env", ALLOW, PROTECTED_FILES + " -- .env is not on the list (.envrc is)", EVERYTHING),
    edit("protected-near-package-json", "/work/repo/package.json", ALLOW, PROTECTED_FILES, EVERYTHING),
    edit("protected-near-gitx", "/work/repo/.gitx/config", ALLOW, PROTECTED_DIRS + " -- the exact folder name only", EVERYTHING),
    edit("protected-near-mcp-json-dir", "/work/repo/docs/mcp.json", ALLOW, PROTECTED_FILES + " -- mcp.json without the dot", EVERYTHING),
    read("protected-read-git", "/work/repo/.git/config", ALLOW, "permission-modes#protected-paths: 'Writes to a small set of paths are never auto-approved' -- reads are not writes", EVERYTHING),
    read("protected-read-bashrc", "/home/ann/.bashrc", ALLOW, "permission-modes#protected-paths: writes only", rules(allow=["Read(~/**)"])),
    bash("protected-bash-read", "cat .git/HEAD", ALLOW, "permission-modes#protected-paths: writes only", rules(allow=["Bash(cat *)"])),
    bash("protected-redirect-git", "echo x > .git/hooks/pre-commit", NOT_ALLOW, REDIRECT + " -- 'protected paths'", EVERYTHING),
    bash("protected-redirect-append", "echo x >> .bashrc", NOT_ALLOW, REDIRECT, EVERYTHING),
    bash("protected-redirect-home", "echo x >> /home/ann/.zshrc", NOT_ALLOW, REDIRECT, EVERYTHING),
    bash("protected-redirect-claude", "echo '{}' > .claude/settings.json", NOT_ALLOW, REDIRECT, EVERYTHING),
    bash("protected-redirect-mcp", "echo '{}' > .mcp.json", NOT_ALLOW, REDIRECT, EVERYTHING),
    bash("protected-redirect-stderr", "echo x 2> .npmrc", NOT_ALLOW, REDIRECT + " -- '2>' too", EVERYTHING),
    bash("protected-redirect-bare-bash", "echo x > .git/config", NOT_ALLOW, PROTECTED + " -- even under a bare Bash allow", rules(allow=["Bash"])),
    bash("protected-tee", "echo x | tee -a .bashrc", NOT_ALLOW, PROTECTED + "; docs silent on tee: it writes the file it names", EVERYTHING),
    bash("protected-sed-i", "sed -i s/a/b/ .git/config", NOT_ALLOW, PROTECTED + "; sed -i is an edit (permissions#read-and-edit)", EVERYTHING),
    bash("protected-cp", "cp evil.sh .husky/pre-commit", NOT_ALLOW, PROTECTED + "; docs silent on cp: it writes its destination", EVERYTHING),
    bash("protected-redirect-worktrees", "echo x > .claude/worktrees/feat/a.txt", ALLOW, WORKTREES + "; " + REDIRECT, EVERYTHING),
    bash("protected-redirect-devnull", "echo x > /dev/null", ALLOW, "permissions#redirections: 'A /dev/null target isn't checked.'", EVERYTHING),
    case("protected-symlink", "Edit", {"file_path": "{tmp}/repo/hooks/pre-commit", "old_string": "a", "new_string": "b"},
         NOT_ALLOW, PROTECTED + "; permissions#read-and-edit (symlinks: both paths are checked)",
         rules(allow=["Edit(./**)"]), fs={"repo/.git/hooks/pre-commit": "file", "repo/hooks": "symlink:.git/hooks"},
         cwd="{tmp}/repo", root="{tmp}/repo", home="{tmp}/home"),
]
