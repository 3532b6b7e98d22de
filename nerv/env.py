"""The environment variables several layers read, each read in one place. Stdlib only (the hook uses it)."""

from __future__ import annotations

import os


def nerv_agent() -> str | None:
    """The nerv agent this process acts for: NERV_AGENT (`NERV_AGENT=agent-1 claude ...`), runs of white
    space folded to one space, None when unset or blank."""
    return " ".join(os.environ.get("NERV_AGENT", "").split()) or None


def claude_config_dirs() -> list[str]:
    """The folders CLAUDE_CONFIG_DIR names (it may list several, comma-separated), `~` expanded."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR") or ""
    return [os.path.expanduser(part.strip()) for part in configured.split(",") if part.strip()]


def claude_user_dir() -> str:
    """Claude Code's user folder: the first CLAUDE_CONFIG_DIR folder, else `~/.claude`."""
    dirs = claude_config_dirs()
    return dirs[0] if dirs else os.path.join(os.path.expanduser("~"), ".claude")


def database_url() -> str | None:
    """NERV_DATABASE_URL (also set by the global `--database-url`): a `postgresql://` URL switches the
    process to team mode (docs/teams.md); None when unset or blank, and the local SQLite file is used."""
    return os.environ.get("NERV_DATABASE_URL", "").strip() or None


URL_PREFIXES = ("postgresql://", "postgres://")


def is_postgres_url(value: str | None) -> bool:
    """A URL naming a PostgreSQL server (team mode); nerv.store.postgres.is_url."""
    return bool(value) and value.startswith(URL_PREFIXES)


def nerv_home() -> str:
    """`NERV_HOME`, else `~/.nerv`: the machine's own folder (team mode keeps its local files there too)."""
    env = os.environ.get("NERV_HOME")
    return os.path.expanduser(env) if env else os.path.join(os.path.expanduser("~"), ".nerv")


HOOK_DAEMON_MODES = ("auto", "off")


def hook_daemon_mode() -> str:
    """NERV_HOOK_DAEMON: `auto` (the default) lets team-mode hooks use, and start, the machine's hook daemon
    (docs/teams.md, "The hook daemon"); `off` connects each hook to the server itself. Anything else is `auto`."""
    value = os.environ.get("NERV_HOOK_DAEMON", "").strip().lower()
    return value if value in HOOK_DAEMON_MODES else "auto"
