"""Shared fixtures: every test gets its own NERV_HOME in tmp_path, and ways to run the real CLI."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# No example database on disk: CI clones are fresh and a .hypothesis/ folder must not appear in the repo.
hypothesis_settings.register_profile("nerv", database=None)
hypothesis_settings.load_profile("nerv")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NERV_ENV = ("NERV_HOME", "NERV_DB", "NERV_PROJECT", "NERV_JSON", "NERV_DEBUG", "NERV_ACTOR", "CLAUDE_CONFIG_DIR",
            "NERV_CLAUDE_MANAGED_DIR", "NERV_HOOK_EXECUTABLE")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def data(self):
        """The `data` of the JSON envelope on stdout (asserts there is exactly one document)."""
        document = json.loads(self.stdout)
        assert document["schema_version"] == 1
        return document["data"]

    @property
    def error(self) -> dict:
        return json.loads(self.stderr)["error"]


@pytest.fixture(autouse=True)
def nerv_home(tmp_path, monkeypatch) -> Path:
    """An isolated home: no test ever touches ~/.nerv or the developer's Claude config."""
    for name in NERV_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "nerv-home"
    monkeypatch.setenv("NERV_HOME", str(home))
    monkeypatch.setenv("NERV_ACTOR", "tester")
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    # Claude Code's managed settings (/etc/claude-code on Linux) belong to the machine, not to a test.
    monkeypatch.setenv("NERV_CLAUDE_MANAGED_DIR", str(tmp_path / "claude-managed"))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


def run_cli(*args: str, stdin: str = "") -> Result:
    """Run `nerv ARGS` in this process (fast) through the same main() the console script uses."""
    from nerv.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # shell-completion paths exit directly
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


def nerv_executable() -> list[str]:
    """The installed console script beside this interpreter, else `python -m nerv`."""
    script = Path(sys.executable).parent / "nerv"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nerv"]


def run_proc(*args: str, stdin: str = "", env: dict | None = None, cwd: str | None = None,
             timeout: float = 60) -> Result:
    """Run the installed `nerv` as a separate process (the key paths are tested this way)."""
    proc = subprocess.run(nerv_executable() + [str(a) for a in args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def proc():
    return run_proc


def db_content_hash(path: Path) -> str:
    """A hash of every row of every table: equal before and after means the database is unchanged."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            digest.update(table.encode())
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        conn.close()


@pytest.fixture
def db_hash(nerv_home):
    return lambda: db_content_hash(nerv_home / "state.db")


@pytest.fixture
def project(cli):
    """A project named `demo`, made current."""
    assert cli("project", "add", "demo", "--goal", "testing").code == 0
    assert cli("project", "use", "demo").code == 0
    return "demo"
