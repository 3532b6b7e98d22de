"""The machine's hook daemon (team mode): the hook events of this machine's agents, run on pooled server
connections. docs/teams.md, "The hook daemon".

A hook process in team mode pays for the driver import and a new server connection (a new server process)
on every tool call. The daemon pays for them once: it listens on a unix socket in NERV_HOME
(nerv.hook.daemon_client has the protocol) and runs each request through `nerv.hook.dispatch`, the very
function a hook process runs, in a thread of its own with a connection from a small pool, the request's
environment and working directory, and its stdout/stderr captured. So it answers exactly what the hook
would, and each write is still the handler's one server transaction. Not on the hook path: it may import
the driver.

Safety: the socket is 0600 in a 0700 folder of the user's; a peer of another uid is refused (SO_PEERCRED);
it serves only the URL and the nerv it was started for; it refuses a SQLite ledger; it exits after
`idle_timeout_s` without a request.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
import time
from collections.abc import MutableMapping
from contextlib import contextmanager

from nerv import fastjson
from nerv.errors import NervError
from nerv.hook import daemon_client as client

IDLE_TIMEOUT_S = 900
# Connections are opened only when every open one is busy, up to POOL_SIZE: a machine's agents call at once,
# and a request waiting for a connection was most of PreToolUse's latency with 16 of them (docs/performance.md,
# "With 16 agents"). Beyond KEEP_IDLE, one unused for IDLE_CLOSE_S is closed: a burst must not hold server
# backends for the daemon's life.
POOL_SIZE = 16
KEEP_IDLE = 4
IDLE_CLOSE_S = 60.0
CHECKOUT_WAIT_S = 1.0
MAX_REQUEST_BYTES = 64 * 1024 * 1024
ACCEPT_TICK_S = 1.0  # how often the accept loop looks at the idle clock
RECEIVE_TIMEOUT_S = 30.0


class ThreadStream:
    """sys.stdout/sys.stderr of the daemon: what a request's thread writes goes to that request's buffer."""

    def __init__(self, underlying):
        self.underlying = underlying
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        if buffer is None:
            return self.underlying.write(text)
        buffer.append(text)
        return len(text)

    def flush(self) -> None:
        if getattr(self.local, "buffer", None) is None:
            self.underlying.flush()

    @contextmanager
    def captured(self):
        self.local.buffer = buffer = []
        try:
            yield buffer
        finally:
            self.local.buffer = None


class ThreadEnviron(MutableMapping):
    """os.environ of the daemon: a request's thread sees the environment of the hook process that sent it
    (NERV_AGENT, NERV_ACTOR, NERV_PROJECT...), every other thread the daemon's own."""

    def __init__(self, underlying):
        self.underlying = underlying
        self.local = threading.local()

    def _current(self):
        mapping = getattr(self.local, "mapping", None)
        return self.underlying if mapping is None else mapping

    def __getitem__(self, key):
        return self._current()[key]

    def __setitem__(self, key, value):
        self._current()[key] = value

    def __delitem__(self, key):
        del self._current()[key]

    def __iter__(self):
        return iter(self._current())

    def __len__(self):
        return len(self._current())

    def copy(self) -> dict:
        return dict(self._current())

    @contextmanager
    def using(self, mapping: dict):
        self.local.mapping = mapping
        try:
            yield
        finally:
            self.local.mapping = None


class Pool:
    """Up to POOL_SIZE open connections, each handed to one request at a time, opened when every open one is
    busy and closed after IDLE_CLOSE_S unused beyond KEEP_IDLE (`prune`); checked on checkout (the
    schema must still be this nerv's, the server still there), dropped when a request left it unusable. The
    checkout's one query also reads hook_state's version, which says whether the replica (nerv.hook.replica)
    still holds the rows the server has."""

    def __init__(self):
        import sqlite3

        from nerv.hook.replica import Replica

        self.idle = []
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(POOL_SIZE)
        # Threads share the replica's one in-memory connection: only with a serialized SQLite build.
        self.replica = Replica() if sqlite3.threadsafety == 3 else None

    def store(self):
        from nerv.hook.common import open_direct_store
        from nerv.store.fastpath import latest_shipped_version
        from nerv.store.queries_hook_cache import schema_and_state

        slot = self.slots.acquire(timeout=CHECKOUT_WAIT_S)
        with self.lock:
            conn = self.idle.pop()[0] if self.idle else None  # the most recently used: the others may age out
        try:
            schema, version = schema_and_state(conn) if conn is not None else (None, None)
            if conn is not None and schema != latest_shipped_version():
                _close(conn)
                conn = None
            if conn is None:
                conn = open_direct_store().conn  # the hook's own open: migrates, or raises what a hook would
                schema, version = schema_and_state(conn)
            reference = self._reference(conn, version)
        except BaseException:
            if conn is not None:
                _close(conn)
            if slot:
                self.slots.release()
            raise
        return PooledStore(self, conn, slot, reference)

    def _reference(self, conn, version):
        """What the request decides its rules from: the replica at `version`, else the server itself."""
        if self.replica is None or version is None:
            return conn
        return self.replica.reader(conn, version)

    def give_back(self, conn, slot: bool) -> None:
        if slot and _reusable(conn):
            with self.lock:
                self.idle.append((conn, time.monotonic()))
        else:
            _close(conn)
        if slot:
            self.slots.release()
        self.prune()

    def prune(self, now: float | None = None) -> int:
        """Close the connections beyond KEEP_IDLE that nobody used for IDLE_CLOSE_S; how many were closed."""
        now = time.monotonic() if now is None else now
        with self.lock:
            aged = [entry for entry in self.idle[:max(0, len(self.idle) - KEEP_IDLE)]
                    if now - entry[1] >= IDLE_CLOSE_S]
            self.idle = [entry for entry in self.idle if entry not in aged]
        for conn, _ in aged:
            _close(conn)
        return len(aged)

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn, _ in idle:
            _close(conn)


