"""Transcript import speed and size: nerv beside ccusage on the same corpus, archive off and on, memory and lock.

    PYTHONPATH=$PWD /work/main/.venv/bin/python tests/bench/transcripts.py [--files 2000] [--lines 400000]
        [--ccusage PATH]

Generates a realistic corpus in a temporary folder laid out like ~/.claude/projects: main session files and
subagent files (sidechain lines), responses streamed as several lines with growing output, resumed sessions
starting with copies of earlier lines, prose-like tool results of 0.2-4 KB, pasted screenshots as base64 image
lines of 30-200 KB, a few malformed lines and files ending in a half-written line. Then, each step RUNS times
(the fastest counts), every one a fresh process whose wall time, CPU time (user + system, worker processes
included) and peak RSS (its largest process) are printed side by side, nerv with its bytecode cached as an
installed package has it:
- `ccusage session --json --offline` (the baseline; --ccusage, PATH, or `npm install ccusage` into
  $XDG_CACHE_HOME/nerv-bench-ccusage) with CLAUDE_CONFIG_DIR pointed at the corpus;
- `nerv session import`, cold (a fresh database), with the transcript archive off (sessions.archive false) and
  on (the default), the archive's stored size as a share of the raw JSONL, and the same command with nothing
  changed; the in-process `import_paths` call alone;
- a cold import while a second process writes every 10 ms (as hooks do): the longest write transaction of the
  import and the longest the other writer waited for the lock;
- whether nerv and ccusage agree on the token and cost totals.
Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import cached_bytecode  # noqa: E402 (this script's folder is on sys.path when it runs)

RUNS = 2
# 20.0.26, the newest ccusage, has no linux-x64 native package on the registry yet; 20.0.24 has.
CCUSAGE = "ccusage@20.0.24"
MODELS = ["claude-sonnet-4-5-20250929"] * 6 + ["claude-opus-4-5-20251101"] * 3 + ["claude-haiku-4-5-20251001"]


WORDS = ("the file test import session cost token cache write read model agent task line error value result"
         " function class module return config path query table index commit branch review change build run"
         " check number string list dict offset batch worker process lock time size memory stream").split()


def _text_pool(rng: random.Random, blocks: int = 1500, size: int = 4096) -> list[str]:
    """Word soup blocks: prose-like text that compresses like real prompts and tool output (not a repeated byte)."""
    pool = []
    for _ in range(blocks):
        words, length = [], 0
        while length < size:
            word = rng.choice(WORDS) + rng.choice(("", "", "", "_" + str(rng.randint(0, 999)), "()", ".", ","))
            words.append(word)
            length += len(word) + 1
        pool.append(" ".join(words)[:size])
    return pool


def _text(rng: random.Random, pool: list[str], length: int) -> str:
    parts, left = [], length
    while left > 0:
        block = rng.choice(pool)
        start = rng.randrange(len(block) // 2)
        piece = block[start:start + left]
        parts.append(piece)
        left -= len(piece)
    return "".join(parts)


def _usage(rng: random.Random, output: int) -> dict:
    write = rng.choice([0, 0, rng.randint(100, 20_000)])
    hour = write if rng.random() < 0.2 else 0
    return {"input_tokens": rng.randint(0, 50), "cache_creation_input_tokens": write,
            "cache_read_input_tokens": rng.randint(0, 150_000), "output_tokens": output,
            "cache_creation": {"ephemeral_5m_input_tokens": write - hour, "ephemeral_1h_input_tokens": hour},
            "service_tier": "standard"}


def _envelope(session: str, cwd: str, ts: str, sidechain: bool) -> dict:
    return {"parentUuid": None, "isSidechain": sidechain, "userType": "external", "cwd": cwd, "sessionId": session,
            "version": "2.1.3", "gitBranch": "main", "uuid": os.urandom(8).hex(), "timestamp": ts}


def _image_block(rng: random.Random) -> dict:
    """A screenshot pasted or read by a tool: base64 of compressed (so near-random) bytes, 30-200 KB."""
    data = base64.b64encode(rng.randbytes(rng.randint(22_000, 150_000))).decode()
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def _session_lines(rng: random.Random, pool: list[str], session: str, cwd: str, count: int, sidechain: bool,
                   day: int, images: bool) -> list[str]:
    lines, minute = [], 0
    model = rng.choice(MODELS)
    while len(lines) < count:
        minute += 1
        ts = f"2026-10-{day:02d}T{10 + minute // 60 % 12:02d}:{minute % 60:02d}:00.000Z"
        user = _envelope(session, cwd, ts, sidechain)
        content: list = [{"type": "tool_result", "tool_use_id": "toolu_" + os.urandom(6).hex(),
                          "content": _text(rng, pool, rng.randint(200, 4000))}]
        if images and rng.random() < 0.02:
            content.append(_image_block(rng))
        user.update(type="user", message={"role": "user", "content": content})
        lines.append(json.dumps(user, separators=(",", ":")))
        message_id, request_id = "msg_" + os.urandom(10).hex(), "req_" + os.urandom(10).hex()
        final = rng.randint(1, 800)
        parts = rng.choice([1, 2, 2, 3])
        for part in range(parts):  # one response streamed as several lines, output growing
            line = _envelope(session, cwd, ts, sidechain)
            output = final if part == parts - 1 else rng.randint(1, final)
            usage = _usage(random.Random(message_id), 0)
            usage["output_tokens"] = output
            line.update(type="assistant", requestId=request_id, message={
                "model": model, "id": message_id, "type": "message", "role": "assistant",
                "content": [{"type": "text", "text": _text(rng, pool, rng.randint(50, 600))}], "usage": usage})
            lines.append(json.dumps(line, separators=(",", ":")))
        if rng.random() < 0.002:
            lines.append('{"type":"user","message":{"role":"user","content":"cut')  # a malformed line mid-file
    return lines[:count]


def generate(root: Path, files: int, total_lines: int, seed: int = 7) -> Path:
    """~/.claude/projects-like folder: main session files, every fifth file a subagent's (sidechain lines), every
    tenth a resumed session starting with copies of the previous file's lines, one file in three with pasted
    images, and one in twenty-five ending in a half-written line (a session still writing)."""
    rng = random.Random(seed)
    pool = _text_pool(rng)
    projects = root / "projects"
    per_file = max(5, total_lines // files)
    previous: list[str] = []
    previous_session = ""  # set by the first main session; index 0 is never a subagent file
    for index in range(files):
        cwd = f"/home/dev/project{index % 40}"
        folder = projects / cwd.replace("/", "-")
        images = index % 3 == 1
        if index % 5 == 4:  # a subagent file of the previous session
            session = previous_session
            path = folder / session / "subagents" / f"agent-{index}.jsonl"
            lines = _session_lines(rng, pool, session, cwd, per_file, True, 1 + index % 28, images)
        else:
            session = f"{index:08x}-0000-4000-8000-{rng.getrandbits(48):012x}"
            previous_session = session
            path = folder / f"{session}.jsonl"
            lines = _session_lines(rng, pool, session, cwd, per_file, False, 1 + index % 28, images)
            if index % 10 == 3 and previous:  # a resumed session starts with a copy of earlier lines
                lines = previous[:20] + lines[20:]
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "\n".join(lines) + "\n"
        if index % 25 == 7:
            text += lines[-1][: len(lines[-1]) // 2]  # the tail a running session has not finished writing
        path.write_text(text)
        previous = lines
    return root


def nerv_executable() -> list[str]:
    script = Path(sys.executable).parent / "nerv"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nerv"]


class Ran:
    """A finished child process: wall seconds, CPU seconds (user + system, its waited-for children included),
    peak RSS in MB of the largest process, return code and output."""

    def __init__(self, wall: float, cpu: float, rss_mb: float, returncode: int, stdout: str, stderr: str):
        self.wall, self.cpu, self.rss_mb = wall, cpu, rss_mb
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def timed(cmd: list[str], env: dict) -> Ran:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Ran(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def best_of(runs: list[Ran]) -> Ran:
    return min(runs, key=lambda ran: ran.wall)


def find_ccusage(explicit: str | None) -> str | None:
    """--ccusage, ccusage on PATH, or `npm install ccusage` into a cache folder (once)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nerv-bench-ccusage"
    installed = cache / "node_modules" / ".bin" / "ccusage"
    for candidate in (explicit, shutil.which("ccusage"), str(installed)):
        if candidate and Path(candidate).exists():
            return candidate
    if shutil.which("npm") is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", CCUSAGE],
                          capture_output=True, text=True)
    if done.returncode:
        print("npm install ccusage failed:", done.stderr[-300:])
    return str(installed) if installed.exists() else None


