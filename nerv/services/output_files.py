"""Files a command writes where the user says (`-o FILE`): checked before the work, replaced atomically, 0600."""

from __future__ import annotations

from pathlib import Path

from nerv.errors import NervError
from nerv.store import paths


def output_path(output: Path | str, example: str) -> Path:
    """`output` with `~` expanded; io error unless it names a file in an existing folder (checked before any work)."""
    output = Path(output).expanduser()
    if output.is_dir() or not output.parent.is_dir():
        raise NervError("io", f"cannot write {output}: not a file in an existing folder",
                        f"give a file name in an existing folder, e.g. {example}")
    return output


def write_private(output: Path, data: bytes) -> None:
    """Replace `output` with `data` (mode 0600: reports and anchors are private); io error on failure."""
    try:
        paths.write_private_file(output, data)
    except OSError as exc:
        raise NervError("io", f"cannot write {output}: {exc.strerror}") from exc
