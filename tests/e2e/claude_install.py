"""Install a pinned Claude Code into a cache folder outside the repository, for the end-to-end tests.

How the package ships its binary (checked with 2.1.332): `@anthropic-ai/claude-code` is a wrapper whose
`bin/claude.exe` is a placeholder; its `optionalDependencies` name one package per platform
(`@anthropic-ai/claude-code-linux-x64`, `-linux-x64-musl`, `-linux-arm64`, `-darwin-arm64`, ...), each
holding the self-contained native executable `claude` (a Bun build, ~400 MB, no Node.js needed at run
time). The wrapper's postinstall (`node install.cjs`, engines node >= 22) only hard-links that file over
the placeholder. So we install with `--ignore-scripts` (no postinstall, no node version constraint, no
download beyond the registry tarballs) and use the platform package's `claude` directly. When npm skipped
the optional dependency (omit=optional in a user's npmrc), the platform package is installed explicitly.

    python -m tests.e2e.claude_install      # install if missing, print the executable's path

Folder: $NERV_E2E_CLAUDE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/nerv-tests/claude-code-<version>.
Idempotent and fast when present (a marker file written last; the install goes to a temporary folder
renamed into place, under a lock, so concurrent test runs never see half an install).
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "2.1.332"  # newest on the registry when written (2026-12); its native binary runs here
PACKAGE = "@anthropic-ai/claude-code"
MARKER = ".nerv-e2e-complete"
INSTALL_TIMEOUT_S = float(os.environ.get("NERV_E2E_INSTALL_TIMEOUT", "600"))


@dataclass
class Install:
    path: str | None  # the `claude` executable, or None
    reason: str  # why there is none (or how it was found)
    version: str = VERSION


def _real_home() -> Path:
    """The account's home, not $HOME: the test suite points HOME at a temporary folder per test."""
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return Path(os.path.expanduser("~"))


def cache_dir(version: str = VERSION) -> Path:
    override = os.environ.get("NERV_E2E_CLAUDE_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(_real_home() / ".cache")
    return Path(base) / "nerv-tests" / f"claude-code-{version}"


def _is_musl() -> bool:
    if platform.system() != "Linux":
        return False
    try:
        return not os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        return any(Path("/lib").glob("ld-musl-*"))


def platform_package() -> str | None:
    system = platform.system()
    machine = platform.machine().lower()
    cpu = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if cpu is None:
        return None
    if system == "Linux":
        return f"{PACKAGE}-linux-{cpu}" + ("-musl" if _is_musl() else "")
    if system == "Darwin":
        return f"{PACKAGE}-darwin-{cpu}"
    return None


def binary_in(folder: Path) -> Path | None:
    pkg = platform_package()
    if pkg is None:
        return None
    candidate = folder / "node_modules" / pkg / "claude"
    manifest = folder / "node_modules" / pkg / "package.json"
    try:
        if json.loads(manifest.read_text()).get("version") != VERSION:
            return None
    except (OSError, ValueError):
        return None
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def installed(version: str = VERSION) -> Path | None:
    """The executable when a complete install is present, else None. No subprocess: cheap."""
    folder = cache_dir(version)
    if not (folder / MARKER).is_file():
        return None
    return binary_in(folder)


def _npm(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(_real_home()), "npm_config_update_notifier": "false",
           "npm_config_fund": "false", "npm_config_audit": "false"}
    return subprocess.run(["npm", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def ensure(version: str = VERSION, timeout: float = INSTALL_TIMEOUT_S) -> Install:
    """Install Claude Code `version` when missing; return its executable or the reason there is none."""
    if version != VERSION:
        return Install(None, f"only the pinned {VERSION} is supported here", version)
    found = installed(version)
    if found:
        return Install(str(found), "cached")
    pkg = platform_package()
    if pkg is None:
        return Install(None, f"Claude Code ships no native binary for {platform.system()} {platform.machine()}")
    if shutil.which("npm") is None:
        return Install(None, "npm is not on PATH (needed once to install Claude Code into the cache)")
    folder = cache_dir(version)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be installing the same version
        found = installed(version)
        if found:
            return Install(str(found), "cached (installed by a concurrent run)")
        for abandoned in folder.parent.glob(f".{folder.name}.*"):
            if abandoned.is_dir():  # left by a run that was killed mid-install (we hold the lock)
                shutil.rmtree(abandoned, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            staging.chmod(0o755)
            (staging / "package.json").write_text('{"name": "nerv-e2e-claude", "private": true}\n')
            # --prefer-offline: a package already in npm's cache is not fetched again (installs offline);
            # few, short retries: an unreachable registry fails in ~15 s instead of retrying for minutes.
            common = ["install", "--ignore-scripts", "--no-package-lock", "--no-save", "--engine-strict=false",
                      "--prefer-offline", "--fetch-retries=2", "--fetch-retry-mintimeout=2000",
                      "--fetch-retry-maxtimeout=10000", "--loglevel=error"]
            try:
                proc = _npm([*common, f"{PACKAGE}@{version}"], staging, timeout)
                if proc.returncode == 0 and binary_in(staging) is None:
                    # the optional platform dependency was skipped: ask for it by name
                    proc = _npm([*common, f"{PACKAGE}@{version}", f"{pkg}@{version}"], staging, timeout)
            except subprocess.TimeoutExpired:
                return Install(None, f"npm install {PACKAGE}@{version} took more than {timeout:g} s "
                                     "(registry unreachable?)")
            if proc.returncode != 0:
                tail = [line for line in (proc.stderr or proc.stdout).strip().splitlines()
                        if "complete log of this run" not in line][-4:]
                return Install(None, f"npm install {PACKAGE}@{version} failed: " + " | ".join(tail))
            binary = binary_in(staging)
            if binary is None:
                return Install(None, f"npm installed {PACKAGE}@{version} but not {pkg}@{version} with its binary")
            (staging / MARKER).write_text(json.dumps({"version": version, "package": pkg}) + "\n")
            if folder.exists():
                shutil.rmtree(folder)  # an incomplete earlier attempt (no marker)
            staging.rename(folder)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    found = installed(version)
    return Install(str(found), "installed") if found else Install(None, f"install in {folder} is incomplete")


def check_runs(executable: str, timeout: float = 30) -> str | None:
    """None when `claude --version` reports the pinned version, else the reason."""
    with tempfile.TemporaryDirectory(prefix="nerv-e2e-version-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
               "CLAUDE_CONFIG_DIR": os.path.join(home, ".claude"), "DISABLE_AUTOUPDATER": "1",
               "DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        try:
            proc = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{executable} does not run: {exc}"
    if proc.returncode != 0 or VERSION not in proc.stdout:
        return f"{executable} --version: exit {proc.returncode}, {(proc.stdout + proc.stderr).strip()[:300]}"
    return None


if __name__ == "__main__":
    result = ensure()
    if result.path is None:
        print(f"not installed: {result.reason}", file=sys.stderr)
        sys.exit(1)
    problem = check_runs(result.path)
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(1)
    print(result.path)