def _reusable(conn) -> bool:
    raw = getattr(conn, "raw", None)
    if raw is None or raw.closed:
        return False
    from psycopg2 import extensions

    return raw.get_transaction_status() == extensions.TRANSACTION_STATUS_IDLE


def _close(conn) -> None:
    try:
        conn.close()
    except Exception:
        pass


class PooledStore:
    """The HookStore shape (`conn`, `reference`, `close()`): closing gives the connection back to the pool."""

    def __init__(self, pool: Pool, conn, slot: bool, reference):
        self.pool, self.conn, self.slot, self.reference = pool, conn, slot, reference

    def close(self) -> None:
        self.pool.give_back(self.conn, self.slot)


class Daemon:
    def __init__(self, url: str, idle_timeout_s: float):
        self.url = url
        self.idle_timeout_s = idle_timeout_s
        self.stem = client.file_stem(url)
        self.identity = client.nerv_identity()
        self.server_environment = client.server_environment(os.environ)
        self.pool = Pool()
        self.active = 0
        self.last_request = time.monotonic()
        self.lock = threading.Lock()

    # ---- one request ---------------------------------------------------------------------------------

    def serve_connection(self, sock) -> None:
        with sock:
            if not _same_user(sock):
                return
            self._busy(+1)
            try:
                sock.settimeout(RECEIVE_TIMEOUT_S)  # a peer that never finishes its request must not pin a thread
                data = _receive(sock)
                sock.settimeout(None)
                header, _, raw = data.partition(b"\n")
                refusal, request = self._check(header)
                if refusal:
                    sock.sendall(fastjson.dumps({"refused": refusal}).encode() + b"\n")
                    return
                sock.sendall(b"ok\n")
                sock.sendall(fastjson.dumps(self.run(request, raw), ensure_ascii=False)
                             .encode("utf-8", "surrogateescape") + b"\n")
            except OSError:
                pass  # the hook went away: it answers for itself
            finally:
                self._busy(-1)

    def _check(self, header: bytes) -> tuple[str | None, dict]:
        try:
            request = fastjson.loads(header.decode("utf-8", "surrogateescape"))
        except ValueError:
            return "the request header is not JSON", {}
        if not isinstance(request, dict) or request.get("v") != client.PROTOCOL:
            return f"protocol {client.PROTOCOL} only", {}
        from nerv.hook import EVENTS

        if request.get("event") not in EVENTS or not isinstance(request.get("env"), dict) or \
                not isinstance(request.get("cwd"), str):
            return "the request names no event nerv handles, or lacks its environment", {}
        if request.get("url") != self.url or request.get("nerv") != self.identity or \
                client.server_environment(request["env"]) != self.server_environment:
            return "this daemon serves another database, role or nerv", {}
        return None, request

    def run(self, request: dict, raw: bytes) -> dict:
        from nerv.hook import dispatch

        event = request["event"]
        if event in client.DECISION_EVENTS:
            raw = _with_cwd(raw, request["cwd"])
        with os.environ.using(request["env"]), sys.stdout.captured() as out, sys.stderr.captured() as err:
            try:
                code = dispatch(event, raw)
            except BaseException as exc:  # the handlers catch everything; this is the daemon's own bug
                sys.stderr.write(f"nerv hook: hook daemon: {type(exc).__name__}: {exc}\n")
                raise
        return {"code": code, "stdout": "".join(out), "stderr": "".join(err), "pid": os.getpid()}

    def _busy(self, step: int) -> None:
        with self.lock:
            self.active += step
            self.last_request = time.monotonic()

    def idle(self) -> bool:
        with self.lock:
            return self.active == 0 and time.monotonic() - self.last_request > self.idle_timeout_s

    # ---- the listening socket --------------------------------------------------------------------------

    def serve(self) -> None:
        import socket

        path = self.stem + ".sock"
        address, descriptor = client.socket_address(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if os.path.lexists(path):
                os.unlink(path)  # a dead daemon's: this one holds the lock
            mask = os.umask(0o177)
            try:
                listener.bind(address)
            finally:
                os.umask(mask)
            os.chmod(path, 0o600)
            mine = os.stat(path).st_ino
            listener.listen(64)
            listener.settimeout(ACCEPT_TICK_S)
            sys.stderr.write(f"nerv hookd {os.getpid()}: serving {path}\n")
            sys.stderr.flush()
            while not self.idle():
                try:
                    sock, _ = listener.accept()
                except TimeoutError:
                    self.pool.prune()
                    continue
                threading.Thread(target=self.serve_connection, args=(sock,), daemon=True).start()
        finally:
            listener.close()
            try:
                if os.stat(path).st_ino == mine:
                    os.unlink(path)
            except (OSError, UnboundLocalError):
                pass
            if descriptor is not None:
                os.close(descriptor)
            self.pool.close()


def _same_user(sock) -> bool:
    import socket

    try:
        credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):  # no SO_PEERCRED: the folder and file modes are the guard
        return True
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _receive(sock) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise OSError("request too large")
        chunks.append(chunk)


