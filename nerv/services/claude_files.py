"""Editing Claude Code settings files safely: backup first, atomic write, every other key preserved."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from nerv.errors import NervError
from nerv.store import paths
from nerv.store.clock import now_iso


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
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        mode = file.stat().st_mode & 0o777 if file.exists() else 0o644
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, file)
    except OSError as exc:
        raise NervError("io", f"cannot write {file}: {exc.strerror or exc}") from None
