"""Gitignore-style path patterns of Read/Edit rules, matched against absolute paths. Stdlib only."""

from __future__ import annotations

import os
from functools import lru_cache


def anchor(pattern: str, *, cwd: str, root: str, home: str, any_depth_dirs: bool = False) -> str:
    """The pattern as an absolute glob.

    `//abs` is absolute, `~/p` is under home, `/p` is under the rule's root (where its settings file puts
    it), and `p` or `./p` is under the working directory. A pattern without a slash (other than a trailing
    one) matches at any depth below its base, as in .gitignore (`Read(.env)` = `Read(**/.env)`).
    `any_depth_dirs` (deny and ask rules): a single-segment directory pattern such as `secrets/**` also
    matches that directory at any depth, as Claude Code documents; allow rules stay anchored to the cwd.
    """
    if any_depth_dirs and _single_segment_dir(pattern):
        return _join(cwd, "**/" + pattern)
    if pattern.startswith("//"):
        return "/" + pattern[2:].lstrip("/")
    if pattern == "~" or pattern.startswith("~/"):
        return _join(home, pattern[2:])
    if pattern.startswith("/"):
        return _join(root, pattern[1:])
    if pattern.startswith("./"):
        return _join(cwd, pattern[2:])
    if "/" not in pattern.rstrip("/"):
        return _join(cwd, "**/" + pattern)
    return _join(cwd, pattern)


def _join(base: str, rest: str) -> str:
    base = base.rstrip("/") or ""
    return f"{base}/{rest}" if rest else (base or "/")


def _single_segment_dir(pattern: str) -> bool:
    """`name/`, `name/*` or `name/**`: one folder name without glob characters."""
    head, slash, tail = pattern.partition("/")
    return bool(head) and bool(slash) and tail in ("", "*", "**") and not any(c in "*?[]" for c in head)


@lru_cache(maxsize=4096)
def glob_regex(glob: str, contents: bool = False):
    """`*` stays in one folder, `**` crosses folders, `?` one character, `[...]` a class.

    `contents`: a matched folder also covers everything inside it (gitignore semantics). Deny and ask
    use it; allow does not, so `Edit(build/*)` never reaches into `build/deep/`.
    """
    import re

    out = []
    index = 0
    directory_only = glob.endswith("/") and len(glob) > 1
    glob = glob.rstrip("/") if directory_only else glob
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            close = glob.find("]", index + 1)
            if close < 0:
                out.append(re.escape(char))
                index += 1
            else:
                body = glob[index + 1:close]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
                index = close + 1
        else:
            out.append(re.escape(char))
            index += 1
    return re.compile("".join(out) + ("(?:/.*)?" if contents else ""), re.DOTALL)


def absolute(path: str, cwd: str, home: str) -> str:
    """Absolute, `~` expanded, nothing folded."""
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    if not os.path.isabs(path):
        path = os.path.join(cwd, path)
    return path


def normalise(path: str, cwd: str, home: str) -> str:
    """Absolute, with `.`/`..` folded lexically (so `src/../.env` is `.env`)."""
    return os.path.normpath(absolute(path, cwd, home)).replace("//", "/")


def candidates(path: str, cwd: str, home: str) -> list[str]:
    """The lexical path and, if symlinks change it, the one the system opens: deny checks both, allow needs both.

    The resolved path comes from the unfolded text, because the kernel follows a symlink before it applies a
    `..` after it: `link/../.env` is the `.env` beside the link's target, not beside the link.
    """
    lexical = normalise(path, cwd, home)
    try:
        resolved = os.path.realpath(absolute(path, cwd, home))
    except (OSError, ValueError):
        resolved = lexical
    return [lexical] if resolved == lexical else [lexical, resolved]


def path_matches(pattern: str, path: str, *, cwd: str, root: str, home: str, contents: bool) -> bool:
    """`contents` (deny and ask) also makes single-segment directory patterns match at any depth."""
    glob = anchor(pattern, cwd=cwd, root=root, home=home, any_depth_dirs=contents)
    return bool(glob_regex(glob, contents).fullmatch(path))


def settings_root(source: str | None, home: str) -> str | None:
    """Where `/p` in a rule imported from a Claude Code settings file is anchored; None for nerv's own rules.

    Project settings (`<root>/.claude/settings.json`) and local settings (`<root>/.claude/settings.local.json`,
    read from the repository root, where Claude Code starts) anchor at the project root; user settings
    (`~/.claude/settings.json`, or under CLAUDE_CONFIG_DIR) at that `.claude` folder; any other file
    (`--settings F`) at its own folder.
    """
    if not source or not source.startswith("claude-settings:"):
        return None
    file = source[len("claude-settings:"):]
    folder = os.path.dirname(file)
    from nerv.env import claude_config_dirs

    user_dir = next(iter(claude_config_dirs()), None) or os.path.join(home, ".claude")
    if os.path.normpath(folder) == os.path.normpath(user_dir):
        return folder
    if os.path.basename(folder) == ".claude":
        return os.path.dirname(folder)
    return folder