def nerv_totals(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT SUM(input_tokens), SUM(output_tokens), SUM(cache_write_5m_tokens +"
                           " cache_write_1h_tokens), SUM(cache_read_tokens), SUM(cost_usd), COUNT(*)"
                           " FROM usage").fetchone()
    return dict(zip(("input", "output", "cache_write", "cache_read", "cost", "api_calls"), row))


def fresh_home(env: dict, home: Path, *, archive: bool) -> None:
    env["NERV_HOME"] = str(home)
    subprocess.run(nerv_executable() + ["status"], env=env, capture_output=True)  # create + migrate first
    subprocess.run(nerv_executable() + ["settings", "set", "sessions.archive", json.dumps(archive)], env=env,
                   capture_output=True)


def cold_imports(tmp_path: Path, env: dict, name: str, *, archive: bool) -> Ran | None:
    """The fastest of RUNS cold `nerv session import`s, each into a fresh NERV_HOME (left in env)."""
    runs = []
    for run in range(RUNS):
        fresh_home(env, tmp_path / f"{name}-{run}", archive=archive)
        ran = timed(nerv_executable() + ["session", "import", "--json"], env)
        if ran.returncode:
            print(ran.stderr)
            return None
        runs.append(ran)
    return best_of(runs)


# A second writer, as a hook would be: one short write transaction every 10 ms during the import, timing how
# long each waited for the lock. Prints the longest wait and the count on stdout. argv[3] "nerv": it takes the
# lock as nerv does (nerv.store.sqlite.begin_write, which tries again every few ms); "sqlite": SQLite's own
# busy handler waits (sleeps of up to 100 ms), as a plain sqlite3 client would.
WRITER = """
import os, sqlite3, sys, time
from nerv.store.fastpath import BUSY_TIMEOUT_MS
from nerv.store.sqlite import begin_write
conn = sqlite3.connect(sys.argv[1], timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
conn.execute("CREATE TABLE IF NOT EXISTS bench_writer (at REAL)")
longest, count, stop = 0.0, 0, sys.argv[2]
if sys.argv[3] == "sqlite":
    begin_write = lambda conn: conn.execute("BEGIN IMMEDIATE")
while not os.path.exists(stop):
    start = time.perf_counter()
    begin_write(conn)
    waited = time.perf_counter() - start
    conn.execute("INSERT INTO bench_writer VALUES (?)", (start,))
    conn.execute("COMMIT")
    longest, count = max(longest, waited), count + 1
    time.sleep(0.01)
print(longest, count)
"""


def child_import() -> None:
    """Run `nerv session import` in this process, timing every write transaction (begin to commit); prints
    the longest in ms on stderr as `LONGEST_TX=` (used by lock_probe)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from nerv.store import sqlite as sqlite_dialect
    from nerv.store import tx

    import threading

    longest, began = [0.0], threading.local()  # per thread: the archive writes beside the import
    begin, write = sqlite_dialect.begin_write, tx.write

    def timed_begin(conn):
        begin(conn)
        began.at = time.perf_counter()

    def timed_write(conn, body, **kwargs):
        try:
            return write(conn, body, **kwargs)
        finally:
            longest[0] = max(longest[0], time.perf_counter() - getattr(began, "at", time.perf_counter()))

    sqlite_dialect.begin_write, tx.write = timed_begin, timed_write
    from nerv.cli.app import main as cli_main

    try:
        cli_main(["session", "import", "--json"])
    finally:
        sys.stderr.write(f"\nLONGEST_TX={longest[0] * 1000:.1f}\n")


def lock_probe(tmp_path: Path, env: dict, *, archive: bool) -> tuple[float, dict[str, tuple[float, int]]]:
    """(longest write transaction of a cold import in ms, {"nerv"/"sqlite": (a concurrent writer's longest
    wait in ms, its writes)}): two writers beside the import, one taking the lock as nerv does, one plainly."""
    fresh_home(env, tmp_path / f"lock-{int(archive)}", archive=archive)
    stop = tmp_path / f"stop-{int(archive)}"
    writers = {how: subprocess.Popen([sys.executable, "-c", WRITER, str(Path(env["NERV_HOME"]) / "state.db"),
                                      str(stop), how], env=env, stdout=subprocess.PIPE, text=True)
               for how in ("nerv", "sqlite")}
    time.sleep(0.3)
    ran = timed([sys.executable, __file__, "--child-import"], env)
    stop.touch()
    waits = {}
    for how, writer in writers.items():
        waited, count = writer.communicate()[0].split()
        waits[how] = (float(waited) * 1000, int(count))
    longest = float(ran.stderr.rsplit("LONGEST_TX=", 1)[1].split()[0]) if "LONGEST_TX=" in ran.stderr else -1.0
    return longest, waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=400_000)
    parser.add_argument("--ccusage", help="path to the ccusage executable (default: PATH, else npm install)")
    parser.add_argument("--child-import", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import()
        return
    ccusage = find_ccusage(args.ccusage)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        corpus = generate(tmp_path / "claude", args.files, args.lines)
        files = list(corpus.rglob("*.jsonl"))
        lines = sum(1 for f in files for _ in f.open("rb"))
        size = sum(f.stat().st_size for f in files)
        subagent_files = sum(1 for f in files if f.parent.name == "subagents")
        print(f"corpus: {len(files)} files ({subagent_files} subagent files), {lines:,} lines, {size / 1e6:.0f} MB"
              f" (generated in {time.perf_counter() - start:.1f} s)")
        env = {**os.environ, "NERV_HOME": str(tmp_path / "nerv"), "CLAUDE_CONFIG_DIR": str(corpus),
               "NERV_ACTOR": "bench", "HOME": str(tmp_path / "home"), **cached_bytecode(tmp_path)}
        env.pop("NERV_DB", None)
        # Each tool runs RUNS times, alternating (nerv into a fresh database each time); the fastest run counts,
        # so a neighbour's load on a shared machine penalises neither side more than the other.
        rows: list[tuple[str, Ran]] = []
        theirs = None
        if ccusage:
            runs = [timed([ccusage, "session", "--json", "--offline"], env) for _ in range(RUNS)]
            ran = best_of(runs)
            rows.append(("ccusage session --json --offline (baseline)", ran))
            theirs = json.loads(ran.stdout)["totals"] if ran.returncode == 0 else ran.stderr[:300]
        archived = cold_imports(tmp_path, env, "archived", archive=True)
        archive_report = subprocess.run(nerv_executable() + ["session", "archive", "--stats", "--json"], env=env,
                                        capture_output=True, text=True)
        archive_stats = json.loads(archive_report.stdout)["data"] if archive_report.returncode == 0 else None
        archived_warm = best_of([timed(nerv_executable() + ["session", "import", "--json"], env)
                                 for _ in range(RUNS)])
        cold = cold_imports(tmp_path, env, "nerv", archive=False)
        if cold is None or archived is None:
            return
        home = Path(env["NERV_HOME"])
        imported = json.loads(cold.stdout)["data"]
        warm = best_of([timed(nerv_executable() + ["session", "import", "--json"], env) for _ in range(RUNS)])
        rows += [("nerv session import, cold, archive off", cold),
                 ("nerv session import, cold, archive on", archived),
                 ("nerv session import, nothing changed, archive off", warm),
                 ("nerv session import, nothing changed, archive on", archived_warm)]
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        os.environ.update({k: env[k] for k in ("NERV_HOME", "CLAUDE_CONFIG_DIR", "HOME")})
        from nerv.store.db import open_store
        from nerv.store.ingest import import_paths

        store = open_store()
        in_process = float("inf")
        for _ in range(RUNS):
            start = time.perf_counter()
            import_paths(store._conn, None)
            in_process = min(in_process, time.perf_counter() - start)
        store.close()
        totals = nerv_totals(home / "state.db")
        locks = {archive: lock_probe(tmp_path, env, archive=archive) for archive in (False, True)}

        print(f"nerv: {imported['api_calls']:,} API-call lines -> {totals['api_calls']:,} usage rows, "
              f"{imported['sessions']:,} sessions, {imported['skipped_lines']} skipped lines, "
              f"{imported['partial_tails']} unfinished tails")
        print()
        print("| step (whole process, best of %d) | wall s | CPU s | peak RSS MB | wall vs ccusage |" % RUNS)
        print("|---|---|---|---|---|")
        base = rows[0][1].wall if ccusage else None
        for name, ran in rows:
            ratio = f"{ran.wall / base:.2f}x" if base else "-"
            print(f"| {name} | {ran.wall:.3f} | {ran.cpu:.3f} | {ran.rss_mb:.0f} | {ratio} |")
        print(f"| import_paths, nothing changed (in process) | {in_process:.3f} | | | |")
        print()
        print(f"archive adds {archived.wall - cold.wall:.3f} s to the cold import "
              f"({(archived.wall - cold.wall) / cold.wall:.0%}; target <= 50%)")
        if archive_stats:
            print(f"archive: {archive_stats['files']:,} files, {archive_stats['raw_bytes'] / 1e6:.0f} MB raw -> "
                  f"{archive_stats['stored_bytes'] / 1e6:.1f} MB stored in {archive_stats['chunks']:,} chunks: "
                  f"{archive_stats['ratio']:.2%} of the raw JSONL (target <= 20%)")
        for archive, (longest, waits) in locks.items():
            print(f"lock, archive {'on' if archive else 'off'}: longest write transaction {longest:.0f} ms; a"
                  " concurrent writer's longest wait for the lock: "
                  + "; ".join(f"{waited:.0f} ms over {count} writes ({'as nerv takes it' if how == 'nerv' else 'SQLite busy handler'})"
                              for how, (waited, count) in waits.items()))
        print()
        if isinstance(theirs, dict):
            pairs = [("input", theirs["inputTokens"]), ("output", theirs["outputTokens"]),
                     ("cache_write", theirs["cacheCreationTokens"]), ("cache_read", theirs["cacheReadTokens"])]
            same_tokens = all(totals[k] == v for k, v in pairs)
            cost_gap = abs(totals["cost"] - theirs["totalCost"]) / max(theirs["totalCost"], 1e-9)
            print(f"agreement: tokens {'equal' if same_tokens else 'DIFFER'} "
                  f"({', '.join(f'{k} {totals[k]:,} vs {v:,}' for k, v in pairs)}); "
                  f"cost ${totals['cost']:,.2f} vs ${theirs['totalCost']:,.2f} ({cost_gap * 100:.3f}% apart)")
        else:
            print("agreement: ccusage", "failed: " + theirs if theirs else "not found (no npm)")


if __name__ == "__main__":
    main()
