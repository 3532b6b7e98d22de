"""Paths no allow rule may approve: protected writes and critical removals. Stdlib only.

Claude Code never lets an allow rule pre-approve a write to a protected path (permission-modes#protected-paths)
nor an `rm`/`rmdir` of a critical path (permission-modes#critical-paths). nerv follows both, which also keeps
an agent from rewriting `.claude/settings*.json` and with it nerv's own hooks.
"""

from __future__ import annotations

import os

# Folders whose contents are protected, matched as path components anywhere in the path.
PROTECTED_DIRS = frozenset({".git", ".vscode", ".idea", ".husky", ".cargo", ".devcontainer", ".yarn", ".mvn",
                            ".claude"})
# Two-component folders (`~/.config/git`, `~/.config/fish`).
PROTECTED_DIR_PAIRS = frozenset({(".config", "git"), (".config", "fish")})
# Subfolders of a protected folder that Claude Code itself writes to during normal work.
UNPROTECTED_SUBDIRS = frozenset({(".claude", "worktrees")})
# Git, shell, package-manager and build configuration files, and Claude Code's own files.
PROTECTED_FILES = frozenset({
    ".gitconfig", ".gitmodules",
    ".bashrc", ".bash_profile", ".bash_login", ".bash_aliases", ".bash_logout", ".profile", ".zshrc", ".zshenv",
    ".zprofile", ".zlogin", ".zlogout", ".envrc",
    ".npmrc", ".yarnrc", ".yarnrc.yml", ".pnp.cjs", ".pnp.loader.mjs", ".pnpmfile.cjs", "bunfig.toml", ".bunfig.toml",
    ".bazelrc", ".bazelversion", ".bazeliskrc", ".pre-commit-config.yaml", "lefthook.yml", "lefthook.yaml",
    ".lefthook.yml", ".lefthook.yaml", "gradle-wrapper.properties", "maven-wrapper.properties", ".devcontainer.json",
    ".ripgreprc", "pyrightconfig.json",
    ".mcp.json", ".claude.json",
})


def is_protected(path: str) -> bool:
    """True when writing `path` (absolute, normalised) touches a protected folder or file.

    Names compare case-insensitively: on macOS and Windows `.GIT/config` is `.git/config`.
    """
    parts = [p.lower() for p in path.split("/") if p]
    if not parts:
        return False
    if parts[-1] in PROTECTED_FILES:
        return True
    for index, part in enumerate(parts):
        following = parts[index + 1] if index + 1 < len(parts) else None
        if part in PROTECTED_DIRS and (part, following) not in UNPROTECTED_SUBDIRS:
            return True
        if following is not None and (part, following) in PROTECTED_DIR_PAIRS:
            return True
    return False


def is_critical_removal_target(path: str, *, cwd: str, home: str) -> bool:
    """`/`, a top-level folder, the home folder, the working directory or any of its parents.

    `path` is absolute and normalised; a glob argument is passed as the folder it expands in.
    """
    path = path.rstrip("/") or "/"
    if path == "/" or path.count("/") == 1:
        return True
    if path == os.path.normpath(home):
        return True
    cwd = os.path.normpath(cwd)
    return cwd == path or cwd.startswith(path + "/")
