"""SDK mode (`--input-format stream-json --output-format stream-json --permission-prompt-tool stdio`) under the
real Claude Code CLI: queue mode answered through PermissionRequest while the SDK host waits.

The runner below mirrors conftest.run_claude (same isolation, environment and logging hook) but keeps stdin
open: the test writes the user message as a stream-json line, answers any `control_request` Claude Code
sends the host (`can_use_tool`), and closes stdin once the `result` message arrives.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from tests.e2e import conftest as harness
from tests.e2e.fake_anthropic import FakeAnthropic, Text, bash
from tests.e2e.test_claude_modes import approvals, set_settings

pytestmark = pytest.mark.slow  # real Claude Code runs


class SdkRun:
    def __init__(self):
        self.messages: list[dict] = []
        self.control_requests: list[dict] = []
        self.result: dict | None = None
        self.returncode: int | None = None
        self.stderr = ""
        self.fake: FakeAnthropic | None = None
        self.hook_events: list[dict] = []
        self.done = threading.Event()
        self.error: BaseException | None = None

    def events(self) -> list[str]:
        names = []
        for record in self.hook_events:
            event = record.get("event")
            if event in harness.NOISE_EVENTS:
                continue
            tool = (record.get("payload") or {}).get("tool_name")
            names.append(f"{event}({tool})" if tool else str(event))
        return names


@pytest.fixture
def run_sdk(claude_code, netns, tmp_path, nerv_home):
    """run_sdk(prompt, script, *, cwd, can_use_tool=lambda req: {"behavior": "deny", ...}) -> SdkRun, started in
    a thread; `.done` is set when it ended."""
    prefix, _why = netns
    live: list[subprocess.Popen] = []
    threads: list[threading.Thread] = []

    def start(prompt: str, script: list, *, cwd, can_use_tool=None, timeout: float = 120) -> SdkRun:
        run = SdkRun()
        base = tmp_path / f"sdk-run-{len(threads) + 1}"
        home = base / "home"
        config_dir = home / ".claude"
        scratch = base / "tmp"
        for folder in (config_dir, scratch):
            folder.mkdir(parents=True)
        hook_log = base / "hooks.jsonl"
        (config_dir / "settings.json").write_text(json.dumps(harness._logger_settings(), indent=1))
        sock_dir = tempfile.mkdtemp(prefix="nerv-e2e-")
        fake = FakeAnthropic(script, unix_socket=os.path.join(sock_dir, "api.sock") if prefix else None)
        run.fake = fake

        def body():
            fake.start()
            try:
                env = {
                    "PATH": os.pathsep.join([str(harness._venv_bin()), "/usr/local/bin", "/usr/bin", "/bin"]),
                    "HOME": str(home), "CLAUDE_CONFIG_DIR": str(config_dir), "USER": os.environ.get("USER", "t"),
                    "SHELL": shutil.which("bash") or "/bin/sh", "LANG": "C.UTF-8", "TERM": "dumb",
                    "TMPDIR": str(scratch), "CLAUDE_CODE_TMPDIR": str(scratch),
                    **harness.ledger_env(), "NERV_ACTOR": "e2e", "NERV_E2E_HOOK_LOG": str(hook_log),
                    "ANTHROPIC_API_KEY": harness.DUMMY_KEY, **harness.OFFLINE_SWITCHES,
                }
                if os.geteuid() == 0:
                    env["IS_SANDBOX"] = "1"
                command = [claude_code, "-p", "--input-format", "stream-json", "--output-format", "stream-json",
                           "--verbose", "--permission-prompt-tool", "stdio"]
                if prefix:
                    harness._check_offline_env(env, None)
                    command = [*prefix, sys.executable, "-I", str(harness.LAUNCHER), "--bridge", fake.unix_socket,
                               "--", *command]
                else:
                    env["ANTHROPIC_BASE_URL"] = fake.base_url
                    harness._check_offline_env(env, fake.base_url)
                    command = [sys.executable, "-I", str(harness.LAUNCHER), "--", *command]
                proc = subprocess.Popen(command, cwd=str(cwd), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True, bufsize=1)
                live.append(proc)
                lines: queue.Queue = queue.Queue()
                threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)],
                                 daemon=True).start()
                err_chunks: list[str] = []
                threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True).start()
                user = {"type": "user", "message": {"role": "user", "content": prompt}, "parent_tool_use_id": None,
                        "session_id": ""}
                proc.stdin.write(json.dumps(user) + "\n")
                proc.stdin.flush()
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    try:
                        line = lines.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    if line is None:
                        break
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    run.messages.append(message)
                    if message.get("type") == "control_request":
                        run.control_requests.append(message)
                        request = message.get("request") or {}
                        if request.get("subtype") == "can_use_tool":
                            answer = (can_use_tool or (lambda r: {"behavior": "deny", "message": "sdk host: no"}))(
                                request)
                            if answer is None:  # the host's person has not answered (yet)
                                continue
                            if answer.get("behavior") == "allow":
                                answer = {"updatedInput": request.get("input", {}), **answer}
                        else:
                            answer = {}
                        proc.stdin.write(json.dumps({"type": "control_response", "response": {
                            "subtype": "success", "request_id": message.get("request_id"), "response": answer}})
                            + "\n")
                        proc.stdin.flush()
                    elif message.get("type") == "result":
                        run.result = message
                        proc.stdin.close()
                try:
                    proc.wait(timeout=max(1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.terminate()
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        harness._kill_group(proc)
                        proc.wait(timeout=10)
                finally:
                    harness._kill_group(proc)
                run.returncode = proc.returncode
                time.sleep(0.2)
                run.stderr = "".join(err_chunks)
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                run.error = exc
            finally:
                fake.stop()
                shutil.rmtree(sock_dir, ignore_errors=True)
                run.hook_events = harness._read_hook_log(hook_log)
                run.done.set()

        thread = threading.Thread(target=body, daemon=True)
        threads.append(thread)
        thread.start()
        return run

    yield start
    for proc in live:
        if proc.poll() is None:
            harness._kill_group(proc)
            proc.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=15)


def _wait_pending(cli, run: SdkRun, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = approvals(cli, "pending")
        if pending:
            assert len(pending) == 1, pending
            return pending[0]
        assert not run.done.is_set(), (run.error, run.events(), run.control_requests, run.stderr[-2000:])
        time.sleep(0.2)
    raise AssertionError(f"no pending approval request within {timeout} s")


def _finish(run: SdkRun, timeout: float = 150) -> SdkRun:
    assert run.done.wait(timeout), "sdk run did not finish"
    if run.error is not None:
        raise run.error
    assert run.result is not None, (run.returncode, run.stderr[-2000:], run.messages[-3:])
    assert run.fake.errors == [] and len(run.fake.main_requests()) == 2, run.fake.paths()
    assert run.returncode == 0 and run.result.get("subtype") == "success", (run.returncode, run.result)
    return run


@pytest.mark.slow
@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_sdk_permission_request_queued(run_sdk, project_dir, cli, install_nerv_hooks, decision):
    set_settings(cli, hook__mode="queue", hook__approval_tools="[]")
    install_nerv_hooks(project_dir)
    asked = []

    def host(request):  # the host's person never answers: nerv's PermissionRequest answer decides
        asked.append(request)
        return None

    run = run_sdk("make it", [bash("touch made.txt", "make a file", id="toolu_e2e_sdk"), Text("done")],
                  cwd=project_dir, can_use_tool=host)
    request = _wait_pending(cli, run)
    assert request["hook_event"] == "PermissionRequest" and request["tool"] == "Bash", request
    if decision == "approve":
        assert cli("approval", "approve", request["id"]).code == 0
    else:
        assert cli("approval", "deny", request["id"], "--reason", "sdk-no-e2e").code == 0
    run = _finish(run)

    # Claude Code asks the host and runs the PermissionRequest hooks at the same time; the first answer wins.
    assert [r["tool_name"] for r in asked] == ["Bash"], asked
    tool_result = run.fake.tool_result("toolu_e2e_sdk")
    [final] = approvals(cli)
    if decision == "approve":
        assert (project_dir / "made.txt").exists()
        assert tool_result["is_error"] is False, tool_result
        assert final["status"] == "approved"
    else:
        assert not (project_dir / "made.txt").exists()
        assert tool_result == {"tool_use_id": "toolu_e2e_sdk", "is_error": True,
                               "text": f"nerv: approval request #{request['id']} denied: sdk-no-e2e"}
        assert (final["status"], final["reason"]) == ("denied", "sdk-no-e2e")
    assert "PermissionRequest(Bash)" in run.events(), run.events()


@pytest.mark.slow
def test_sdk_host_answering_first_closes_the_request(run_sdk, project_dir, cli, install_nerv_hooks):
    """The host's own answer wins the race with nerv's waiting PermissionRequest hook; nothing stays pending."""
    set_settings(cli, hook__mode="queue", hook__approval_tools="[]")
    install_nerv_hooks(project_dir)

    run = _finish(run_sdk("make it", [bash("touch made.txt", "make a file", id="toolu_e2e_sdk"), Text("done")],
                          cwd=project_dir, can_use_tool=lambda r: {"behavior": "deny", "message": "sdk host: no"}))

    assert not (project_dir / "made.txt").exists()
    assert run.fake.tool_result("toolu_e2e_sdk") == {"tool_use_id": "toolu_e2e_sdk", "is_error": True,
                                                      "text": "sdk host: no"}
    # Claude Code abandons the PermissionRequest hooks once the host answered: whether a hook got as far as
    # logging (or nerv as far as recording its request) is a race, so only what is certain is asserted.
    events = [e for e in run.events() if e != "PermissionRequest(Bash)"]
    assert events == ["SessionStart", "UserPromptSubmit", "PreToolUse(Bash)", "PostToolBatch", "Stop", "SessionEnd"]
    # Nothing stays pending. A request nerv recorded before PostToolBatch is closed by it as not run; one the
    # late hook recorded after PostToolBatch is abandoned at SessionEnd (both observed).
    for final in approvals(cli):
        assert final["hook_event"] == "PermissionRequest", final
        closed = (final["status"], final["decided_by"])
        assert closed in {("denied", "claude-code"), ("abandoned", "session-end")}, final
