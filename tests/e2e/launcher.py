"""Start Claude Code for a test: loopback-only networking and no process left behind. Stdlib only.

Started by conftest.py as a plain script, usually inside fresh namespaces:

    unshare -n [--pid --fork --mount-proc --kill-child] python3 -I launcher.py --bridge SOCK -- claude -p ...
    python3 -I launcher.py -- claude -p ...      # no namespace: only the reaping below
    unshare -n python3 -I launcher.py --probe    # prints `isolated` when only loopback exists

--bridge: a new network namespace has only `lo`, down at first. This brings it up (an ioctl: no `ip`
binary needed), listens on 127.0.0.1:<free port>, sets ANTHROPIC_BASE_URL to it and forwards each
connection to the Unix socket SOCK, where the test's fake API listens (a Unix socket in the file system is
reachable from any network namespace). Nothing else can leave the namespace. `--forward VAR=SOCK` does the
same for another variable (the telemetry test's OTEL_EXPORTER_OTLP_ENDPOINT, relayed to `nerv otel serve`).

Reaping: the launcher is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so processes the command leaves
behind (Claude Code starts tool shells in their own process groups) become its children; when the command
ends they are killed. In a PID namespace the launcher is pid 1 and the kernel does the same when it exits.
Exit code: the command's. SIGTERM/SIGINT/SIGHUP are passed on to the command, then the rest is reaped.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PR_SET_CHILD_SUBREAPER = 36
IFREQ = "16sH22x"  # struct ifreq: name, flags, rest of the union


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack(IFREQ, fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack(IFREQ, b"lo", 0)))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))


def probe() -> int:
    """Print `isolated` when this namespace has nothing but a working loopback."""
    loopback_up()
    names = sorted(name for _, name in socket.if_nameindex())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
    print("isolated" if names == ["lo"] else f"interfaces: {names}")
    return 0


# ------------------------------------------------------------------------------------------- bridge
def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def _serve(listener: socket.socket, unix_path: str) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(unix_path)
        except OSError:
            client.close()
            upstream.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def start_bridge(unix_path: str) -> int:
    loopback_up()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    threading.Thread(target=_serve, args=(listener, unix_path), daemon=True).start()
    return listener.getsockname()[1]


# ------------------------------------------------------------------------------------------- reaping
def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) "
            if len(fields) > 1 and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def reap_all() -> None:
    """Kill every remaining descendant; with the subreaper flag, orphans are reparented to us."""
    me = os.getpid()
    for _ in range(100):
        _reap_zombies()
        kids = _children(me)
        if not kids:
            return
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def main(argv: list[str]) -> int:
    if argv == ["--probe"]:
        return probe()
    unix_path = None
    forwards = {}  # environment variable -> Unix socket: the variable becomes a loopback URL bridged to it
    while len(argv) > 1 and argv[0] in ("--bridge", "--forward"):
        if argv[0] == "--bridge":
            unix_path = argv[1]
        else:
            name, _, path = argv[1].partition("=")
            forwards[name] = path
        argv = argv[2:]
    if len(argv) < 2 or argv[0] != "--" or not all(forwards.values()):
        sys.stderr.write("usage: launcher.py [--bridge UNIX_SOCKET] [--forward VAR=UNIX_SOCKET]... -- COMMAND... "
                         "| --probe\n")
        return 2
    command = argv[1:]
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the process group kill in conftest.py is all there is
    env = dict(os.environ)
    if unix_path:
        forwards["ANTHROPIC_BASE_URL"] = unix_path
    for name, path in forwards.items():
        env[name] = f"http://127.0.0.1:{start_bridge(path)}"
    child = subprocess.Popen(command, env=env)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    code = child.wait()
    reap_all()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
