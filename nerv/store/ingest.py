"""Incremental transcript import: files -> usage rows -> session totals, a batch of whole files per audited
transaction. Stdlib only (the hook's path; `fast` adds msgspec and worker processes for the CLI).

`import_paths` runs on a raw sqlite3 connection so the SessionEnd hook can call it without peewee.
Reading, parsing, pricing (nerv.pricing.call_cost) and deduplication (nerv.transcripts.better_copy) happen
before each transaction; the transaction only looks up stored copies and writes (executemany), so the write
lock is held briefly, and a file's rows always commit together with its new offset.

Deduplication (nerv.transcripts.same_call, better_copy; docs/costs.md): one API call is one message_id with
one request_id, or with any request_id when either copy is a sidechain one; within a file where it is read,
across the files of a batch in Python, then against the stored copies (earlier batches and imports). A row
without a message id is one call per (session, ts, model, token counts): the unique index of migration 0017
drops a second copy from any file or machine. The machine id (nerv.machine) is recorded, never part of a key.

The SQL is the same on SQLite and PostgreSQL (PgConnection takes sqlite3's placeholders) except the file
states' key: per machine on the server (`_file_states`).
"""

from __future__ import annotations

import gc
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from nerv import pricing
from nerv.errors import NervError
from nerv.machine import machine_id
from nerv.store import dialect, lookups, tx
from nerv.store.clock import parse_iso, to_iso
from nerv.store.queries_costs import rollup_added_in_bulk
from nerv.transcripts import (MAX_REPORTED_SKIPS, ApiCall, ParsedChunk, better_copy, default_roots, first_line_hash,
                              parse_bytes, same_call, stdlib_line_call, transcript_paths)

BULK_REBUILD_MIN_ROWS = 20_000
_BY_TIME = object()  # a session whose calls' task depends on their time stamps (_task_attribution)
# The page cache while importing: a batch's inserts land all over usage's six indexes, and with SQLite's
# default 2 MiB most of those pages are evicted and read again from the OS cache by the next batch (measured on
# 33,000 rows: ~30 % of the insert CPU; 16 and 64 MiB alike). Pages are taken as used: memory stays bounded.
IMPORT_CACHE_KIB = 16 * 1024
READ_BLOCK_BYTES = 8 * 1024 * 1024  # a file is read in blocks of this size: memory stays bounded by it, not by the file
# A write transaction takes the files read until their new rows pass BATCH_ROWS (whole files: a file's rows are
# never half-imported). Measured: ~30 µs of CPU a row in the transaction (lookups of stored copies, inserts
# with six indexes, session totals), so ~60 ms of write lock a batch on an idle core.
BATCH_ROWS = 2_000
# Measured on the bench corpus: with 2 files of read-ahead a worker, the workers stood idle through each write
# transaction (2.0 s cold import); with 64 MiB, 1.8 s.
READ_AHEAD_BYTES = 64 * 1024 * 1024
FILE_STATES_PER_STATEMENT = 500  # 9 parameters each: far below SQLite's 32,766
POOL_MIN_BYTES = 16 * 1024 * 1024  # below this, starting worker processes costs more than they save
# Indexes of usage the import itself never reads. A first import (no usage rows yet) of at least
# DEFERRED_INDEXES_MIN_BYTES drops them and builds each once at the end: measured on 33,000 rows, 40 % less
# insert CPU, for ~0.2 s of building. An import finding one missing (the process died in between) builds it.
DEFERRED_INDEXES = ("ix_usage_ts", "ix_usage_ts_cost", "ix_usage_task")
DEFERRED_INDEXES_MIN_BYTES = POOL_MIN_BYTES
_USAGE_COLUMNS = ("session_id", "project_id", "message_id", "request_id", "model", "ts", "cwd", "is_sidechain",
                  "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
                  "cache_read_tokens", "cost_usd", "cost_known", "source_file_id", "line_offset", "task_id",
                  "subagent_id", "speed", "inference_geo", "web_search_requests", "line_cost_usd", "token_cost_usd",
                  "machine_id")


class FilePlan:
    """Where to read one file from, and (after reading) what it held."""

    __slots__ = ("path", "size", "mtime_ns", "start", "start_line", "reset", "file_id", "first_hash",
                 "prior_skipped", "chunk")

    def __init__(self, path: str, size: int, mtime_ns: int, start: int, start_line: int, reset: bool,
                 file_id: int | None, first_hash: str | None, prior_skipped: int):
        self.path, self.size, self.mtime_ns = path, size, mtime_ns
        self.start = start  # byte offset the read starts from
        self.start_line = start_line
        self.reset = reset  # the file shrank or was replaced: its earlier rows are dropped and it is read again
        self.file_id, self.first_hash, self.prior_skipped = file_id, first_hash, prior_skipped
        self.chunk: FileRead | None = None


