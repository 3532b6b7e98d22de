"""nerv.atomic_file: the one way nerv replaces a file (mode kept or given, no planted file written through)."""

from __future__ import annotations

import os
import stat

import pytest

from nerv import atomic_file


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_existing_files_mode_is_kept_and_a_given_mode_wins_over_the_umask(tmp_path):
    kept = tmp_path / "kept"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o640)
    atomic_file.write_bytes(kept, b"new")
    assert kept.read_bytes() == b"new" and mode_of(kept) == 0o640
    old_umask = os.umask(0o077)
    try:
        atomic_file.write_bytes(tmp_path / "given", b"x", mode=0o644)
        atomic_file.write_bytes(tmp_path / "fresh", b"x")
    finally:
        os.umask(old_umask)
    assert mode_of(tmp_path / "given") == 0o644 and mode_of(tmp_path / "fresh") == atomic_file.NEW_FILE_MODE


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    target = folder / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file.Replacement(target, encoding="utf-8") as handle:
            handle.write("half")
            raise RuntimeError("stop")
    assert target.read_text() == "old"
    assert sorted(p.name for p in folder.iterdir()) == ["t.txt"]


def test_planted_files_at_the_temp_names_are_never_opened(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / f".t.{os.getpid()}.tmp").symlink_to(victim)
    atomic_file.write_bytes(tmp_path / "t", b"data")
    assert victim.read_text() == "keep" and (tmp_path / "t").read_bytes() == b"data"
    assert not (tmp_path / "t").is_symlink()
