"""Editing Claude Code settings files safely: backup first, atomic write, every other key preserved."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from nerv import atomic_file
from nerv.env import claude_user_dir
from nerv.errors import NervError, invalid
from nerv.store import paths
from nerv.store.clock import now_iso


def read_settings_file(path: Path, *, missing_ok: bool) -> dict:
    """A Claude Code settings file as a dict ({} when missing and allowed). Raises io / invalid."""
    if not path.exists():
        if missing_ok:
            return {}
        raise NervError("io", f"{path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NervError("io", f"cannot read {path}: {exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"{path} is not valid JSON ({exc})", "fix the file; nerv never rewrites a file it cannot read") from None
    if not isinstance(data, dict):
        raise invalid(f"{path} holds a JSON {type(data).__name__}, not an object")
    return data


def backup_file(file: Path) -> Path | None:
    """Copy `file` into NERV_HOME/backups/claude-settings/ before it is changed; None if it does not exist."""
    if not file.exists():
        return None
    folder = paths.ensure_private_dir(paths.backups_dir() / "claude-settings")
    stamp = now_iso().replace(":", "").replace("-", "").replace(".", "")
    dest = folder / f"{stamp}-{file.parent.name}-{file.name}"
    try:
        shutil.copy2(file, dest)
    except OSError as exc:
        raise NervError("io", f"cannot back up {file} to {dest}: {exc.strerror}", "nothing was changed") from None
    return dest


def write_json_file(file: Path, data: dict) -> None:
    """Write atomically (temp file + rename) with two-space indentation, keeping the file's mode."""
    write_bytes_atomically(file, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def write_bytes_atomically(file: Path, content: bytes) -> None:
    """nerv.atomic_file, keeping the file's mode (0644 for a new file). Raises io."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_file.write_bytes(file, content)
    except OSError as exc:
        raise NervError("io", f"cannot write {file}: {exc.strerror or exc}") from None


def restore_file(file: Path, original: bytes | None) -> None:
    """Put `file` back as it was: its original bytes, or no file at all when there was none."""
    if original is None:
        try:
            file.unlink(missing_ok=True)
        except OSError as exc:
            raise NervError("io", f"cannot remove {file}: {exc.strerror or exc}") from None
        return
    write_bytes_atomically(file, original)


def read_bytes_or_none(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise NervError("io", f"cannot read {file}: {exc.strerror or exc}") from None


# ---- where Claude Code reads settings ------------------------------------------------------------------

# The managed (organisation) settings folder per platform; NERV_CLAUDE_MANAGED_DIR replaces it (tests, or a
# machine whose administrator keeps it elsewhere).
MANAGED_DIRS = {"darwin": "/Library/Application Support/ClaudeCode", "win32": r"C:\Program Files\ClaudeCode"}
MANAGED_DIR_LINUX = "/etc/claude-code"


def managed_dir() -> Path:
    override = os.environ.get("NERV_CLAUDE_MANAGED_DIR")
    if override:
        return Path(override).expanduser()
    return Path(MANAGED_DIRS.get(sys.platform, MANAGED_DIR_LINUX))


def user_config_dir() -> Path:
    """`$CLAUDE_CONFIG_DIR`, else `~/.claude`."""
    return Path(claude_user_dir())


def git_root(start: Path) -> Path | None:
    """The git work tree containing `start` (a `.git` folder or file, as in worktrees), or None."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def project_root(start: Path) -> Path:
    """Where project and local settings live: the git root of `start`, else `start` itself."""
    return git_root(start) or start


def scope_file(scope: str, cwd: str | None = None) -> Path:
    """The settings file of one writable scope: user, project or local."""
    if scope == "user":
        return user_config_dir() / "settings.json"
    root = project_root(Path(cwd or os.getcwd()).resolve())
    return root / ".claude" / ("settings.json" if scope == "project" else "settings.local.json")


def claude_settings_files(cwd: str | None = None) -> list[tuple[str, Path]]:
    """(scope, path) of every settings file Claude Code reads for a session started at the git root of `cwd`,
    in precedence order (managed first); files that do not exist are included, so callers can say so."""
    managed = managed_dir()
    drop_ins = sorted(p for p in (managed / "managed-settings.d").glob("*.json")) \
        if (managed / "managed-settings.d").is_dir() else []
    files = [("managed", managed / "managed-settings.json"), *(("managed", p) for p in drop_ins)]
    return files + [(scope, scope_file(scope, cwd)) for scope in ("user", "project", "local")]