class FileRead:
    """What reading one file produced, reduced where it was read (a worker process, or this one): the counters,
    per session the summary the session row needs, and one usage row per API call with the streamed copies of
    main-chain calls already collapsed to the copy the import would keep (see _collapse_streamed)."""

    __slots__ = ("lines", "skipped", "skip_reasons", "consumed", "partial_tail", "api_calls", "unpriced", "sessions",
                 "rows")

    def __init__(self, chunk: ParsedChunk, unpriced: dict[str, int], sessions: dict[str, list], rows: list):
        self.lines, self.skipped, self.skip_reasons = chunk.lines, chunk.skipped, chunk.skip_reasons
        self.consumed, self.partial_tail, self.api_calls = chunk.consumed, chunk.partial_tail, len(chunk.calls)
        self.unpriced = unpriced  # model -> calls without a price
        self.sessions = sessions  # session -> [cwds in order of appearance, first model, first ts, last ts]
        self.rows = rows  # [(usage row with project, file key and task left None, token total)]


def load_price_overrides(conn: sqlite3.Connection) -> dict[str, pricing.Price]:
    rows = conn.execute("SELECT model, input, output, cache_write_5m, cache_write_1h, cache_read FROM model_prices")
    return {row[0].lower(): pricing.Price(*row[1:]) for row in rows}


def discover(paths: list[str] | None) -> tuple[list[Path], list[str]]:
    """Transcript files under `paths` (default: Claude Code's folders) and the roots that were searched.

    An explicit path that does not exist is an error; missing default folders are simply skipped.
    """
    if paths:
        roots = [Path(p).expanduser() for p in paths]
        for root in roots:
            if not root.exists():
                raise NervError("not_found", f"{root} does not exist", "pass a transcript file or a folder of them")
    else:
        roots = [r for r in default_roots() if r.is_dir()]
    files: list[Path] = []
    seen = set()
    for root in roots:
        for path in ([str(root)] if root.is_file() else transcript_paths(root)):
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                files.append(Path(key))
    return files, [str(r) for r in roots]


def import_paths(conn: sqlite3.Connection, paths: list[str] | None = None,
                 progress: Callable[[int], None] | None = None, *, actor: str | None = None,
                 fast: bool = False) -> dict:
    """Import every transcript under `paths` (see `discover`); returns counts (see `import_files`)."""
    files, roots = discover(paths)
    result = import_files(conn, files, progress=progress, actor=actor, fast=fast)
    result["roots"] = roots
    return result


def import_files(conn: sqlite3.Connection, files: list[Path], progress: Callable[[int], None] | None = None,
                 *, actor: str | None = None, fast: bool = False) -> dict:
    """Read what is new in `files` and store it, a batch of whole files per transaction (each file's rows and
    its new offset commit together). Never raises for a bad line or file.

    `fast`: decode with msgspec (nerv.transcript_decoder) and read the files in worker processes when there is
    enough to read; the hook leaves it off (standard library only). Same results either way.

    Returns {files, files_read, files_unchanged, files_reset, lines_read, api_calls, new_usage_rows,
    sessions, skipped_lines, skipped: [{path, line, reason}], partial_tails, unreadable: [{path, reason}],
    unpriced_models: {model: calls}, unassigned_sessions: [...]}.
    """
    _restore_indexes(conn, {})
    known = _file_states(conn)
    result = {"files": len(files), "files_read": 0, "files_unchanged": 0, "files_reset": 0, "lines_read": 0,
              "api_calls": 0, "new_usage_rows": 0, "sessions": 0, "skipped_lines": 0, "skipped": [],
              "partial_tails": 0, "unreadable": [], "unpriced_models": {}, "unassigned_sessions": []}
    plans: list[FilePlan] = []
    for path in files:
        try:
            plan = _plan(str(path), known.get(str(path)))
        except OSError as exc:
            result["unreadable"].append({"path": str(path), "reason": exc.strerror or str(exc)})
        else:
            if plan is not None:
                plans.append(plan)
                continue
            result["files_unchanged"] += 1
        if progress:
            progress(1)
    if not plans:
        return result
    session_projects: dict[str, str | None] = {}
    batch: list[FilePlan] = []
    rows = 0
    with _gc_paused(), _import_cache(conn), _indexes_deferred(conn, plans, actor):
        for plan in _read_all(conn, plans, result, progress, fast):
            batch.append(plan)
            rows += len(plan.chunk.rows)
            if rows >= BATCH_ROWS:
                _import_batch(conn, batch, result, session_projects, actor)
                batch, rows = [], 0
        if batch:
            _import_batch(conn, batch, result, session_projects, actor)
    result["sessions"] = len(session_projects)
    result["unassigned_sessions"] = sorted(s for s, project in session_projects.items() if project is None)
    return result


def _file_states(conn: sqlite3.Connection) -> dict[str, tuple]:
    """path -> (id, size, mtime_ns, offset, first_line_hash, lines, skipped) of the files this machine read.

    On PostgreSQL the states are per machine (two machines' files at one path are two files); a SQLite
    ledger belongs to one machine, so a state there is the path's, whoever read it last."""
    query = 'SELECT path, id, size, mtime_ns, "offset", first_line_hash, lines, skipped FROM transcript_files'
    if dialect.name(conn) == dialect.POSTGRESQL:
        rows = conn.execute(query + " WHERE machine_id = ?", (machine_id(),))
    else:
        rows = conn.execute(query)
    return {row[0]: row[1:] for row in rows}


