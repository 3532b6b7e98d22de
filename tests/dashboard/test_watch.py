"""`nerv watch` in a real terminal (tmux at 80x40): shows the ledger, follows changes made by other
processes, re-fits on resize, and quits on `q` with exit 0 and the shell's screen back."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time

import pytest

from tests.conftest import nerv_executable, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


class Tmux:
    def __init__(self, socket):
        self.socket = str(socket)

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "watch")

    def wait_for(self, predicate, what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the pane shows:\n{text}")
            time.sleep(0.1)


@pytest.fixture
def tmux(tmp_path):
    session = Tmux(tmp_path / "tmux.sock")
    yield session
    subprocess.run(["tmux", "-S", session.socket, "kill-server"], capture_output=True, timeout=20)


def test_watch_follows_the_ledger_resizes_and_quits_cleanly(tmux, ledger, nerv_home):
    env = {name: os.environ[name] for name in ("NERV_HOME", "NERV_DATABASE_URL", "NERV_ACTOR", "HOME", "PYTHONPATH") if name in os.environ}
    command = " ".join([*(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                        *map(shlex.quote, nerv_executable()), "watch", "--interval", "0.3"])
    tmux("new-session", "-d", "-x", "80", "-y", "40", "-s", "watch", "-c", str(ledger),
         "env -i PATH=/usr/bin:/bin TERM=xterm-256color PS1='shell$ ' bash --norc --noprofile")
    tmux("send-keys", "-t", "watch", f"{command}; echo watch-rc=$?", "Enter")

    first = tmux.wait_for(lambda s: "alice" in s and "needs a person" in s, "the dashboard")
    assert "#1 Fix the login" in first and "src/auth/**" in first
    assert max(len(line) for line in first.splitlines()) <= 80

    assert run_cli("task", "add", "Rotate the signing keys").code == 0
    assert run_cli("task", "claim", "5", "--agent", "dave").code == 0
    changed = tmux.wait_for(lambda s: "dave" in s, "the claim made from outside")
    assert "#5 Rotate the signing keys" in changed

    tmux("resize-window", "-t", "watch", "-x", "120", "-y", "30")
    wide = tmux.wait_for(lambda s: "cookie is stale" in s, "the view re-fitted to 120 columns")
    assert max(len(line) for line in wide.splitlines()) <= 120
    tmux("resize-window", "-t", "watch", "-x", "60", "-y", "30")
    narrow = tmux.wait_for(lambda s: "cookie" not in s and "alice" in s, "the view re-fitted to 60 columns")
    assert max(len(line) for line in narrow.splitlines()) <= 60

    tmux("send-keys", "-t", "watch", "q")
    after = tmux.wait_for(lambda s: re.search(r"watch-rc=\d", s), "nerv watch to exit")
    assert "watch-rc=0" in after
    assert "needs a person" not in after and "alice" not in after  # the alternate screen is gone
    assert after.rstrip().endswith("shell$")


def test_watch_never_writes(ledger, db_hash, tmux):
    before = db_hash()
    tmux("new-session", "-d", "-x", "80", "-y", "40", "-s", "watch", "-c", str(ledger),
         "env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in os.environ.items()
                           if k in ("NERV_HOME", "NERV_DATABASE_URL", "HOME", "PYTHONPATH", "PATH"))
         + " " + " ".join(map(shlex.quote, nerv_executable())) + " watch --interval 0.2")
    tmux.wait_for(lambda s: "alice" in s, "the dashboard")
    time.sleep(1.0)  # several refreshes
    assert db_hash() == before
    tmux("send-keys", "-t", "watch", "C-c")


def test_watch_refuses_json_and_a_bad_interval(cli, ledger):
    refused = cli("watch", "--json")
    assert refused.code == 2 and refused.error["code"] == "usage"
    for bad in ("0", "-1", "nan", "99999"):
        result = cli("watch", "--interval", bad, "--json")
        assert result.code == 2 and result.error["code"] == "usage", result.stderr
