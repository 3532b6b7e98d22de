"""Team mode beside the local file, in one run: a throwaway PostgreSQL server (tests/pg_server.py) and a
temporary SQLite ledger, each with the same 1,000 rules (tests/bench/hook.py's mix).

Prints, side by side on SQLite and on PostgreSQL:
- claims/s with 1 and with 16 processes from one pool (tests/bench/ready.py's claimers);
- the PreToolUse hook, the real `nerv hook pre-tool-use` process as `nerv hook install` writes it, p50/p99
  beside the `python -c "import sqlite3"` floor, run round-robin: with 1 agent (the timed hook alone), then
  with 16 agents hammering the same backend (each a process running the hook's PreToolUse and PostToolUse
  in a loop, as a hook process does); on PostgreSQL both ways: each hook connecting to the server itself
  (`direct`, NERV_HOOK_DAEMON=off) and asking the machine's hook daemon (`daemon`, nerv.hook.daemon);
- a 100k-row bulk write: tasks through `store.write` + the connection's `executemany` (the store's bulk
  path on both backends), beside the bare driver in one transaction (sqlite3 `executemany`;
  psycopg2 `execute_values`);
- a 100k-row import through the real path: `nerv session import` of a generated transcript corpus
  (tests/bench/transcripts.py's generator, archive off) into an empty ledger on each backend, and with
  `--baseline-root` the same import by that checkout's nerv on PostgreSQL.

Run: python tests/bench/team.py [--runs 200] [--claims 320] [--rows 100000] [--import-rows 100000]
     [--baseline-root /work/main] [--hook-only [--daemon-only] | --only-import]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from common import cached_bytecode, print_table  # noqa: E402
from hook import build_database, call  # noqa: E402
from ready import claims_per_second  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
AGENTS = 16
PAYLOAD = call("npm test -q")  # an allow rule hits: the hook's common path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def task_rows(project_id: str, count: int, first: int = 1) -> list[tuple]:
    from nerv.store.clock import new_id, now_iso

    now = now_iso()
    return [(new_id(), project_id, n, f"task {n}", now, now) for n in range(first, first + count)]


INSERT_TASKS = "INSERT INTO tasks (id, project_id, number, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"


def store_bulk_write(rows: list[tuple]) -> float:
    """Seconds for the store's bulk path: one audited write transaction, `executemany` of every row."""
    from nerv.store.db import open_store

    store = open_store()
    try:
        def body(tx):
            tx.conn.executemany(INSERT_TASKS, rows)
            tx.audit("bench.bulk", "project", rows[0][1], after={"tasks": len(rows)})

        start = time.perf_counter()
        store.write(body)
        return time.perf_counter() - start
    finally:
        store.close()


def driver_bulk_write(rows: list[tuple]) -> float:
    """Seconds for the bare driver, one transaction, no audit: what the backend can take."""
    url = os.environ.get("NERV_DATABASE_URL")
    if url:
        import psycopg2
        from psycopg2.extras import execute_values

        conn = psycopg2.connect(url)
        try:
            start = time.perf_counter()
            with conn.cursor() as cur:
                execute_values(cur, INSERT_TASKS.replace("(?, ?, ?, ?, ?, ?)", "%s"), rows, page_size=1000)
            conn.commit()
            return time.perf_counter() - start
        finally:
            conn.close()
    import sqlite3

    conn = sqlite3.connect(os.environ["NERV_DB"], isolation_level=None)
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT_TASKS, rows)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def add_project(name: str) -> str:
    from nerv.services import projects
    from nerv.store.db import open_store
    from nerv.store.orm import bind

    store = bind(open_store())
    try:
        return projects.add_project(store, name)["id"]
    finally:
        store.close()