@contextmanager
def _indexes_deferred(conn: sqlite3.Connection, plans: list[FilePlan], actor: str | None):
    """Around a first import of enough bytes: DEFERRED_INDEXES dropped, then built again (also on failure),
    each in its own transaction so the write lock is held for one index at a time."""
    if (dialect.name(conn) != dialect.SQLITE or sum(p.size - p.start for p in plans) < DEFERRED_INDEXES_MIN_BYTES
            or conn.execute("SELECT 1 FROM usage LIMIT 1").fetchone() is not None):
        yield
        return
    saved = dict(conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage'"
                              f" AND name IN ({', '.join('?' * len(DEFERRED_INDEXES))})", DEFERRED_INDEXES))

    def drop(_write_tx: tx.WriteTx) -> None:
        for name in saved:
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')

    tx.write(conn, drop, actor=actor)
    try:
        yield
    finally:
        _restore_indexes(conn, saved, actor)


def _restore_indexes(conn: sqlite3.Connection, saved: dict[str, str], actor: str | None = None) -> None:
    """Build each of DEFERRED_INDEXES that is missing, from `saved` SQL or else from the shipped schema.
    Another import may have built one already: only missing ones are built."""
    if dialect.name(conn) != dialect.SQLITE:
        return
    for name in DEFERRED_INDEXES:
        def build(_write_tx: tx.WriteTx) -> None:
            if not _has_index(conn, name):  # checked again under the write lock
                conn.execute(saved.get(name) or _shipped_index_sql(name))

        if not _has_index(conn, name):
            tx.write(conn, build, actor=actor)


def _has_index(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone() is not None


def _shipped_index_sql(name: str) -> str:
    """CREATE INDEX statement of `name` as the migrations define it (a schema built in memory)."""
    from nerv.store import migrate

    scratch = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate.apply_pending(scratch, migrate.load_plan())
        return scratch.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()[0]
    finally:
        scratch.close()


@contextmanager
def _import_cache(conn: sqlite3.Connection):
    """SQLite's page cache at IMPORT_CACHE_KIB for the import, then back to what it was."""
    if dialect.name(conn) != dialect.SQLITE:
        yield
        return
    was = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(was)}")


@contextmanager
def _gc_paused():
    """The collector off while millions of small tuples are made and kept: it would walk them all, to free nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_batch(conn: sqlite3.Connection, plans: list[FilePlan], result: dict,
                  session_projects: dict[str, str | None], actor: str | None) -> None:
    """Price, place and deduplicate the calls of `plans`, then write them with the files' states in one
    transaction. API calls stored by an earlier batch are found by the same lookup as a re-import's."""
    counts_before = {k: result[k] for k in ("files_read", "files_reset", "lines_read", "api_calls", "skipped_lines")}
    rows, sessions = _stage_rows(conn, plans, result)
    summary = {k: result[k] - counts_before[k] for k in counts_before}

    def body(write_tx: tx.WriteTx) -> None:
        added, touched = _write(write_tx, plans, rows, sessions)
        write_tx.audit("session.import", "transcripts", None,
                       after={**summary, "new_usage_rows": added, "sessions": len(touched)})
        return added, sorted(touched.items())

    added, touched = tx.write(conn, body, actor=actor)
    result["new_usage_rows"] += added
    session_projects.update(touched)
    for plan in plans:  # written: the import keeps every plan, and its rows would stay in memory until the end
        plan.chunk = None


def _plan(path: str, state: tuple | None) -> FilePlan | None:
    """Where to start reading `path` (None: unchanged since the last import)."""
    stat = os.stat(path)
    if state is not None and state[1] == stat.st_size and state[2] == stat.st_mtime_ns:
        return None
    file_id, offset, lines, skipped = (state[0], state[3], state[5], state[6]) if state else (None, 0, 0, 0)
    head_hash = first_line_hash(Path(path))
    reset = state is not None and (stat.st_size < offset or (offset > 0 and head_hash != state[4]))
    if reset:
        offset, lines, skipped = 0, 0, 0
    return FilePlan(path, stat.st_size, stat.st_mtime_ns, offset, lines, reset, file_id, head_hash, skipped)


def _read_job(job: tuple) -> FileRead | str:
    """Read and reduce one file from its start offset (in a worker process or this one); the OS error's text
    when it cannot be read."""
    path, start, start_line, fast, overrides = job
    if fast:
        from nerv.transcript_decoder import line_call
    else:
        line_call = stdlib_line_call
    with _gc_paused():
        try:
            with open(path, "rb") as handle:
                handle.seek(start)
                chunk = _parse_stream(handle, start, start_line, Path(path).stem, line_call)
        except OSError as exc:
            return exc.strerror or str(exc)
        return _reduce(chunk, overrides, subagent_of_file(path))


