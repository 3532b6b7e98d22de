"""Transcript corpora for the sessions tests: nerv's own hand-made files, and the shared real ones (if present)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SHARED

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
SHARED_TRANSCRIPTS = SHARED / "fixtures" / "claude-transcripts"


def copy_own(dest: Path, repo: Path) -> Path:
    """Copy tests/fixtures/transcripts to `dest`, pointing each `__REPO__` cwd at `repo`."""
    for source in OWN.rglob("*.jsonl"):
        target = dest / source.relative_to(OWN)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes().replace(b"__REPO__", str(repo).encode()))
    return dest


@pytest.fixture
def repo_dir(tmp_path) -> Path:
    path = tmp_path / "alpha-repo"
    path.mkdir()
    return path.resolve()


@pytest.fixture
def own(tmp_path, repo_dir) -> Path:
    """A fresh copy of the hand-made transcripts (see tests/fixtures/transcripts/README.md)."""
    return copy_own(tmp_path / "transcripts", repo_dir)


@pytest.fixture
def shared_copy(tmp_path) -> Path:
    """The five real transcripts copied into tmp_path; the test is skipped where ../shared is absent."""
    if not SHARED_TRANSCRIPTS.is_dir():
        pytest.skip("../shared/fixtures/claude-transcripts is not available")
    dest = tmp_path / "real"
    dest.mkdir()
    for source in SHARED_TRANSCRIPTS.glob("*.jsonl"):
        shutil.copyfile(source, dest / source.name)
    return dest
