"""Whether a write touches a path lease: the pattern's absolute glob and its fixed folder. Stdlib only.

Shared by the PreToolUse guard (nerv.hook.plugins.leases) and `nerv lease add` (overlap report).
"""

from __future__ import annotations


def lease_glob(pattern: str, anchor: str, home: str) -> str:
    """The lease's pattern as an absolute glob: anchored at its folder, as an Edit rule is at its root."""
    from nerv.rules import paths

    return paths.anchor(pattern, cwd=anchor, root=anchor, home=home)


def literal_dir(glob: str) -> str:
    """The fixed folder of an absolute glob (the whole text when it has no wildcard): `/r/src/*.py` -> `/r/src`."""
    cut = min((i for i in (glob.find("*"), glob.find("?"), glob.find("[")) if i >= 0), default=-1)
    if cut < 0:
        return glob.rstrip("/") or "/"
    return glob[:cut].rsplit("/", 1)[0] or "/"


def covers(pattern: str, anchor: str, path: str, home: str) -> bool:
    """Whether writing `path` (absolute, normalised) touches the lease: a file it matches, anything inside a
    folder it matches, or a folder that holds its fixed part (`cp f src/` or `rm -r src` reach `src/auth/**`)."""
    from nerv.rules import paths

    glob = lease_glob(pattern, anchor, home)
    if paths.glob_regex(glob, True).fullmatch(path):
        return True
    fixed = literal_dir(glob)
    return fixed == path or fixed.startswith(path.rstrip("/") + "/")