def _parse_stream(handle, start: int, start_line: int, fallback_session: str, line_call) -> ParsedChunk:
    """parse_bytes over the rest of an open file, READ_BLOCK_BYTES at a time (a longer line is held whole)."""
    total = ParsedChunk()
    offset, carry = start, b""
    while True:
        block = handle.read(READ_BLOCK_BYTES)
        data = carry + block if carry else block
        part = parse_bytes(data, start_offset=offset, start_line=start_line + total.lines,
                           fallback_session=fallback_session, final=not block, line_call=line_call)
        total.calls += part.calls
        total.lines += part.lines
        total.skipped += part.skipped
        total.skip_reasons += part.skip_reasons[:MAX_REPORTED_SKIPS - len(total.skip_reasons)]
        total.consumed += part.consumed
        total.partial_tail = part.partial_tail
        offset += part.consumed
        if not block:
            return total
        carry = data[part.consumed:]


def _reduce(chunk: ParsedChunk, overrides: dict, file_subagent: str | None) -> FileRead:
    """Summarise the calls' sessions, keep one call per API call as _collapse_streamed says, and price those."""
    prices: dict[str | None, pricing.Rates | None] = {}
    unpriced: dict[str, int] = {}
    sessions: dict[str, list] = {}
    same: dict[str, str] = {}  # one object per repeated text, so pickling sends it once
    for call in chunk.calls:
        model = call.model
        if model not in prices:
            prices[model] = pricing.rates_for(model, overrides)
        if prices[model] is None:  # what call_cost reports as no cost from tokens
            name = model or "(none)"
            unpriced[name] = unpriced.get(name, 0) + 1
        cwd = call.cwd
        summary = sessions.get(call.session_id)
        if summary is None:
            sessions[call.session_id] = [[cwd] if cwd is not None else [], model, call.ts, call.ts]
        else:
            if cwd is not None and cwd not in summary[0]:
                summary[0].append(cwd)
            if summary[1] is None:
                summary[1] = model
            if call.ts < summary[2]:
                summary[2] = call.ts
            if call.ts > summary[3]:
                summary[3] = call.ts
    rows = []
    for call in _collapse_streamed(chunk.calls):
        cost, known, from_tokens = pricing.call_cost(call, prices[call.model])
        subagent = call.agent_id or file_subagent
        model, cwd = call.model, call.cwd
        rows.append(((same.setdefault(call.session_id, call.session_id), None, call.message_id, call.request_id,
                      model if model is None else same.setdefault(model, model), call.ts,
                      cwd if cwd is None else same.setdefault(cwd, cwd), call.is_sidechain,
                      call.input_tokens, call.output_tokens, call.cache_write_5m_tokens, call.cache_write_1h_tokens,
                      call.cache_read_tokens, cost, known, None, call.line_offset, None,
                      subagent if subagent is None else same.setdefault(subagent, subagent), call.speed,
                      call.inference_geo, call.web_search_requests, call.line_cost_usd, from_tokens),
                     call.total_tokens))
    return FileRead(chunk, unpriced, sessions, rows)


def _collapse_streamed(calls: list[ApiCall]) -> list[ApiCall]:
    """The calls of one file with the copies of each main-chain API call (message, request) reduced to the one
    _keep_best would end with: the best copy, ties to the earliest, in the place of the copy that won.

    This keeps the import's result exactly: among main-chain copies of one call, "the best copy wins, ties keep
    the held one" is the same whether compared one by one or file by file, and a copy that lost never changes
    what another call is matched with (tests/sessions/test_import_batches.py checks it on random sequences).
    Sidechain copies, which match any request, are left for _keep_best."""
    kept: list = []
    index_of: dict[tuple[str, str], int] = {}
    for call in calls:
        if call.message_id is None or call.is_sidechain:
            kept.append(call)
            continue
        key = (call.message_id, call.request_id)
        index = index_of.get(key)
        if index is None:
            index_of[key] = len(kept)
            kept.append(call)
        elif better_copy(call.total_tokens, 0, kept[index].total_tokens, 0):
            kept[index] = None
            index_of[key] = len(kept)
            kept.append(call)
    return [call for call in kept if call is not None]


def _read_all(conn: sqlite3.Connection, plans: list[FilePlan], result: dict, progress, fast: bool):
    """Yield each readable plan with its FileRead, in the plans' order. With `fast` and enough to read, the files
    are read by one worker process per core, at most a few files ahead of this process (bounded memory)."""
    overrides = load_price_overrides(conn)
    jobs = [(plan.path, plan.start, plan.start_line, fast, overrides) for plan in plans]
    workers = _worker_count() if fast and sum(p.size - p.start for p in plans) >= POOL_MIN_BYTES else 1
    reads = map(_read_job, jobs) if workers == 1 else _pooled(jobs, workers, [p.size - p.start for p in plans])
    for plan, read in zip(plans, reads):
        if progress:
            progress(1)
        if isinstance(read, str):
            result["unreadable"].append({"path": plan.path, "reason": read})
            continue
        plan.chunk = read
        yield plan


