"""Where nerv keeps its state. Stdlib only (the hook path uses it)."""

from __future__ import annotations

import os
from pathlib import Path

from nerv.store import fastpath


def nerv_home() -> Path:
    """`NERV_HOME`, else `~/.nerv`."""
    return Path(fastpath.home_dir())


def db_path() -> Path:
    """`NERV_DB`, else `<home>/state.db`."""
    return Path(fastpath.db_file())


def backups_dir() -> Path:
    return nerv_home() / "backups"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) mode 0700 if missing; an existing folder keeps its mode."""
    if not path.exists():
        # makedirs applies the umask to `mode`; chmod afterwards so 0700 is what lands.
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` atomically (temp file, fsync, rename) with mode 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
