"""CPU per request of the hook daemon (team mode), sequential: the daemon's, the server's and the client's.

A throwaway PostgreSQL server (tests/pg_server.py) with tests/bench/hook.py's 1,000 rules, the machine's hook
daemon started as team.py starts it, then RUNS PreToolUse and RUNS PostToolUse events sent one after the other by
an in-process client (nerv.hook.handle_event, as a hook process sends them). Prints, per event: wall ms, and
the CPU ms of the daemon process, of the server's processes and of the client, from /proc.

Run: python tests/bench/daemon_cost.py [--runs 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import team  # noqa: E402
from hook import build_database  # noqa: E402


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes and their waited-for children (fields 14-17 of /proc/PID/stat)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(value) for value in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids() -> list[int]:
    found = subprocess.run(["pgrep", "-f", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    from tests import pg_server

    why = pg_server.why_unavailable()
    if why:
        raise SystemExit(f"no PostgreSQL here: {why}")
    server = pg_server.Server().start()
    saved, rows = dict(os.environ), []
    try:
        with tempfile.TemporaryDirectory() as home:
            backends = team.Backends(Path(home), server)
            backends.use("PostgreSQL")
            build_database(None, 1000)
            backends.use("PostgreSQL, daemon")
            with team.HookDaemon(backends.env["PostgreSQL, daemon"]) as daemon:
                from nerv.hook import handle_event

                real_stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
                try:
                    events = (("pre-tool-use", team.PAYLOAD.encode()), ("post-tool-use", team.POST_PAYLOAD.encode()))
                    for _ in range(20):  # warm: the pool's connections, the replica, the imports
                        for name, payload in events:
                            handle_event(name, payload)
                    for name, payload in events:
                        own, servers = cpu_seconds([daemon.process.pid]), cpu_seconds(server_pids())
                        client, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
                        for _ in range(args.runs):
                            handle_event(name, payload)
                        wall = time.perf_counter() - start
                        after = resource.getrusage(resource.RUSAGE_SELF)
                        per = 1000 / args.runs
                        rows.append((name, f"{wall * per:.2f}", f"{(cpu_seconds([daemon.process.pid]) - own) * per:.2f}",
                                     f"{(cpu_seconds(server_pids()) - servers) * per:.2f}",
                                     f"{(after.ru_utime + after.ru_stime - client.ru_utime - client.ru_stime) * per:.2f}"))
                finally:
                    sys.stdout = real_stdout
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
    print(f"hook daemon, {args.runs} sequential requests per event, 1,000 rules (ms per request)")
    team.print_table(rows, ("event", "wall", "daemon CPU", "server CPU", "client CPU"))


if __name__ == "__main__":
    main()