def _worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def _pooled(jobs: list[tuple], workers: int, sizes: list[int]):
    """_read_job over `jobs` in worker processes, results in order. The workers read ahead of the writer by
    up to READ_AHEAD_BYTES of files (and 2 files each), so they keep reading while it holds a transaction;
    what waits is parsed rows, a small fraction of the bytes read."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: no second start-up
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque = deque()
        ahead = 0
        for job, size in zip(jobs, sizes):
            pending.append((pool.submit(_read_job, job), size))
            ahead += size
            while len(pending) > 2 * workers and ahead > READ_AHEAD_BYTES:
                future, done = pending.popleft()
                ahead -= done
                yield future.result()
        while pending:
            yield pending.popleft()[0].result()


def _stage_rows(conn: sqlite3.Connection, plans: list[FilePlan], result: dict) -> tuple[list[tuple], dict]:
    """Place and deduplicate every call of `plans` (outside the transaction); fill the counters of `result`.

    Returns usage rows (in _USAGE_COLUMNS order, source_file_id still the plan's index) and, per session,
    [project_id, cwd, model, first ts, last ts].
    """
    fixed_task, task_of = _task_attribution(conn, {session for plan in plans for session in plan.chunk.sessions})
    projects: dict[str | None, str | None] = {None: None}
    best: dict[tuple[str, str], tuple[tuple, int, int]] = {}  # (message, request) -> (row, total, is_sidechain)
    requests_of: dict[str, list[str]] = {}  # message -> the request ids kept for it
    unkeyed: list[tuple] = []
    sessions: dict[str, list] = {}

    def project_of(cwd: str | None) -> str | None:
        if cwd not in projects:
            found = lookups.project_for_path(conn, cwd)
            projects[cwd] = found["id"] if found else None
        return projects[cwd]

    for key, plan in enumerate(plans):
        chunk = plan.chunk
        result["files_read"] += 1
        result["files_reset"] += plan.reset
        result["lines_read"] += chunk.lines
        result["api_calls"] += chunk.api_calls
        result["skipped_lines"] += chunk.skipped
        result["partial_tails"] += chunk.partial_tail
        for name, calls in chunk.unpriced.items():
            result["unpriced_models"][name] = result["unpriced_models"].get(name, 0) + calls
        room = max(MAX_REPORTED_SKIPS - len(result["skipped"]), 0)
        result["skipped"] += [{"path": plan.path, "line": n, "reason": r} for n, r in chunk.skip_reasons[:room]]
        for session_id, (cwds, model, first, last) in chunk.sessions.items():
            _merge_session(sessions, session_id, cwds, model, first, last, project_of)
        for cwds, *_ in chunk.sessions.values():  # every cwd the file's calls name: rows look them up plainly
            for cwd in cwds:
                project_of(cwd)
        for row, total in chunk.rows:
            task = fixed_task.get(row[0], _BY_TIME)
            row = (row[0], projects[row[6]], *row[2:15], key, row[16],
                   task_of(row[0], row[5]) if task is _BY_TIME else task, *row[18:])
            if row[2] is None:
                unkeyed.append(row)
            else:
                _keep_best(best, requests_of, row, total, row[7])
    return [held[0] for held in best.values()] + unkeyed, sessions


def _merge_session(sessions: dict[str, list], session_id: str, cwds: list[str], model: str | None, first: str,
                   last: str, project_of) -> None:
    """Fold one file's summary of a session into [project_id, cwd, model, first ts, last ts]: the first project
    and cwd and model its calls name, the earliest and latest time stamps."""
    session = sessions.get(session_id)
    if session is None:
        session = sessions[session_id] = [None, None, None, first, last]
    if session[0] is None:
        session[0] = next((found for found in map(project_of, cwds) if found is not None), None)
    if session[1] is None and cwds:
        session[1] = cwds[0]
    if session[2] is None:
        session[2] = model
    if first < session[3]:
        session[3] = first
    if last > session[4]:
        session[4] = last


def _keep_best(best: dict, requests_of: dict[str, list[str]], row: tuple, total: int, is_sidechain: int) -> None:
    """Hold `row` unless a better copy of its API call is held; a better copy replaces the held one."""
    message_id, request_id = row[2], row[3]
    held_requests = requests_of.get(message_id)
    if held_requests is None:  # most calls: the first copy seen of their message
        requests_of[message_id] = [request_id]
        best[(message_id, request_id)] = (row, total, is_sidechain)
        return
    for held_request in held_requests:
        held = best[(message_id, held_request)]
        if same_call(message_id, request_id, is_sidechain, held_request, held[2]):
            if better_copy(total, is_sidechain, held[1], held[2]):
                del best[(message_id, held_request)]
                held_requests.remove(held_request)
                break
            return
    best[(message_id, request_id)] = (row, total, is_sidechain)
    held_requests.append(request_id)


def subagent_of_file(path: str) -> str | None:
    """`<id>` of `.../subagents/agent-<id>.jsonl`: a subagent's own transcript, for lines without `agentId`."""
    folder, name = os.path.split(path)
    if os.path.basename(folder) == "subagents" and name.startswith("agent-") and name.endswith(".jsonl"):
        return name[len("agent-"):-len(".jsonl")] or None
    return None


def _task_attribution(conn: sqlite3.Connection, session_ids: set[str]
                      ) -> tuple[dict[str, str | None], Callable[[str, str], str | None]]:
    """(fixed, task_of): task_of(session, ts) is the task an API call counts for (docs/costs.md, "Attribution");
    `fixed` holds its answer for the sessions of `session_ids` whose calls all count for one task (or none),
    so most rows need no call.

    A session with an agent (NERV_AGENT, recorded by the SessionStart hook): the task that agent held at the
    call's time stamp (agent_task_spans), else none. A session without one: its own task link.
    """
    from bisect import bisect_right

    from nerv.store.queries_tasks import holding_spans

    links: dict[str, tuple[str | None, str | None]] = {}
    ordered = sorted(session_ids)
    for start in range(0, len(ordered), 500):
        part = ordered[start:start + 500]
        for session_id, agent, task_id in conn.execute(
                f"SELECT id, agent, task_id FROM claude_sessions WHERE id IN ({', '.join('?' * len(part))})", part):
            links[session_id] = (agent, task_id)
    spans = holding_spans(conn, [agent for agent, _ in links.values() if agent])
    starts = {agent: [_comparable(s[0]) for s in rows] for agent, rows in spans.items()}

    def task_of(session_id: str, ts: str) -> str | None:
        agent, linked = links.get(session_id, (None, None))
        if not agent:
            return linked
        rows = spans.get(agent)
        if not rows:
            return None
        when = _comparable(ts)
        # The latest holding that began at or before the call and had not ended by then.
        for index in range(bisect_right(starts[agent], when) - 1, -1, -1):
            started, ended, task_id = rows[index]
            if ended is None or when < _comparable(ended):
                return task_id
        return None

    fixed = {session: links.get(session, (None, None))[1] for session in session_ids
             if not links.get(session, (None, None))[0]}
    return fixed, task_of


def _comparable(ts: str) -> str:
    """An ISO-8601 time stamp in nerv's sortable form (UTC, microseconds, `Z`, nerv.store.clock): transcripts
    write milliseconds (`...:56.142Z`), and only time stamps of one form compare right as text."""
    if len(ts) == 24 and ts[19] == "." and ts[-1] == "Z":
        return ts[:23] + "000Z"
    if len(ts) == 27 and ts[19] == "." and ts[-1] == "Z":
        return ts
    try:
        return to_iso(parse_iso(ts))
    except ValueError:
        return ts


_INSERT_USAGE = f"INSERT INTO usage ({', '.join(_USAGE_COLUMNS)}) VALUES ({', '.join('?' * len(_USAGE_COLUMNS))})"
# request_id too: a main-chain copy replacing a side question's replay brings the call's own request id.
_REPLACE_USAGE = ("UPDATE usage SET " + ", ".join(f"{c} = ?" for c in _USAGE_COLUMNS if c != "message_id")
                  + " WHERE id = ?")
_INSERT_UNKEYED = _INSERT_USAGE + " ON CONFLICT DO NOTHING"
_UPSERT_SESSION = (
    "INSERT INTO claude_sessions (id, project_id, cwd, model, status, started_at, last_activity_at, created_at,"
    " updated_at) VALUES (?, ?, ?, ?, 'ended', ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
    " project_id = COALESCE(claude_sessions.project_id, excluded.project_id),"
    " cwd = COALESCE(claude_sessions.cwd, excluded.cwd),"
    " model = COALESCE(claude_sessions.model, excluded.model),"
    # CASE, not the two-argument MIN/MAX: SQLite's scalar MIN/MAX are LEAST/GREATEST on PostgreSQL.
    " started_at = CASE WHEN claude_sessions.started_at IS NULL OR excluded.started_at < claude_sessions.started_at"
    " THEN excluded.started_at ELSE claude_sessions.started_at END,"
    " last_activity_at = CASE WHEN claude_sessions.last_activity_at IS NULL"
    " OR excluded.last_activity_at > claude_sessions.last_activity_at"
    " THEN excluded.last_activity_at ELSE claude_sessions.last_activity_at END, updated_at = excluded.updated_at")


def _stored_copies(conn: sqlite3.Connection, keyed: list[tuple]) -> dict[str, list[tuple]]:
    """message -> [(request, id, session, token total, is_sidechain)] of the API calls already stored."""
    found = {}
    by_message: dict[str, list] = {}
    for row in keyed:
        by_message.setdefault(row[2], []).append(row[3])
    messages = list(by_message)
    for start in range(0, len(messages), 500):
        part = messages[start:start + 500]
        query = ("SELECT message_id, request_id, id, session_id, input_tokens + output_tokens + cache_write_5m_tokens"
                 " + cache_write_1h_tokens + cache_read_tokens, is_sidechain FROM usage"
                 f" WHERE message_id IN ({', '.join('?' * len(part))})")
        for message_id, *rest in conn.execute(query, part):
            found.setdefault(message_id, []).append(tuple(rest))
    return found


@contextmanager
def _rows_added(conn: sqlite3.Connection, inserting: int):
    """Around the batch's INSERTs into usage: for a load at least as big as the table (one large file into a
    small ledger), drop usage's indexes and the rollup's triggers and build them again afterwards (sorting once
    is measured twice as fast as growing the indexes row by row; it stays transactional, and CREATE UNIQUE
    INDEX re-checks uniqueness); otherwise add the new rows to the rollup in one GROUP BY."""
    if (inserting < BULK_REBUILD_MIN_ROWS or dialect.name(conn) == dialect.POSTGRESQL
            or inserting < conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0]):
        with rollup_added_in_bulk(conn):
            yield
        return
    from nerv.store.queries_costs import rollup_rebuilt_after

    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage'"
                           " AND sql IS NOT NULL").fetchall()
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    with rollup_rebuilt_after(conn):
        yield
    for _name, sql in indexes:
        conn.execute(sql)


