"""Gitignore-style path patterns of Read/Edit rules, matched against absolute paths. Stdlib only."""

from __future__ import annotations

import os
import re
from functools import lru_cache


def anchor(pattern: str, *, cwd: str, root: str, home: str) -> str:
    """The pattern as an absolute glob.

    `//abs` is absolute, `~/p` is under home, `/p` is under the settings root (the project's repo), and
    `p` or `./p` is under the working directory. A pattern without a slash (other than a trailing
    one) matches at any depth below its base, as in .gitignore (`Read(.env)` = `Read(**/.env)`).
    """
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


@lru_cache(maxsize=4096)
def glob_regex(glob: str, contents: bool = False) -> re.Pattern:
    """`*` stays in one folder, `**` crosses folders, `?` one character, `[...]` a class.

    `contents`: a matched folder also covers everything inside it (gitignore semantics). Deny and ask
    use it; allow does not, so `Edit(build/*)` never reaches into `build/deep/`.
    """
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


def normalise(path: str, cwd: str, home: str) -> str:
    """Absolute, with `.`/`..` folded lexically (so `src/../.env` is `.env`)."""
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    if not os.path.isabs(path):
        path = os.path.join(cwd, path)
    return os.path.normpath(path).replace("//", "/")


def candidates(path: str, cwd: str, home: str) -> list[str]:
    """The lexical path and, if symlinks change it, the resolved one: deny checks both, allow needs both."""
    lexical = normalise(path, cwd, home)
    try:
        resolved = os.path.realpath(lexical)
    except (OSError, ValueError):
        resolved = lexical
    return [lexical] if resolved == lexical else [lexical, resolved]


def path_matches(pattern: str, path: str, *, cwd: str, root: str, home: str, contents: bool) -> bool:
    return bool(glob_regex(anchor(pattern, cwd=cwd, root=root, home=home), contents).fullmatch(path))
