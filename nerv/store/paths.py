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
    """Replace `path` with `data`, mode 0600 (nerv.atomic_file)."""
    from nerv import atomic_file

    atomic_file.write_bytes(path, data, mode=0o600)