def _split_keyed(conn: sqlite3.Connection, keyed: list[tuple]) -> tuple[list[tuple], list[tuple], set[str]]:
    """(new API calls to insert, better copies of stored ones as UPDATE parameters, sessions a better copy took
    a call from). A stored call is replaced only by a better copy (bigger, or the main-chain one of equal size).

    Plain INSERTs for the new ones: measured three times faster than INSERT ... ON CONFLICT DO UPDATE.
    """
    empty = conn.execute("SELECT 1 FROM usage LIMIT 1").fetchone() is None  # the first import: nothing to look up
    stored = {} if empty else _stored_copies(conn, keyed)
    fresh, better, moved_from = [], [], set()
    for row in keyed:
        copies = stored.get(row[2])
        if copies is None:
            fresh.append(row)
            continue
        held = next((copy for copy in copies if same_call(row[2], row[3], row[7], copy[0], copy[4])), None)
        if held is None:
            fresh.append(row)
            continue
        total = row[8] + row[9] + row[10] + row[11] + row[12]
        if better_copy(total, row[7], held[3], held[4]):
            better.append(row[:2] + row[3:] + (held[1],))
            if held[2] != row[0]:
                moved_from.add(held[2])
            # The stored row is this copy now: a later call of the same message is matched against it, as
            # _keep_best matches within one batch (two calls replacing one side-question replay both stay).
            copies[copies.index(held)] = (row[3], held[1], row[0], total, row[7])
    return fresh, better, moved_from


