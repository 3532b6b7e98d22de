"""This machine's id, recorded on every usage row and transcript file state. Stdlib only (the hook imports it).

A random id written to `$NERV_HOME/machine-id` on first use, not /etc/machine-id: containers and cloned
images share that file, and a hash of it would give two runners one id. `NERV_MACHINE_ID` overrides it
(tests, a CI runner whose NERV_HOME is thrown away after each job).
"""

from __future__ import annotations

import os
import secrets

from nerv.store import fastpath

FILE_NAME = "machine-id"


def machine_id() -> str:
    """NERV_MACHINE_ID, else the id in `$NERV_HOME/machine-id` (created, mode 0600, when missing)."""
    override = os.environ.get("NERV_MACHINE_ID", "").strip()
    if override:
        return override
    path = os.path.join(fastpath.home_dir(), FILE_NAME)
    try:
        with open(path, encoding="ascii") as handle:
            stored = handle.read().strip()
        if stored:
            return stored
    except (OSError, UnicodeDecodeError):
        pass
    return _create(path)


def _create(path: str) -> str:
    """Write a new id unless another process just did; the id on disk is the one every process returns."""
    from pathlib import Path

    from nerv.store.paths import ensure_private_dir

    new_id = secrets.token_hex(16)
    ensure_private_dir(Path(path).parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip() or new_id
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(new_id + "\n")
    return new_id
