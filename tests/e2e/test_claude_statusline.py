"""`nerv hook install --statusline` under the real Claude Code: its status bar runs `nerv statusline`.

Claude Code runs statusLine commands in its interactive interface, not with `-p` (checked with 2.1.332: a
statusLine command that records its stdin was never started by `claude -p` through a run with a tool call,
and was started twice by the interactive interface answering the same prompt). So this
test starts the interactive interface in a pseudo-terminal with the prompt as its argument, with the
isolation of conftest.run_claude (an environment built from scratch, fresh HOME/CLAUDE_CONFIG_DIR, the
fake API, a loopback-only network namespace when one can be made), and a `.claude.json` that marks
onboarding done, the folder trusted and the dummy key approved, so no first-run dialog waits for a key.
It reads the screen until the answer and the status line are drawn, then stops Claude Code with SIGTERM.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

import pytest

from tests.e2e import conftest as harness
from tests.e2e.fake_anthropic import FakeAnthropic, Text

pytestmark = pytest.mark.slow  # real Claude Code runs

# Control sequences a terminal interprets (CSI, OSC, the two-byte ones): removed to read the screen as text.
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
COLUMNS, ROWS = 160, 40


def _config(home: Path, cwd: Path) -> Path:
    config_dir = home / ".claude"
    config_dir.mkdir(parents=True)
    (config_dir / "settings.json").write_text("{}")
    (config_dir / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True, "theme": "dark",
        "customApiKeyResponses": {"approved": [harness.DUMMY_KEY[-20:]], "rejected": []},
        "projects": {str(cwd): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}}}))
    return config_dir


def run_interactive(claude_code: str, netns, base: Path, cwd: Path, prompt: str, script: list, until,
                    timeout: float = 60) -> tuple[str, FakeAnthropic]:
    """The screen's text once `until(text)` holds (or at `timeout`), and the fake API it talked to."""
    prefix, _why = netns
    home, scratch = base / "home", base / "tmp"
    scratch.mkdir(parents=True)
    config_dir = _config(home, cwd)
    sock_dir = tempfile.mkdtemp(prefix="nerv-e2e-")
    fake = FakeAnthropic(script, unix_socket=os.path.join(sock_dir, "api.sock") if prefix else None)
    fake.start()
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": str(home), "CLAUDE_CONFIG_DIR": str(config_dir), "USER": os.environ.get("USER", "tester"),
           "SHELL": shutil.which("bash") or "/bin/sh", "LANG": "C.UTF-8", "TERM": "xterm-256color",
           "TMPDIR": str(scratch), "CLAUDE_CODE_TMPDIR": str(scratch), "NERV_HOME": os.environ["NERV_HOME"],
           "NERV_ACTOR": "e2e", "ANTHROPIC_API_KEY": harness.DUMMY_KEY, **harness.OFFLINE_SWITCHES}
    if os.geteuid() == 0:
        env["IS_SANDBOX"] = "1"
    if prefix:
        harness._check_offline_env(env, None)
        command = [*prefix, sys.executable, "-I", str(harness.LAUNCHER), "--bridge", fake.unix_socket, "--",
                   claude_code, prompt]
    else:
        env["ANTHROPIC_BASE_URL"] = fake.base_url
        harness._check_offline_env(env, fake.base_url)
        command = [sys.executable, "-I", str(harness.LAUNCHER), "--", claude_code, prompt]
    screen = b""
    pid, fd = pty.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.chdir(cwd)
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until(ESCAPES.sub(b"", screen).decode("utf-8", "replace")):
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the terminal closed: Claude Code exited
                    break
                if not chunk:
                    break
                screen += chunk
    finally:
        _stop(pid)
        os.close(fd)
        fake.stop()
        shutil.rmtree(sock_dir, ignore_errors=True)
    return ESCAPES.sub(b"", screen).decode("utf-8", "replace"), fake


def _stop(pid: int) -> None:
    """SIGTERM the launcher (it passes it on, then reaps what is left); SIGKILL if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def test_claude_code_runs_the_statusline_hook_install_sets(claude_code, netns, tmp_path, project_dir, cli,
                                                           monkeypatch):
    monkeypatch.chdir(project_dir)
    installed = cli("--json", "hook", "install", "--scope", "project", "--statusline")
    assert installed.code == 0, installed.stderr
    settings = json.loads((project_dir / ".claude" / "settings.json").read_text())
    assert settings["statusLine"]["command"].endswith(" statusline")

    answer = "statusline-e2e-answer"  # one word: the screen draws spaces as cursor moves
    screen, fake = run_interactive(claude_code, netns, tmp_path / "interactive", project_dir.resolve(), "say hi",
                                   [Text(answer)], until=lambda text: answer in text and "nerv | " in text)

    assert answer in screen, screen[-3000:]
    assert fake.errors == []
    # `nerv statusline`'s line, drawn by Claude Code: the session's cost from the JSON Claude Code sent it.
    assert re.search(r"nerv \| session \$\d+\.\d\d", screen), screen[-3000:]