def _write(write_tx: tx.WriteTx, plans: list[FilePlan], rows: list[tuple],
           sessions: dict[str, list]) -> tuple[int, dict[str, str | None]]:
    """Write one batch; returns how many usage rows it added (net of the rows of re-read files it dropped) and
    the sessions whose totals it refreshed, with their projects."""
    conn, now, machine = write_tx.conn, write_tx.now, machine_id()
    touched: set[str] = set(sessions)
    file_ids, dropped = _save_file_states(conn, plans, now, machine, touched)
    conn.executemany(_UPSERT_SESSION, [(sid, *values, now, now) for sid, values in sessions.items()])
    conn.executemany("UPDATE claude_sessions SET transcript_path = ? WHERE id = ? AND transcript_path IS NULL",
                     [(path, session) for session, path in _session_transcripts(plans).items()])
    # A call from outside every repo joins its session's project (set by the import or by `session assign`).
    session_projects = _session_projects(conn, sessions)
    keyed, unkeyed = [], []
    for row in rows:
        row = (row[0], row[1] or session_projects.get(row[0]), *row[2:15], file_ids[row[15]], *row[16:], machine)
        (unkeyed if row[2] is None else keyed).append(row)
    fresh, better, moved_from = _split_keyed(conn, keyed)
    with _rows_added(conn, len(fresh) + len(unkeyed)):
        added = conn.executemany(_INSERT_USAGE, fresh).rowcount if fresh else 0
        added += conn.executemany(_INSERT_UNKEYED, unkeyed).rowcount if unkeyed else 0
    conn.executemany(_REPLACE_USAGE, better)
    # An API call taken over by a better copy from another session changes that session's totals too.
    touched |= moved_from
    conn.executemany(_UPSERT_SUBAGENT, [(session, agent, path, now, now)
                                        for (session, agent), path in _subagent_files(plans, rows).items()])
    projects = _session_projects(conn, touched)
    for part in _parts(sorted(projects)):
        refresh_session_totals(conn, now, ", ".join("?" * len(part)), part)
    return added - dropped, projects


