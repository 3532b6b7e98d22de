"""The README's first tour, run verbatim by bash against a fresh HOME and NERV_HOME with the real CLI: every
line must succeed. It runs in a pseudo-terminal because its last line, `nerv watch`, is a full-screen view
(this test presses `q` once the view is on screen)."""

from __future__ import annotations

import os
import pty
import select
import shlex
import sqlite3
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ALTERNATE_SCREEN = b"\x1b[?1049h"


def tour_lines() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = text.split("## A first tour", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def tour_script(lines: list[str]) -> str:
    steps = [f"{line}\nrc=$?; [ $rc -eq 0 ] || {{ echo; echo \"TOUR FAILED rc=$rc: \"{shlex.quote(line)}; exit 1; }}"
             for line in lines]
    return "\n".join([*steps, "echo TOUR OK"]) + "\n"


def run_in_terminal(argv: list[str], env: dict, cwd: Path, timeout: float = 300) -> tuple[int, bytes]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: bash running the tour
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    output, last_q, deadline = b"", 0.0, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break  # the child closed the terminal: it exited
                if not chunk:
                    break
                output += chunk
            watching = output.rfind(ALTERNATE_SCREEN) > output.rfind(b"\x1b[?1049l")
            if watching and time.monotonic() - last_q > 0.5:
                os.write(fd, b"q")
                last_q = time.monotonic()
        else:
            os.kill(pid, 9)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output


@pytest.mark.slow
def test_the_readme_tour_works_verbatim_on_a_fresh_machine(tmp_path):
    lines = tour_lines()
    assert lines[0].startswith("git init") and any(line.startswith("nerv watch") for line in lines)
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nerv").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nerv "$@"\n')
    (bin_dir / "nerv").chmod(0o755)
    script = tmp_path / "tour.sh"
    script.write_text(tour_script(lines))
    env = {"HOME": str(home), "NERV_HOME": str(home / ".nerv"), "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
           "PYTHONPATH": str(REPO), "NERV_CLAUDE_MANAGED_DIR": str(tmp_path / "managed"), "TERM": "xterm-256color",
           "LANG": "C.UTF-8", "GIT_CONFIG_NOSYSTEM": "1"}
    code, output = run_in_terminal(["bash", "--norc", "--noprofile", str(script)], env, tmp_path)
    text = output.decode(errors="replace")
    assert code == 0 and "TOUR OK" in text, text[-3000:]
    with sqlite3.connect(home / ".nerv" / "state.db") as conn:  # inside the repo, the rule is the project's
        assert conn.execute("SELECT count(*) FROM approval_rules WHERE project_id IS NOT NULL").fetchone() == (1,)
