"""End-to-end fixtures: the real Claude Code CLI, offline, against a scripted fake Anthropic API.

- `claude_code` (session): installs the pinned Claude Code into a cache outside the repo when missing
  (tests/e2e/claude_install.py) and checks that it runs; otherwise every test here is skipped with the
  reason (no npm, registry unreachable, no binary for this platform).
- `run_claude` (function): runs `claude -p PROMPT --output-format json` with
  * a fresh HOME and CLAUDE_CONFIG_DIR per run (no real user config is read or written; `-p` needs no
    onboarding file: Claude Code creates `$CLAUDE_CONFIG_DIR/.claude.json` itself), CLAUDE_CODE_TMPDIR
    and TMPDIR in the test's tmp_path;
  * the test's NERV_HOME, NERV_HOOK_DAEMON (off) and on PostgreSQL its NERV_DATABASE_URL (a unix socket,
    reachable from the namespace below): the ledger `cli(...)` writes to is the one the hooks read;
  * PATH = the venv's bin folder (where `nerv` is installed beside sys.executable) + the system folders;
  * an environment built from scratch: the dummy key, ANTHROPIC_BASE_URL = the fake server, and
    DISABLE_TELEMETRY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, DISABLE_AUTOUPDATER; nothing of the
    caller's environment (no proxies, tokens, Bedrock/Vertex switches) is passed on;
  * IS_SANDBOX=1 when running as root: Claude Code refuses bypassPermissions for root otherwise;
  * a logging hook for every event in the run's user settings (tests/e2e/hook_logger.py), so the
    result lists the hook events that fired, in order.
- Network isolation, NERV_E2E_NETNS = auto (default) | require | off:
  `auto`/`require` run Claude Code inside `unshare -n --pid --fork --mount-proc --kill-child` (`-rn` when
  not root; without the PID namespace where that fails): a namespace whose only interface is loopback;
  tests/e2e/launcher.py forwards a port there to the fake server's Unix socket, so nothing can leave the
  machine. When no namespace can be made, `require` skips; `auto` (and `off`) run on the host's
  loopback, acceptable only because the environment is built from scratch as above and
  `_check_offline_env` refuses to start unless ANTHROPIC_BASE_URL is our server on 127.0.0.1 and the three
  switches are set (Claude Code then sends nothing but its API calls; verified in the namespace).
- Processes: the launcher is a child subreaper and kills whatever the run left behind (tool shells run in
  their own process groups); in a PID namespace the kernel does it too; the process group is killed last.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e import claude_install
from tests.e2e.fake_anthropic import FakeAnthropic, Request

HERE = Path(__file__).resolve().parent
HOOK_LOGGER = HERE / "hook_logger.py"
LAUNCHER = HERE / "launcher.py"
OFFLINE_SWITCHES = {"DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                    "DISABLE_AUTOUPDATER": "1"}
DUMMY_KEY = "sk-ant-api03-nerv-e2e-dummy-key-not-a-secret"
# Claude Code 2.1.332's hook events (its own list), less WorktreeCreate (a hook there replaces `git worktree
# add` and must print the path) and FileChanged (needs a file-name matcher).
LOGGED_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "Notification",
                 "UserPromptSubmit", "UserPromptExpansion", "SessionStart", "SessionEnd", "Stop", "StopFailure",
                 "SubagentStart", "SubagentStop", "PreCompact", "PostCompact", "PreModelSwitch", "PostModelSwitch",
                 "PermissionRequest", "PermissionDenied", "Setup", "TeammateIdle", "TaskCreated", "TaskCompleted",
                 "Elicitation", "ElicitationResult", "ConfigChange", "WorktreeRemove", "InstructionsLoaded",
                 "CwdChanged", "DirectoryAdded", "MessageDisplay", "PreSkillShellCommand")
# Events that fire in every run whatever happens, and add noise to the order tests compare.
NOISE_EVENTS = ("InstructionsLoaded", "MessageDisplay", "Setup", "ConfigChange")


def _venv_bin() -> Path:
    """The folder of this interpreter as invoked (a venv's bin/python is a symlink: do not resolve it)."""
    return Path(sys.executable).parent


def ledger_env() -> dict:
    """What the hooks need to reach the test's ledger: NERV_HOME, and from tests/conftest.py the test's
    database on PostgreSQL (NERV_DATABASE_URL) and no hook daemon."""
    names = ("NERV_HOME", "NERV_DATABASE_URL", "NERV_HOOK_DAEMON")
    return {name: os.environ[name] for name in names if os.environ.get(name)}


def nerv_command() -> str | None:
    candidate = _venv_bin() / "nerv"
    if candidate.exists():
        return str(candidate)
    return shutil.which("nerv")


# --------------------------------------------------------------------------------------------- isolation
def _namespace_prefix() -> tuple[list[str] | None, str]:
    """The `unshare` words that give a loopback-only network namespace here, or None and why not."""
    mode = os.environ.get("NERV_E2E_NETNS", "auto")
    if mode == "off":
        return None, "NERV_E2E_NETNS=off"
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "no unshare binary"
    # -rn when not root: a user namespace maps us to root inside. A PID namespace too when possible: when
    # the launcher (its pid 1) ends, the kernel ends every process Claude Code or a tool left behind.
    net = [[unshare, "-n"], [unshare, "-rn"]] if os.geteuid() == 0 else [[unshare, "-rn"]]
    attempts = [[*prefix, "--pid", "--fork", "--mount-proc", "--kill-child"] for prefix in net] + net
    reasons = []
    for prefix in attempts:
        try:
            probe = subprocess.run([*prefix, sys.executable, "-I", str(LAUNCHER), "--probe"], capture_output=True,
                                   text=True, timeout=20, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"{' '.join(prefix)}: {exc}")
            continue
        if probe.returncode == 0 and probe.stdout.strip() == "isolated":
            return prefix, " ".join(["unshare", *prefix[1:]])
        reasons.append(f"{' '.join(prefix)}: exit {probe.returncode} {(probe.stderr or probe.stdout).strip()[:200]}")
    return None, "; ".join(reasons)


def _check_offline_env(env: dict, base_url: str | None) -> None:
    """Refuse to start Claude Code on the host network unless it can only talk to our server."""
    if base_url is not None:
        assert env.get("ANTHROPIC_BASE_URL") == base_url and base_url.startswith("http://127.0.0.1:"), env
    for key, value in OFFLINE_SWITCHES.items():
        assert env.get(key) == value, f"{key} must be {value} for an offline run"
    forbidden = [k for k in env if k.upper().endswith("_PROXY") or k in (
        "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX",
        "CLAUDE_CODE_USE_FOUNDRY")]
    assert not forbidden, f"not passed to an offline run: {forbidden}"


# --------------------------------------------------------------------------------------------- results
@dataclass
class Result:
    returncode: int
    json_output: dict | None
    stdout: str
    stderr: str
    requests: list[Request]
    transcript_paths: list[Path]
    hook_events: list[dict] = field(default_factory=list)  # hook_logger records, in firing order
    fake: FakeAnthropic | None = None
    config_dir: Path | None = None
    duration_s: float = 0.0
    isolation: str = ""  # the `unshare ...` words used, or "host loopback"

    def events(self, *, noise: bool = False) -> list[str]:
        """Event names in order; `Name(tool)` for tool events; noise events left out unless asked."""
        names = []
        for record in self.hook_events:
            event = record.get("event")
            if not noise and event in NOISE_EVENTS:
                continue
            tool = (record.get("payload") or {}).get("tool_name")
            names.append(f"{event}({tool})" if tool else str(event))
        return names

    def tool_result(self, tool_use_id: str) -> dict | None:
        return self.fake.tool_result(tool_use_id) if self.fake else None

    def transcript_usage(self) -> list[dict]:
        """Assistant usage from the transcripts, one per (message.id, requestId): what an importer counts."""
        seen = {}
        for path in self.transcript_paths:
            for line in path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                message = row.get("message") if isinstance(row, dict) else None
                if isinstance(message, dict) and isinstance(message.get("usage"), dict):
                    seen[(message.get("id"), row.get("requestId"))] = message["usage"]
        return list(seen.values())


def _read_hook_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    return records


def _logger_settings() -> dict:
    command = f"{shlex.quote(sys.executable)} -I {shlex.quote(str(HOOK_LOGGER))}"
    return {"hooks": {event: [{"hooks": [{"type": "command", "command": command, "timeout": 30}]}]
                      for event in LOGGED_EVENTS}}


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def claude_code() -> str:
    """The pinned Claude Code executable (installed into the cache when missing), or skip with the reason."""
    if os.environ.get("NERV_E2E_SKIP"):
        pytest.skip("NERV_E2E_SKIP is set")
    if nerv_command() is None:
        pytest.skip(f"no `nerv` executable beside {sys.executable} nor on PATH")
    install = claude_install.ensure()
    if install.path is None:
        pytest.skip(f"Claude Code {install.version} unavailable: {install.reason}")
    problem = claude_install.check_runs(install.path)
    if problem:
        pytest.skip(f"Claude Code {install.version} does not run here: {problem}")
    return install.path


@pytest.fixture(scope="session")
def netns() -> tuple[list[str] | None, str]:
    prefix, why = _namespace_prefix()
    if prefix is None and os.environ.get("NERV_E2E_NETNS") == "require":
        pytest.skip(f"NERV_E2E_NETNS=require but no network namespace can be made: {why}")
    return prefix, why


@pytest.fixture
def run_claude(claude_code, netns, tmp_path, nerv_home):
    """run_claude(prompt, script, *, cwd, settings=None, permission_mode=None, extra_args=(), env=None,
    timeout=120, model=None, forwards=None) -> Result. Each call gets its own HOME/CLAUDE_CONFIG_DIR and fake
    server. `forwards` {VAR: unix socket}: inside a network namespace, VAR is a loopback URL bridged to that
    socket (on the host's loopback, `env` gives VAR its host URL instead)."""
    prefix, _why = netns
    counter = iter(range(1, 1000))
    live: list[subprocess.Popen] = []

    def run(prompt: str, script: list, *, cwd: Path | str, settings: dict | None = None,
            permission_mode: str | None = None, extra_args=(), env: dict | None = None,
            timeout: float = 120, model: str | None = None, forwards: dict | None = None) -> Result:
        n = next(counter)
        base = tmp_path / f"claude-run-{n}"
        home = base / "home"
        config_dir = home / ".claude"
        scratch = base / "tmp"
        for folder in (config_dir, scratch):
            folder.mkdir(parents=True)
        hook_log = base / "hooks.jsonl"
        user_settings = _logger_settings()
        if settings:
            user_settings = _merge_settings(user_settings, settings)
        (config_dir / "settings.json").write_text(json.dumps(user_settings, indent=1))
        sock_dir = tempfile.mkdtemp(prefix="nerv-e2e-")  # short: AF_UNIX paths are limited to ~107 bytes
        fake = FakeAnthropic(script, unix_socket=os.path.join(sock_dir, "api.sock") if prefix else None,
                             model=model)
        fake.start()
        try:
            run_env = {
                "PATH": os.pathsep.join([str(_venv_bin()), "/usr/local/bin", "/usr/bin", "/bin"]),
                "HOME": str(home), "CLAUDE_CONFIG_DIR": str(config_dir), "USER": os.environ.get("USER", "tester"),
                "SHELL": shutil.which("bash") or "/bin/sh", "LANG": "C.UTF-8", "TERM": "dumb",
                "TMPDIR": str(scratch), "CLAUDE_CODE_TMPDIR": str(scratch),
                **ledger_env(), "NERV_ACTOR": "e2e",
                "NERV_E2E_HOOK_LOG": str(hook_log), "ANTHROPIC_API_KEY": DUMMY_KEY, **OFFLINE_SWITCHES,
            }
            if os.geteuid() == 0:
                run_env["IS_SANDBOX"] = "1"
            run_env.update(env or {})
            command = [claude_code, "-p", prompt, "--output-format", "json"]
            if permission_mode:
                command += ["--permission-mode", permission_mode]
            command += list(extra_args)
            if prefix:
                run_env.pop("ANTHROPIC_BASE_URL", None)  # the launcher sets it to its loopback port
                _check_offline_env(run_env, None)
                bridges = ["--bridge", fake.unix_socket]
                for name, unix_path in (forwards or {}).items():  # these too: env's host URL is unreachable
                    run_env.pop(name, None)
                    bridges += ["--forward", f"{name}={unix_path}"]
                command = [*prefix, sys.executable, "-I", str(LAUNCHER), *bridges, "--", *command]
            else:
                run_env["ANTHROPIC_BASE_URL"] = fake.base_url
                _check_offline_env(run_env, fake.base_url)
                command = [sys.executable, "-I", str(LAUNCHER), "--", *command]
            started = time.monotonic()
            proc = subprocess.Popen(command, cwd=str(cwd), env=run_env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
            live.append(proc)
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()  # the launcher passes it on, then kills what is left
                try:
                    stdout, stderr = proc.communicate(timeout=5)
                except subprocess.TimeoutExpired:
                    _kill_group(proc)
                    stdout, stderr = proc.communicate(timeout=10)
                raise AssertionError(f"claude did not finish within {timeout} s; requests: {fake.paths()}\n"
                                     f"stdout: {stdout[-2000:]}\nstderr: {stderr[-2000:]}")
            finally:
                _kill_group(proc)  # backstop: the launcher has reaped what the run left behind
            duration = time.monotonic() - started
        finally:
            fake.stop()
            shutil.rmtree(sock_dir, ignore_errors=True)
        try:
            document = json.loads(stdout)
        except ValueError:
            document = None
        transcripts = sorted((config_dir / "projects").rglob("*.jsonl")) if (config_dir / "projects").exists() else []
        return Result(proc.returncode, document, stdout, stderr, list(fake.requests), transcripts,
                      _read_hook_log(hook_log), fake, config_dir, duration,
                      " ".join(["unshare", *prefix[1:]]) if prefix else "host loopback")

    yield run
    for proc in live:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait(timeout=10)


def _merge_settings(base: dict, extra: dict) -> dict:
    merged = {**base, **{k: v for k, v in extra.items() if k != "hooks"}}
    hooks = {event: list(groups) for event, groups in base.get("hooks", {}).items()}
    for event, groups in extra.get("hooks", {}).items():
        hooks.setdefault(event, []).extend(groups)
    merged["hooks"] = hooks
    return merged


@pytest.fixture
def project_dir(tmp_path) -> Path:
    """The folder Claude Code runs in: a fresh git repository, as a real project is (`nerv hook install
    --scope project` writes to the git root's .claude/settings.json)."""
    folder = tmp_path / "project"
    folder.mkdir()
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed (the test project is a git repository)")
    subprocess.run([git, "init", "-q", str(folder)], check=True, capture_output=True, timeout=30,
                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
                        "GIT_CONFIG_NOSYSTEM": "1"})
    return folder


@pytest.fixture
def install_nerv_hooks(cli, monkeypatch):
    """install_nerv_hooks(folder, scope="project"): `nerv hook install` run from that folder."""
    def install(folder: Path, scope: str = "project") -> dict:
        monkeypatch.chdir(folder)
        result = cli("--json", "hook", "install", "--scope", scope)
        assert result.code == 0, result.stderr
        return result.data

    return install