def _parts(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _session_projects(conn: sqlite3.Connection, session_ids) -> dict[str, str | None]:
    """session -> its project, for those of `session_ids` that are recorded."""
    found: dict[str, str | None] = {}
    for part in _parts(sorted(session_ids)):
        marks = ", ".join("?" * len(part))
        found.update(conn.execute(f"SELECT id, project_id FROM claude_sessions WHERE id IN ({marks})", part))
    return found


# A subagent first seen in a transcript (no SubagentStart hook ran) is recorded as ended, like its session.
_UPSERT_SUBAGENT = (
    "INSERT INTO subagents (session_id, agent_id, transcript_path, status, created_at, updated_at)"
    " VALUES (?, ?, ?, 'ended', ?, ?) ON CONFLICT (session_id, agent_id) DO UPDATE SET"
    " transcript_path = COALESCE(subagents.transcript_path, excluded.transcript_path)")


def _subagent_files(plans: list[FilePlan], rows: list[tuple]) -> dict[tuple[str, str], str]:
    """(session, subagent id) -> the file its calls were read from, for every subagent call staged."""
    found: dict[tuple[str, str], str] = {}
    for row in rows:
        if row[18] is not None:
            found.setdefault((row[0], row[18]), plans[row[15]].path)
    return found


def _session_transcripts(plans: list[FilePlan]) -> dict[str, str]:
    """Each session's own file (<session-id>.jsonl) if read now, else the first file it appeared in."""
    paths: dict[str, str] = {}
    for plan in plans:
        stem = Path(plan.path).stem
        for session in plan.chunk.sessions:
            if session not in paths or stem == session:
                paths[session] = plan.path
    return paths


def _save_file_states(conn: sqlite3.Connection, plans: list[FilePlan], now: str, machine: str,
                      touched: set[str]) -> tuple[dict[int, int], int]:
    """Upsert one transcript_files row per file read; drop rows of files that were replaced (their sessions
    join `touched`). Returns (key -> id, usage rows dropped)."""
    dropped = 0
    for plan in plans:
        if plan.reset and plan.file_id is not None:
            touched.update(row[0] for row in conn.execute(
                "SELECT DISTINCT session_id FROM usage WHERE source_file_id = ?", (plan.file_id,)))
            dropped += conn.execute("DELETE FROM usage WHERE source_file_id = ?", (plan.file_id,)).rowcount
    states = [(plan.path, plan.size, plan.mtime_ns, plan.start + plan.chunk.consumed, plan.first_hash,
               plan.start_line + plan.chunk.lines, plan.prior_skipped + plan.chunk.skipped, now, machine)
              for plan in plans]
    ids_by_path: dict[str, int] = {}
    for part in _distinct_paths(states):
        ids_by_path.update(conn.execute(_upsert_file_states(conn, len(part)),
                                        [value for state in part for value in state]).fetchall())
    return {key: ids_by_path[plan.path] for key, plan in enumerate(plans)}, dropped


def _upsert_file_states(conn: sqlite3.Connection, count: int) -> str:
    """One upsert of `count` files' states returning (path, id): a round trip per batch, not per file."""
    file_key = "(machine_id, path)" if dialect.name(conn) == dialect.POSTGRESQL else "(path)"  # see _file_states
    return ('INSERT INTO transcript_files (path, size, mtime_ns, "offset", first_line_hash, lines, skipped,'
            f" imported_at, machine_id) VALUES {', '.join(['(?, ?, ?, ?, ?, ?, ?, ?, ?)'] * count)}"
            f" ON CONFLICT {file_key} DO UPDATE SET"
            ' size = excluded.size, mtime_ns = excluded.mtime_ns, "offset" = excluded."offset",'
            " first_line_hash = excluded.first_line_hash, lines = excluded.lines, skipped = excluded.skipped,"
            " imported_at = excluded.imported_at, machine_id = excluded.machine_id RETURNING path, id")


def _distinct_paths(states: list[tuple]):
    """`states` in parts of at most FILE_STATES_PER_STATEMENT, none naming a path twice (one upsert may not
    change a row twice)."""
    part: list[tuple] = []
    paths: set[str] = set()
    for state in states:
        if len(part) == FILE_STATES_PER_STATEMENT or state[0] in paths:
            yield part
            part, paths = [], set()
        part.append(state)
        paths.add(state[0])
    if part:
        yield part


def refresh_session_totals(conn: sqlite3.Connection, now: str, session_ids_sql: str, params=()) -> None:
    """Set the token and cost totals of the sessions selected by `session_ids_sql` to the sums of their usage rows."""
    sums = ", ".join(
        f"{column} = (SELECT COALESCE(SUM({expr}), 0) FROM usage WHERE usage.session_id = claude_sessions.id)"
        for column, expr in (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens"),
                             ("cache_write_tokens", "cache_write_5m_tokens + cache_write_1h_tokens"),
                             ("cache_read_tokens", "cache_read_tokens"), ("cost_usd", "cost_usd")))
    conn.execute(f"UPDATE claude_sessions SET {sums}, updated_at = ? WHERE id IN ({session_ids_sql})",
                 (now, *params))
