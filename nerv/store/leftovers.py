"""Files that a killed or out-of-space nerv leaves behind, and their safe removal. Stdlib only.

Every temporary name nerv writes says whose it is: `.NAME.PID.partial` (backups, exports) and
`.NAME.PID.tmp` (atomic file writes), with SQLite's `-journal`/`-wal`/`-shm` beside a partial copy, and
the scratch folders `.import-PID-…` / `.restore-PID-…` beside the database. A normal run removes its own;
SIGKILL or a full disk does not. One is removed only when it is older than STALE_AFTER_S **and** the
process named in it is gone (a name without a pid, written by an older nerv, goes by age alone), so a
backup or an import still running in another process is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

STALE_AFTER_S = 3600
SCRATCH_PREFIXES = (".import-", ".restore-")
_TEMP_FILE = re.compile(r"^\..+\.(\d+)\.(?:partial|tmp)(?:-journal|-wal|-shm)?$")
_SCRATCH_DIR = re.compile(r"^\.(?:import|restore)-(?:(\d+)-)?[^/]+$")


def scratch_prefix(kind: str) -> str:
    """The mkdtemp prefix of a scratch folder owned by this process."""
    return f"{kind}{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or a pid we cannot ask about: keep its files
    return True


def _owner(entry: os.DirEntry) -> tuple[bool, int | None]:
    """(is a nerv leftover, the pid in its name or None)."""
    pattern = _SCRATCH_DIR if entry.is_dir(follow_symlinks=False) else _TEMP_FILE
    match = pattern.match(entry.name)
    if not match:
        return False, None
    return True, int(match.group(1)) if match.group(1) else None


def stale(folder: Path, *, stale_after_s: float = STALE_AFTER_S) -> list[Path]:
    """The leftovers directly in `folder` that are safe to remove."""
    found = []
    cutoff = time.time() - stale_after_s
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        ours, pid = _owner(entry)
        if not ours:
            continue
        try:
            old = entry.stat(follow_symlinks=False).st_mtime < cutoff
        except OSError:
            continue
        if old and (pid is None or not _alive(pid)):
            found.append(Path(entry.path))
    return sorted(found)


def sweep(folder: Path, *, stale_after_s: float = STALE_AFTER_S) -> list[str]:
    """Remove the stale leftovers in `folder`; returns the paths removed. Never raises."""
    removed = []
    for path in stale(folder, stale_after_s=stale_after_s):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(str(path))
    return removed
