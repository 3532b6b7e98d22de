"""The hook's side of the machine's hook daemon (team mode, docs/teams.md "The hook daemon"). Stdlib only.

`_socket`, not `socket`: the `socket` module imports enum, selectors and more, several times the cost of
the C module it wraps, and one connect/send/receive needs none of it.

The line protocol, one connection per hook call: the hook sends one JSON line (the header: protocol
version, database URL, which nerv asks, the event, its working directory and environment), then the
event's stdin as it came, then shuts its side. The daemon answers `ok` on a line of its own once it has
read the request and starts acting on it, then one JSON line {"code", "stdout", "stderr", "pid"}: what the
same handler wrote and returned in the daemon. A daemon that will not serve the request (another nerv, another
URL) answers one JSON line {"refused": why} instead of `ok`.
"""

from __future__ import annotations

import _socket
import os
import sys

from nerv import fastjson

PROTOCOL = 1
FOLDER = "hookd"  # in NERV_HOME, mode 0700
# Events whose answer matters (a permission decision): rerun directly when the daemon fails them mid-way.
DECISION_EVENTS = ("pre-tool-use", "permission-request")
# After a start, hooks wait this long before starting another (a daemon that cannot run must not be
# spawned on every call).
RESTART_PAUSE_S = 30
MAX_SUN_PATH = 100  # sun_path holds 108 bytes on Linux; a longer path goes through /proc/self/fd


def folder() -> str:
    from nerv.env import nerv_home

    return os.path.join(nerv_home(), FOLDER)


def nerv_identity() -> str:
    """Which nerv this is (its package folder and version): a daemon only serves its own code."""
    import nerv

    return f"{os.path.dirname(os.path.abspath(nerv.__file__))}@{nerv.__version__}"


def server_environment(environ) -> dict:
    """The variables libpq reads (PGUSER, PGPASSWORD, PGHOST...): they choose the role and the server as much as
    the URL does, and the daemon's connections use its own, so a daemon serves only hooks that have the same."""
    return {name: value for name, value in environ.items() if name.startswith("PG")}


def file_stem(url: str) -> str:
    """The daemon's file names for this URL, libpq environment and nerv (the daemon checks all three: the
    name only finds it)."""
    return os.path.join(folder(), server_key(url, nerv_identity()))


def server_key(url: str, *extra: str) -> str:
    """A short name for this URL and libpq environment (with `extra`), for the machine's files about that
    server: the daemon's socket, the hook's local cache."""
    import zlib

    parts = [url, *extra, *(f"{k}={v}" for k, v in sorted(server_environment(os.environ).items()))]
    return f"{zlib.crc32(chr(10).join(parts).encode('utf-8', 'surrogateescape')):08x}"


def is_private_folder(path: str) -> bool:
    """A folder of this user's that no one else may enter (what the socket's safety rests on)."""
    info = os.stat(path)
    return (info.st_mode & 0o170000) == 0o040000 and info.st_uid == os.getuid() and info.st_mode & 0o077 == 0


def socket_address(path: str) -> tuple[str, int | None]:
    """An address `connect`/`bind` accept for `path`, and a folder descriptor to close after, if one was opened."""
    if len(os.fsencode(path)) <= MAX_SUN_PATH:
        return path, None
    descriptor = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    return f"/proc/self/fd/{descriptor}/{os.path.basename(path)}", descriptor


def ask(event: str, raw: bytes, url: str) -> int | None:
    """Have the daemon run `event`; write its answer and return the exit code. None: the caller runs the
    event itself (no daemon, a refusal, or a decision the daemon did not finish); a daemon this nerv can
    start is started for the next calls."""
    stem = file_stem(url)
    try:
        private = is_private_folder(os.path.dirname(stem))
    except OSError:
        start(stem)
        return None
    if not private:
        sys.stderr.write(f"nerv hook: {os.path.dirname(stem)} is not a private folder of this user; "
                         "the hook daemon is not used\n")
        return None
    accepted, reply = _exchange(stem + ".sock", url, event, raw)
    if accepted is None:
        start(stem)
        return None
    if not accepted or reply is None:
        if accepted and event not in DECISION_EVENTS:
            # It may have been recorded before the daemon stopped: running it again could record it twice.
            sys.stderr.write(f"nerv hook: the hook daemon stopped during {event}; not run again\n")
            return 0
        return None
    sys.stdout.write(reply["stdout"])
    sys.stdout.flush()
    sys.stderr.write(reply["stderr"])
    if os.environ.get("NERV_DEBUG", "").lower() in ("1", "true", "yes"):
        sys.stderr.write(f"nerv hook: answered by the hook daemon (pid {reply['pid']})\n")
    return reply["code"]


def _exchange(path: str, url: str, event: str, raw: bytes) -> tuple[bool | None, dict | None]:
    """(accepted, reply): accepted None when no daemon listens, False when it refused; reply None when the
    answer did not arrive whole."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    descriptor = None
    try:
        address, descriptor = socket_address(path)
        try:
            sock.connect(address)
        except OSError:
            return None, None
        header = {"v": PROTOCOL, "url": url, "nerv": nerv_identity(), "event": event, "cwd": os.getcwd(),
                  "env": dict(os.environ)}
        try:
            sock.sendall(fastjson.dumps(header, ensure_ascii=False).encode("utf-8", "surrogateescape") + b"\n" + raw)
            sock.shutdown(_socket.SHUT_WR)
            data = _read_all(sock)
        except OSError:
            return None, None  # the daemon went before reading: nothing of this call ran there
    finally:
        sock.close()
        if descriptor is not None:
            os.close(descriptor)
    first, newline, rest = data.partition(b"\n")
    if first != b"ok":
        return (False, None) if newline else (None, None)
    try:
        reply = fastjson.loads(rest.decode("utf-8", "surrogateescape"))
        return True, reply if {"code", "stdout", "stderr", "pid"} <= set(reply) else None
    except (ValueError, TypeError):
        return True, None


def _read_all(sock) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:  # the daemon was killed: what came before the reset is all there is
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def start(stem: str) -> None:
    """Start the daemon in the background for the next calls (this call does not wait for it), unless
    one was started in the last RESTART_PAUSE_S or NERV_HOOK_DAEMON is off. Never raises."""
    from nerv.env import hook_daemon_mode

    if hook_daemon_mode() == "off":
        return
    marker = stem + ".started"
    try:
        os.makedirs(os.path.dirname(stem), mode=0o700, exist_ok=True)
        try:
            import time

            if time.time() - os.stat(marker).st_mtime < RESTART_PAUSE_S:
                return
        except FileNotFoundError:
            pass
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.utime(marker)
        package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        code = (f"import sys; sys.path.insert(0, {os.path.dirname(package_dir)!r}); "
                "from nerv.hook.daemon import main; sys.exit(main())")
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, stem + ".log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)]
        os.posix_spawn(sys.executable, [sys.executable, "-P", "-c", code], dict(os.environ), file_actions=actions,
                       setsid=True)
    except Exception as exc:  # the direct path answers this call either way
        sys.stderr.write(f"nerv hook: could not start the hook daemon: {type(exc).__name__}: {exc}\n")