def transcript_corpus(root: Path, usage_rows: int) -> Path:
    """A ~/.claude/projects-like folder whose import keeps about `usage_rows` usage rows (the generator's
    corpus keeps one API call in three lines)."""
    from transcripts import generate

    return generate(root, files=max(10, usage_rows // 200), total_lines=usage_rows * 3) / "projects"


def timed_import(env: dict, corpus: Path) -> tuple[float, int]:
    """Seconds of one `nerv session import` process into the (empty) ledger of `env`, and the rows it added."""
    import subprocess

    nerv = [sys.executable, "-m", "nerv"]
    subprocess.run(nerv + ["settings", "set", "sessions.archive", "false"], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    done = subprocess.run(nerv + ["session", "import", str(corpus), "--json"], env=env, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"the import failed: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)["data"]["new_usage_rows"]


def measure_import(home: Path, server, usage_rows: int, baseline_root: str | None) -> list[tuple]:
    """The same corpus imported into an empty SQLite file and an empty database on the server."""
    corpus = transcript_corpus(home / "corpus", usage_rows)
    base = {**os.environ, **cached_bytecode(home), "PYTHONPATH": str(ROOT)}
    base.pop("NERV_DATABASE_URL", None)
    cases = [("SQLite", "this checkout", {**base, "NERV_HOME": str(home / "import-sqlite")}),
             ("PostgreSQL", "this checkout", {**base, "NERV_HOME": str(home / "import-pg"),
                                              "NERV_DATABASE_URL": server.url(server.create_database())})]
    if baseline_root:
        cases.append(("PostgreSQL", baseline_root, {**base, "PYTHONPATH": baseline_root,
                                                    "NERV_HOME": str(home / "import-pg-baseline"),
                                                    "NERV_DATABASE_URL": server.url(server.create_database())}))
    rows = []
    for backend, code, env in cases:
        seconds, added = timed_import(env, corpus)
        rows.append((backend, code, f"{added:,}", f"{seconds:.1f}", f"{added / seconds:,.0f}"))
    return rows


POST_PAYLOAD = PAYLOAD.replace('"PreToolUse"', '"PostToolUse"')[:-1] + ', "tool_response": {"stdout": ""}}'


def _agent(stop, started) -> None:
    """One agent hammering the backend, as fast as it can: each round one PreToolUse and one PostToolUse as
    a hook process runs them (nerv.hook.handle_event: through the hook daemon when the environment uses one,
    else opening the store itself); PostToolUse writes its metrics (an audited write)."""
    sys.stdout = open(os.devnull, "w")
    from nerv.hook import handle_event

    pre, post = PAYLOAD.encode(), POST_PAYLOAD.encode()
    started.release()
    while not stop.is_set():
        handle_event("pre-tool-use", pre)
        handle_event("post-tool-use", post)


class Agents:
    """AGENTS processes hammering the backend named by the environment, while the `with` block runs."""

    def __enter__(self):
        ctx = multiprocessing.get_context("spawn")
        self.stop, started = ctx.Event(), ctx.Semaphore(0)
        self.procs = [ctx.Process(target=_agent, args=(self.stop, started)) for _ in range(AGENTS)]
        for proc in self.procs:
            proc.start()
        for _ in self.procs:
            started.acquire(timeout=120)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for proc in self.procs:
            proc.join(timeout=60)


def hook_times(cases: list[tuple[list[str], str | None, dict]], runs: int, warmup: int = 5) -> list[list[float]]:
    """Whole-process ms of each (argv, stdin, env), round-robin so every case sees the same load."""
    import subprocess

    times: list[list[float]] = [[] for _ in cases]
    for round_index in range(warmup + runs):
        for index, (argv, stdin, env) in enumerate(cases):
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, check=False)
            if round_index >= warmup:
                times[index].append((time.perf_counter() - start) * 1000)
            if round_index == 0 and stdin and '"allow"' not in done.stdout:
                raise SystemExit(f"the hook did not allow: {done.stdout} {done.stderr}")
    return times


class Backends:
    """The environment of each backend: a SQLite file in `home`, or a database on the throwaway server, its
    hooks connecting themselves (`PostgreSQL`) or asking the machine's hook daemon (`PostgreSQL, daemon`)."""

    def __init__(self, home: Path, server):
        base = {**os.environ, **cached_bytecode(home), "PYTHONPATH": str(ROOT), "NERV_HOME": str(home)}
        base.pop("NERV_DATABASE_URL", None)
        team = {**base, "NERV_DATABASE_URL": server.url(server.create_database())}
        self.env = {"SQLite": {**base, "NERV_DB": str(home / "state.db")},
                    "PostgreSQL": {**team, "NERV_HOOK_DAEMON": "off"},
                    "PostgreSQL, daemon": {**team, "NERV_HOOK_DAEMON": "auto"}}

    def use(self, name: str) -> None:
        os.environ.clear()
        os.environ.update(self.env[name])


class HookDaemon:
    """The machine's hook daemon for the PostgreSQL database, started before and killed after the `with` block."""

    def __init__(self, env: dict):
        self.env = env

    def __enter__(self):
        import subprocess

        code = "import sys; from nerv.hook.daemon import main; sys.exit(main(sys.argv[1:]))"
        self.process = subprocess.Popen([sys.executable, "-c", code, "--idle-timeout", "3600"], env=self.env)
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            from nerv.hook.daemon_client import file_stem

            socket_path = file_stem(self.env["NERV_DATABASE_URL"]) + ".sock"
        finally:
            os.environ.clear()
            os.environ.update(saved)
        deadline = time.monotonic() + 120
        while not os.path.exists(socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the hook daemon did not start")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait(timeout=60)


def measure_hook(backends: Backends, runs: int, baseline_root: str | None, daemon_only: bool = False) -> list[tuple]:
    from nerv.services.hook_install import nerv_argv

    hook = nerv_argv() + ["hook", "pre-tool-use"]
    floor = ([sys.executable, "-c", "import sqlite3"], None, backends.env["SQLite"])
    sqlite, pg = (hook, PAYLOAD, backends.env["SQLite"]), (hook, PAYLOAD, backends.env["PostgreSQL"])
    daemon = (hook, PAYLOAD, backends.env["PostgreSQL, daemon"])
    idle_labels = ["floor", "hook on SQLite", "hook on PostgreSQL, direct", "hook on PostgreSQL, daemon"]
    idle_cases = [floor, sqlite, pg, daemon]
    if daemon_only:
        idle_labels, idle_cases = [idle_labels[0], idle_labels[3]], [floor, daemon]
    if baseline_root:  # the same hook from another checkout (e.g. main), on the same server and database
        idle_labels.append(f"hook on PostgreSQL, {baseline_root}")
        idle_cases.append((hook, PAYLOAD, {**backends.env["PostgreSQL"], "PYTHONPATH": baseline_root}))
    rows = []

    def add(phase: str, labels: list[str], times: list[list[float]]) -> None:
        floor_p50 = percentile(times[0], 0.5)
        for label, values in zip(labels, times):
            p50 = percentile(values, 0.5)
            rows.append((phase, label, f"{p50:.1f}", f"{percentile(values, 0.99):.1f}", f"{p50 / floor_p50:.2f}x"))

    with HookDaemon(backends.env["PostgreSQL, daemon"]):
        add("1 agent (idle)", idle_labels, hook_times(idle_cases, runs))
        backends.use("PostgreSQL, daemon")
        with Agents():
            add(f"{AGENTS} agents on PostgreSQL via the daemon", ["floor", "hook on PostgreSQL, daemon"],
                hook_times([floor, daemon], runs))
    others = () if daemon_only else (("PostgreSQL", "hook on PostgreSQL, direct", pg), ("SQLite", "hook on SQLite", sqlite))
    for name, label, case in others:
        backends.use(name)
        with Agents():
            add(f"{AGENTS} agents on {name}" + (", direct" if name == "PostgreSQL" else ""), ["floor", label],
                hook_times([floor, case], runs))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200, help="hook runs per case and phase (p99 needs ~100+)")
    parser.add_argument("--claims", type=int, default=320, help="claims per throughput run (split over processes)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--import-rows", type=int, default=100_000, help="usage rows of the transcript import")
    parser.add_argument("--baseline-root", help="also time the idle hook and the PostgreSQL import with this "
                                                "checkout's nerv (e.g. /work/main)")
    parser.add_argument("--hook-only", action="store_true", help="time the hook alone (no claims, bulk write, import)")
    parser.add_argument("--only-import", action="store_true", help="measure the transcript import alone")
    parser.add_argument("--daemon-only", action="store_true", help="with --hook-only: the floor and the hook "
                                                                   "through the daemon alone, idle and with 16 agents")
    args = parser.parse_args()
    from tests import pg_server

    why = pg_server.why_unavailable()
    if why:
        raise SystemExit(f"no PostgreSQL here: {why}")
    server = pg_server.Server().start()
    saved = dict(os.environ)
    claims, bulk = [], []
    try:
        with tempfile.TemporaryDirectory() as home:
            import_rows = [] if args.hook_only else measure_import(Path(home), server, args.import_rows,
                                                                    args.baseline_root)
            if args.only_import:
                return print_import(args.import_rows, import_rows)
            backends = Backends(Path(home), server)
            for name in ("SQLite", "PostgreSQL"):
                backends.use(name)
                build_database(None, args.rules)
                if args.hook_only:
                    continue
                pool = add_project("pool")
                store_bulk_write(task_rows(pool, args.claims * 2))
                for processes in (1, AGENTS):
                    rate, claimed = claims_per_second(None, pool, processes, args.claims)
                    claims.append((name, processes, claimed, f"{rate:.0f}"))
                store_s = store_bulk_write(task_rows(add_project("bulk"), args.rows))
                driver_s = driver_bulk_write(task_rows(add_project("bare"), args.rows))
                bulk.append((name, f"{args.rows / store_s:,.0f}", f"{args.rows / driver_s:,.0f}",
                             f"{driver_s / store_s:.0%}"))
            hook_rows = measure_hook(backends, args.runs, args.baseline_root, args.daemon_only)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
    print(f"team mode, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f} at the end")
    if not args.hook_only:
        print("\nclaims from one pool (each: expire leases, ready query, compare-and-swap update, audit row, commit)")
        print_table(claims, ("backend", "processes", "claims", "claims/s"))
    print(f"\nPreToolUse, {args.rules} rules, allow rule hits, {args.runs} runs per case (ms; floor: "
          "python -c 'import sqlite3'); targets: PostgreSQL p50 <= 3x floor, p99 <= 150 ms with 16 agents")
    print_table(hook_rows, ("phase", "process", "p50", "p99", "p50 vs floor"))
    if not args.hook_only:
        print(f"\n{args.rows:,}-row bulk write of tasks, one transaction (rows/s)")
        print_table(bulk, ("backend", "store.write + executemany", "bare driver", "store vs driver"))
        print_import(args.import_rows, import_rows)


def print_import(usage_rows: int, rows: list[tuple]) -> None:
    print(f"\ntranscript import, ~{usage_rows:,} usage rows, one `nerv session import` process, archive off")
    print_table(rows, ("backend", "nerv", "usage rows", "seconds", "rows/s"))


if __name__ == "__main__":
    main()