def _with_cwd(raw: bytes, cwd: str) -> bytes:
    """A decision falls back on the hook's working directory when the event names none (os.getcwd() in the
    handler): here the sending hook's, put into the event."""
    from nerv.hook import MalformedInput, read_payload
    from nerv.hook.common import text_field

    try:
        payload = read_payload(raw)
    except MalformedInput:
        return raw
    if text_field(payload, "cwd"):
        return raw
    return fastjson.dumps({**payload, "cwd": cwd}, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _prepare_folder() -> str:
    folder = client.folder()
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not client.is_private_folder(folder):
        raise NervError("permission", f"{folder} is not a folder of this user's that only it may enter (mode 0700)",
                        f"chmod 700 {folder} (and check its owner), then start the daemon again")
    return folder


def _lock(stem: str):
    """The daemon's lock file, held for its life (one daemon per URL and nerv); None when another holds it."""
    import fcntl

    handle = open(os.open(stem + ".lock", os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _warm_up() -> None:
    """Import what the first requests need, now, so no hook waits for it."""
    import psycopg2  # noqa: F401

    from nerv.hook import events, permission, pretool  # noqa: F401
    from nerv.hook.plugins import budget, leases  # noqa: F401


def serve(idle_timeout_s: float = IDLE_TIMEOUT_S) -> bool:
    """Run the daemon for NERV_DATABASE_URL until it has been idle `idle_timeout_s`; False when another
    daemon already serves it. Raises NervError for a SQLite ledger or an unsafe folder."""
    import signal

    from nerv.env import database_url, is_postgres_url
    from nerv.hook import common

    url = database_url()
    if not is_postgres_url(url):
        raise NervError("not_applicable", "the hook daemon serves a team's PostgreSQL server; this ledger is a "
                        "local SQLite file, which hooks open directly",
                        "set NERV_DATABASE_URL=postgresql://... (docs/teams.md), or run without the daemon")
    _prepare_folder()
    daemon = Daemon(url, idle_timeout_s)
    lock = _lock(daemon.stem)
    if lock is None:
        return False
    saved = os.environ, sys.stdout, sys.stderr
    try:
        _warm_up()
        os.environ = ThreadEnviron(os.environ)
        sys.stdout, sys.stderr = ThreadStream(sys.stdout), ThreadStream(sys.stderr)
        common.store_source = daemon.pool.store
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        daemon.serve()
    finally:
        common.store_source = None
        os.environ, sys.stdout, sys.stderr = saved
        lock.close()
    return True


def main(argv: list[str] | None = None) -> int:
    """Entry of the daemon the hook starts (nerv.hook.daemon_client.start): `--idle-timeout S` optional."""
    args = sys.argv[1:] if argv is None else argv
    idle = float(args[args.index("--idle-timeout") + 1]) if "--idle-timeout" in args else IDLE_TIMEOUT_S
    try:
        serve(idle)
    except NervError as exc:
        sys.stderr.write(f"nerv hookd: {exc.message}" + (f" ({exc.hint})" if exc.hint else "") + "\n")
        return 1
    return 0
