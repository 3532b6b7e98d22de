"""The hook's local cache of the server's rules and settings (team mode): what PreToolUse and PermissionRequest
decide from when the server cannot be reached. Stdlib only. docs/teams.md, "How it fails".

One file per server, `$NERV_HOME/hook-cache/<key>.json` (0600, in a 0700 folder; `<key>` as the hook daemon's
socket's, without the nerv version): a header line (format, the server's version marker of the cached rows,
the server's time of the read, this machine's wall time of the write), then the rows. After each decision
made on the server, unless the server confirmed the cache in the last CHECK_EVERY_S, the hook reads the
marker (one query) and compares it with the header's: equal, it sets the file's modification time (the time
the server last confirmed it), else it reads the rows again and replaces the file atomically. The cache's
age is the time since that confirmation.

A file that is not a regular file of this user's with no group or other permission bits, in such a folder,
or that does not parse, is ignored: the hook answers as with no cache.
"""

from __future__ import annotations

import os
import time

from nerv import fastjson
from nerv.hook import daemon_client

FORMAT = 1
FOLDER = "hook-cache"
MAX_BYTES = 64 * 1024 * 1024
# A cache the server confirmed this recently is not checked again: a busy machine's hooks skip the marker
# query (a stat instead), and the cache lags the server by at most this much, besides its age bound.
CHECK_EVERY_S = 1.0
_HEADER_PROBE = 4096  # the header line is well below this


def cache_path(url: str) -> str:
    from nerv.env import nerv_home

    return os.path.join(nerv_home(), FOLDER, daemon_client.server_key(url) + ".json")


def _read_private(path: str, limit: int) -> tuple[bytes, float] | None:
    """(the first `limit` bytes, modification time) of the cache file when it may be trusted, else None."""
    import stat

    try:
        if not daemon_client.is_private_folder(os.path.dirname(path)):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        return os.read(fd, limit), info.st_mtime
    except OSError:
        return None
    finally:
        os.close(fd)


def _header(data: bytes) -> dict | None:
    line = data.split(b"\n", 1)[0]
    try:
        header = fastjson.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return header if isinstance(header, dict) and header.get("format") == FORMAT else None


def keep_fresh(conn, url: str) -> None:
    """After a decision made on the server: confirm the cache (a utime) when the server's marker is the cached
    one, else write it again from the server's rows. Raises what the server or the file system raise."""
    from nerv.store import queries_hook_cache as q

    path = cache_path(url)
    try:
        if 0 <= time.time() - os.stat(path).st_mtime < CHECK_EVERY_S:
            return
    except OSError:
        pass
    version = q.marker(conn)
    found = _read_private(path, _HEADER_PROBE)
    header = _header(found[0]) if found else None
    if header is not None and header.get("marker") == version:
        os.utime(path)
        return
    _write(path, q.snapshot(conn))


def _write(path: str, read: dict) -> None:
    from nerv import atomic_file

    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not daemon_client.is_private_folder(folder):
        raise PermissionError(f"{folder} is not a private folder of this user's (mode 0700): no local cache")
    header = {"format": FORMAT, "marker": read["marker"], "server_time": read["server_time"],
              "written_at": time.time()}
    data = (fastjson.dumps(header) + "\n" + fastjson.dumps(read["body"], ensure_ascii=False) + "\n").encode()
    atomic_file.write_bytes(path, data, mode=0o600)


class Snapshot:
    """A trusted cache file, loaded: `conn` is an in-memory database of its rows for the hook's lookups."""

    def __init__(self, conn, body: dict, header: dict, age_s: float):
        self.conn, self.body, self.header, self.age_s = conn, body, header, age_s

    def close(self) -> None:
        self.conn.close()

    def setting(self, key: str, project_id: str | None):
        from nerv.hook.common import setting

        return setting(self.conn, key, project_id)

    def max_age_s(self, project_id: str | None) -> float:
        from nerv.settings_keys import KNOWN, validate

        value = self.setting("hook.cache_max_age_s", project_id)
        try:
            return float(validate("hook.cache_max_age_s", value))
        except (TypeError, ValueError):
            return float(KNOWN["hook.cache_max_age_s"].default)

    def on_error(self) -> str:
        """hook.on_error as the server had it (global, as the live path reads it); `ask` for anything else."""
        return "deny" if self.setting("hook.on_error", None) == "deny" else "ask"

    def fresh(self, project_id: str | None) -> bool:
        """Young enough to allow: confirmed by the server no longer ago than hook.cache_max_age_s (a time stamp in
        the future, after the clock went back, counts as old)."""
        return 0 <= self.age_s <= self.max_age_s(project_id)

    def describe(self) -> str:
        return f"from the local cache of the server's rules, {self.age_s:.0f} s old"

    def unknown_guard(self, tool: str) -> str | None:
        """Why a guard the server would run cannot be judged from the cache (None when none applies): the budget
        guard needs the spend, the lease guard the live leases, and the cache holds neither."""
        from nerv.hook.plugins.leases import FILE_TOOLS, SHELL_TOOLS
        from nerv.store import lookups

        if self.body.get("hard_budgets") and True in lookups.stored_values(self.conn, "budget.enforce"):
            return "budget.enforce is on, and the spend is on the server"
        left = self.body.get("lease_left_s")
        written = self.header.get("written_at")
        if (tool in FILE_TOOLS or tool in SHELL_TOOLS) and isinstance(left, (int, float)) and \
                (not isinstance(written, (int, float)) or left > time.time() - written):
            return "a path lease may be live, and leases are on the server"
        return None


def load(url: str) -> Snapshot | None:
    """The cache of this server when it exists and may be trusted, else None (absent, unsafe or unreadable)."""
    from nerv.store import queries_hook_cache as q

    found = _read_private(cache_path(url), MAX_BYTES)
    if found is None:
        return None
    data, confirmed = found
    header = _header(data)
    if header is None:
        return None
    try:
        body = fastjson.loads(data.split(b"\n", 1)[1].decode("utf-8"))
        if not isinstance(body, dict):
            return None
        conn = q.memory_ledger(body)
    except Exception:  # any damage: the cache is absent
        return None
    return Snapshot(conn, body, header, time.time() - confirmed)
