"""Shared fixtures: every test gets its own NERV_HOME in tmp_path (holding a freshly migrated database), ways to
run the real CLI, and the one check that a refusal is not a crash (`assert_not_a_bug`)."""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import json
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests import reused_store

# No example database on disk: CI clones are fresh and a .hypothesis/ folder must not appear in the repo.
hypothesis_settings.register_profile("nerv", database=None)
hypothesis_settings.load_profile("nerv")
# The edit loop (`-m "not slow"`) tries a tenth of each property test's examples: `nerv-fast` for the tests
# that name no count, examples(N) for those that do. Every other run (CI's) tries them all.
# NERV_TEST_EXAMPLES=full or =fast overrides the choice the -m expression makes.
hypothesis_settings.register_profile("nerv-fast", parent=hypothesis_settings.get_profile("nerv"), max_examples=10)
_EXAMPLES = {"fast": False}


def examples(full: int) -> int:
    """max_examples for a property test that tries `full` examples in the full run."""
    return max(10, full // 10) if _EXAMPLES["fast"] else full


def _choose_examples(config) -> None:
    chosen = os.environ.get("NERV_TEST_EXAMPLES") or ("fast" if "not slow" in (config.option.markexpr or "") else "full")
    _EXAMPLES["fast"] = chosen == "fast"
    if _EXAMPLES["fast"]:
        hypothesis_settings.load_profile("nerv-fast")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NERV_ENV = ("NERV_HOME", "NERV_DB", "NERV_PROJECT", "NERV_JSON", "NERV_DEBUG", "NERV_ACTOR", "CLAUDE_CONFIG_DIR",
            "NERV_CLAUDE_MANAGED_DIR", "NERV_HOOK_EXECUTABLE", "NERV_DATABASE_URL", "NERV_MACHINE_ID",
            "NERV_HOOK_DAEMON")
# Which backend the suite's database fixtures give each test: `sqlite` (the default) or `postgresql`, a
# database of its own on a throwaway server started once per session (tests/pg_server.py).
BACKEND = os.environ.get("NERV_TEST_BACKEND", "sqlite")
ON_POSTGRESQL = BACKEND == "postgresql"
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite-only: the file, its pragmas or its tools")
try:  # loaded before any in-process command runs: main() hides absent drivers from peewee on the local file
    import psycopg2  # noqa: F401
except ImportError:
    pass


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def data(self):
        """The `data` of the JSON envelope on stdout (asserts there is exactly one document)."""
        document = json.loads(self.stdout)
        assert document["schema_version"] == 1
        return document["data"]

    @property
    def error(self) -> dict:
        return json.loads(self.stderr)["error"]


# ---- the check every bad-input and fuzz test makes ---------------------------------------------------------
# The CLI turns any unexpected exception into a one-line error of code `internal` (text: "unexpected error: ...
# this is a bug in nerv"), so "no Traceback" proves nothing; the hook reports one as "nerv hook: ...
# <ExceptionName>: ...". An expected refusal is a NervError, reported by its code and message.
BUG_TEXTS = ("Traceback", "unexpected error", "this is a bug in nerv")
HOOK_EXCEPTION = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Exit|Interrupt))\b")
EXPECTED_HOOK_EXCEPTIONS = {"NervError"}


def assert_not_a_bug(result: "Result | str", what=None) -> None:
    """`result` (a Result, or a process's stderr) is an answer or a refusal, never nerv failing on its own bug."""
    stderr = result if isinstance(result, str) else result.stderr
    for line in stderr.splitlines():
        if line.startswith('{"schema_version"'):
            error = json.loads(line).get("error") or {}
            assert error.get("code") != "internal", (what, error)
        elif line.startswith("nerv hook:"):
            unexpected = set(HOOK_EXCEPTION.findall(line)) - EXPECTED_HOOK_EXCEPTIONS
            assert not unexpected, (what, line[:2000])
    found = [text for text in BUG_TEXTS if text in stderr]
    assert not found, (what, found, stderr[-2000:])


# ---- fault injection: proves the check above (tests/test_fault_injection.py) --------------------------------
FAULT_ENV = "NERV_TEST_INJECT_FAULT"
FAULT_LOG_ENV = "NERV_TEST_FAULT_LOG"  # a file the fault appends to each time it is raised


def _inject_fault(target: str) -> None:
    """Make `module:function` raise RuntimeError, before any test imports it (by module or by name)."""
    module_name, function_name = target.split(":")
    module = importlib.import_module(module_name)
    getattr(module, function_name)  # a misspelt target must fail loudly, not inject nothing

    def fault(*args, **kwargs):
        if os.environ.get(FAULT_LOG_ENV):
            with open(os.environ[FAULT_LOG_ENV], "a", encoding="utf-8") as log:
                log.write(target + "\n")
        raise RuntimeError(f"injected fault in {target}")

    setattr(module, function_name, fault)


# ---- test folders in memory: /dev/shm when it can be written ------------------------------------------------
# Every test copies a database into its own folder and every in-process CLI call that wrote checkpoints the
# WAL on close (an fsync): on tmpfs those cost nothing. pytest's numbered base folders (pytest-of-USER/pytest-N,
# the last 3 runs kept) then live under /dev/shm; `--basetemp` or PYTEST_DEBUG_TEMPROOT (pytest's own variable)
# choose another place, and NERV_TEST_TMP=disk keeps pytest's default (the system's temporary folder).
MEMORY_TEMP_ROOT = "/dev/shm"
_IN_MEMORY = {"on": False}


def _put_test_folders_in_memory(config) -> None:
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT") or os.environ.get("NERV_TEST_TMP") == "disk":
        return
    if os.path.isdir(MEMORY_TEMP_ROOT) and os.access(MEMORY_TEMP_ROOT, os.W_OK | os.X_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = MEMORY_TEMP_ROOT
        _IN_MEMORY["on"] = True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:  # the folder of a failed test is kept for a look at it (tmp_path below)
        item.stash[_FAILED] = True
    return report


_FAILED = pytest.StashKey[bool]()


def pytest_configure(config):
    _choose_examples(config)
    _put_test_folders_in_memory(config)
    if os.environ.get(FAULT_ENV):
        _inject_fault(os.environ[FAULT_ENV])


# ---- order independence: `pytest --shuffle-seed N` runs the collected tests in a random order ----------------
def pytest_addoption(parser):
    parser.addoption("--shuffle-seed", type=int, default=None,
                     help="run the tests in an order shuffled with this seed (tests must pass in any order)")


def pytest_collection_modifyitems(config, items):
    """Tests that start nerv processes (the `proc` fixture) or the PostgreSQL server (`pg_server`) are `slow`. With --shuffle-seed, shuffle the order of
    the modules and of the tests within each module: a test that needs another to run first fails, and
    module-scoped fixtures are still set up once per module."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "proc" in fixtures:
            item.add_marker(pytest.mark.slow)  # starts nerv as a process: ~0.1-1 s a call
        if "pg_server" in fixtures:
            # Starts the throwaway PostgreSQL server (tests/pg: `pg_server`, `pg_database`); a database of its own
            # costs ~0.5 s, and these tests run alike whatever NERV_TEST_BACKEND is, so the full run covers them.
            item.add_marker(pytest.mark.slow)
    seed = config.getoption("--shuffle-seed")
    if seed is None:
        return
    shuffle = random.Random(seed).shuffle
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    groups = list(modules.values())
    shuffle(groups)
    for group in groups:
        shuffle(group)
    items[:] = [item for group in groups for item in group]


def pytest_report_header(config):
    seed = config.getoption("--shuffle-seed")
    lines = [f"shuffle-seed: {seed}"] if seed is not None else []
    if _EXAMPLES["fast"]:
        lines.append("property tests: a tenth of their examples (hypothesis profile nerv-fast)")
    return lines


def pytest_terminal_summary(terminalreporter):
    counts = reused_store.COUNTS
    if counts["parked"]:
        terminalreporter.write_line(f"in-process CLI: {counts['reused']} stores reused, {counts['stale']} found "
                                    f"touched and reopened, of {counts['parked']} left open (tests/reused_store.py)")


# ---- an isolated home with a migrated database ---------------------------------------------------------------
_TEMPLATES: dict[str, bytes] = {}


def from_template(name: str, home: Path, build) -> None:
    """Put in `home` the database `build()` makes there, built once per session and copied after that (copying
    is ~100 times cheaper than running the migrations and the CLI calls again). On PostgreSQL the test's
    database is replaced by a copy of a template database (CREATE DATABASE ... TEMPLATE)."""
    if ON_POSTGRESQL:
        _pg_from_template(name, build)
        return
    db = home / "state.db"
    if name not in _TEMPLATES:
        build()
        from nerv.store.sqlite import open_connection

        conn = open_connection(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole database in the main file
        conn.close()
        _TEMPLATES[name] = db.read_bytes()
        return
    from nerv.store import paths

    reused_store.discard()  # its connection must not outlive the file it was opened on
    paths.ensure_private_dir(home)
    if db.exists():  # a template over another (`project` after `nerv_home`): the old WAL must not apply to it
        for suffix in ("-wal", "-shm"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(_TEMPLATES[name])  # no fsync: a test's database need not survive a power loss
    os.chmod(db, 0o600)


_PG_TEMPLATES: dict[str, str] = {}
_PG_FINGERPRINTS: dict[str, str] = {}  # template name: its fingerprint (tests/pg_server.py)
_PG_SPARE: dict[str, str] = {}  # template name: a database an earlier test left exactly as its template
_PG_CURRENT: dict = {}  # server, database, template (what it was copied from): the running test's database


def _pg_use(database: str, template: str | None = None) -> None:
    _PG_CURRENT.update(database=database, template=template)
    os.environ["NERV_DATABASE_URL"] = _PG_CURRENT["server"].url(database)


def _pg_from_template(name: str, build) -> None:
    from nerv.cli import _ctx

    server = _PG_CURRENT["server"]
    _ctx.close()  # a template database may have no session open on it
    if name not in _PG_TEMPLATES:
        build()
        _ctx.close()
        _PG_TEMPLATES[name] = server.copy_database(_PG_CURRENT["database"])
        _PG_FINGERPRINTS[name] = server.fingerprint(_PG_TEMPLATES[name])
        _PG_CURRENT["template"] = name
        return
    if _PG_CURRENT.pop("untouched", False) and _PG_CURRENT["template"] == name:
        return
    server.drop_database(_PG_CURRENT["database"])
    _pg_use(_PG_SPARE.pop(name, None) or server.copy_database(_PG_TEMPLATES[name]), name)


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session; skips, with the reason, where none can run."""
    from tests import pg_server as servers

    why = servers.why_unavailable()
    if why:
        pytest.skip(why)
    server = servers.Server().start()
    yield server
    server.stop()


@pytest.fixture
def pg_database(pg_server, monkeypatch) -> str:
    """An empty database of its own on the session's server, named by NERV_DATABASE_URL (its URL)."""
    from nerv.cli import _ctx

    name = pg_server.create_database()
    url = pg_server.url(name)
    monkeypatch.setenv("NERV_DATABASE_URL", url)
    yield url
    _ctx.close()
    pg_server.drop_database(name)


def _migrate(home: Path) -> None:
    from nerv.store.db import open_store

    open_store(None if ON_POSTGRESQL else home / "state.db").close()


def _pg_test_database(server, template: str):
    """NERV_TEST_BACKEND=postgresql: the test's own database on the session's server, a copy of `template`
    (or empty before the template exists). Dropped after the test, unless the test left it exactly as it
    was copied: then it is the next test's copy (a drop and a copy cost ~0.5 s, a fingerprint ~20 ms)."""
    from nerv.cli import _ctx

    _PG_CURRENT["server"] = server
    if template in _PG_TEMPLATES:
        _pg_use(_PG_SPARE.pop(template, None) or server.copy_database(_PG_TEMPLATES[template]), template)
        _PG_CURRENT["untouched"] = True
    else:
        _pg_use(server.create_database())
    yield
    _ctx.close()
    database, name = _PG_CURRENT.pop("database"), _PG_CURRENT.pop("template")
    _PG_CURRENT.pop("untouched", None)
    _PG_CURRENT.pop("homes", None)
    for other in _PG_CURRENT.pop("others", []):
        server.drop_database(other)
    if name and name not in _PG_SPARE and server.fingerprint(database) == _PG_FINGERPRINTS[name]:
        _PG_SPARE[name] = database
    else:
        server.drop_database(database)


_TEST_FOLDERS = itertools.count()


@pytest.fixture
def tmp_path(tmp_path_factory, request) -> Path:
    """pytest's tmp_path (a new folder per test, under the session's base folder, kept after the run; in memory
    only a failed test's folder is kept), made
    without pytest's scan of the whole base folder and its `-current` symlink for every test: with thousands
    of tests that scan alone is quadratic."""
    name = re.sub(r"\W", "_", request.node.name)[:30]
    path = tmp_path_factory.getbasetemp() / "tests" / f"{name}-{next(_TEST_FOLDERS)}"
    path.mkdir(parents=True)
    yield path
    if _IN_MEMORY["on"] and not request.node.stash.get(_FAILED, False):
        import shutil

        # In memory, ~0.6 MB a test would hold gigabytes per kept run: only a failed test's folder stays.
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def nerv_home(tmp_path, monkeypatch, request) -> Path:
    """An isolated home holding a migrated, empty database: no test ever touches ~/.nerv or the developer's
    Claude config. A test of what happens before the first command asks for `fresh_home` instead; a module
    of pure functions that never reach the database says `pytestmark = pytest.mark.no_database` and gets the
    same isolated environment without the database copy (nerv would create one if it were reached)."""
    for name in NERV_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "nerv-home"
    monkeypatch.setenv("NERV_HOME", str(home))
    monkeypatch.setenv("NERV_ACTOR", "tester")
    # A team-mode hook would start a hook daemon that outlives the test: the tests of the daemon ask for one.
    monkeypatch.setenv("NERV_HOOK_DAEMON", "off")
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    # Claude Code's managed settings (/etc/claude-code on Linux) belong to the machine, not to a test.
    monkeypatch.setenv("NERV_CLAUDE_MANAGED_DIR", str(tmp_path / "claude-managed"))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    backend = _pg_test_database(request.getfixturevalue("pg_server"), "migrated") if ON_POSTGRESQL else None
    if backend is not None:
        monkeypatch.setenv("NERV_DATABASE_URL", "")  # so monkeypatch restores it after the test
        next(backend)
    if request.node.get_closest_marker("no_database") is None:
        from_template("migrated", home, lambda: _migrate(home))
    yield home
    reused_store.discard()
    if backend is not None:
        next(backend, None)


@pytest.fixture
def fresh_home(nerv_home) -> Path:
    """NERV_HOME as a first run finds it: the folder does not exist yet."""
    import shutil

    shutil.rmtree(nerv_home, ignore_errors=True)  # on PostgreSQL the template's copy put no file there
    return nerv_home


def run_cli(*args: str, stdin: str = "") -> Result:
    """Run `nerv ARGS` in this process (fast) through the same main() the console script uses. The store a
    call leaves open serves the next call while its file is untouched (tests/reused_store.py); the hook and
    the statusline open their own connection, so a parked store is closed before them."""
    from nerv.__main__ import HOOK_MANAGEMENT, main

    if not ON_POSTGRESQL and os.environ.get("NERV_TEST_REUSE_STORE") != "off":
        reused_store.install()
        if args and (args[0] == "statusline" or (args[0] == "hook" and len(args) > 1
                                                  and args[1] not in HOOK_MANAGEMENT)):
            reused_store.discard()
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # shell-completion paths exit directly
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


def nerv_executable() -> list[str]:
    """The installed console script beside this interpreter, else `python -m nerv`."""
    script = Path(sys.executable).parent / "nerv"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nerv"]


def run_proc(*args: str, stdin: str = "", env: dict | None = None, cwd: str | None = None,
             timeout: float = 60) -> Result:
    """Run the installed `nerv` as a separate process (the key paths are tested this way)."""
    proc = subprocess.run(nerv_executable() + [str(a) for a in args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


# Without these two capabilities root is held to file permissions like any user (CI runs as root).
DROP_PERMISSION_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]


def run_as_user(*args: str, env: dict | None = None) -> Result:
    """run_proc, held to file permissions: under root, through setpriv without the override capabilities."""
    prefix = []
    if os.geteuid() == 0:
        import shutil

        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be enforced")
        prefix = DROP_PERMISSION_OVERRIDE
    proc = subprocess.run(prefix + nerv_executable() + [str(a) for a in args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def proc():
    return run_proc


def backend_connection():
    """NERV_TEST_BACKEND=postgresql: a connection of the test's own to its database (autocommit)."""
    from nerv.store import postgres

    return postgres.open_connection(os.environ["NERV_DATABASE_URL"])


def raw_connection(home: Path):
    """A plain connection to the database of `home` (the test's, or one use_other_home made) on either backend, in
    autocommit (BEGIN/COMMIT by hand): for setting up states the CLI cannot make."""
    if ON_POSTGRESQL:
        from nerv.store import postgres

        return postgres.open_connection(_PG_CURRENT.get("homes", {}).get(Path(home)) or os.environ["NERV_DATABASE_URL"])
    import sqlite3

    return sqlite3.connect(home / "state.db", isolation_level=None)


def use_new_database(request, monkeypatch, home: Path) -> None:
    """NERV_HOME at `home` and, on PostgreSQL, an empty database of its own named by NERV_DATABASE_URL (dropped
    after the test): for a test that compares ledgers built apart. The next open_store() migrates it."""
    monkeypatch.setenv("NERV_HOME", str(home))
    if ON_POSTGRESQL:
        server = request.getfixturevalue("pg_server")
        name = server.create_database()
        request.addfinalizer(lambda: server.drop_database(name))
        monkeypatch.setenv("NERV_DATABASE_URL", server.url(name))


def db_content_hash(path: Path) -> str:
    """nerv.store.admin.content_hash of the database at `path`: equal before and after means it is unchanged."""
    from nerv.store.admin import content_hash
    from nerv.store.db import open_readonly

    conn = raw_connection(path.parent) if ON_POSTGRESQL else open_readonly(path)
    try:
        return content_hash(conn)
    finally:
        conn.close()


def use_other_home(monkeypatch, home: Path) -> None:
    """Point nerv at `home`, a second home whose database is empty: on SQLite its own file, on PostgreSQL a new
    database on the session's server (dropped after the test). raw_connection and db_content_hash reach either."""
    from nerv.cli import _ctx

    _ctx.close()
    if ON_POSTGRESQL:
        server = _PG_CURRENT["server"]
        name = server.create_database()
        _PG_CURRENT.setdefault("others", []).append(name)
        homes = _PG_CURRENT.setdefault("homes", {})
        homes.setdefault(Path(os.environ["NERV_HOME"]), os.environ["NERV_DATABASE_URL"])
        homes[Path(home)] = server.url(name)
        monkeypatch.setenv("NERV_DATABASE_URL", server.url(name))
    monkeypatch.setenv("NERV_HOME", str(home))


def unusable_database_env(tmp_path: Path) -> dict:
    """Environment naming a database nerv cannot use, on the suite's backend: on SQLite NERV_DB naming a
    folder, on PostgreSQL a URL whose socket folder no server listens in."""
    if ON_POSTGRESQL:
        return {"NERV_DATABASE_URL": f"postgresql://nobody@/nerv?host={tmp_path}"}
    folder = tmp_path / "a-directory"
    folder.mkdir(exist_ok=True)
    return {"NERV_DB": str(folder)}


def edited_backup(path: Path, *statements: str) -> Path:
    """`nerv db backup` of the test's database to `path`, then `statements` run in the backup: on SQLite in the
    copied file, on PostgreSQL in a copy of the database made before the dump (a dump is not edited in place)."""
    from nerv.cli import _ctx

    if not ON_POSTGRESQL:
        import sqlite3

        assert run_cli("db", "backup", str(path)).code == 0
        conn = sqlite3.connect(path, isolation_level=None)
    else:
        from urllib.parse import urlsplit

        from nerv.store import postgres

        _ctx.close()
        server, live = _PG_CURRENT["server"], os.environ["NERV_DATABASE_URL"]
        copy = server.copy_database(urlsplit(live).path.lstrip("/"))
        conn = postgres.open_connection(server.url(copy))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()
    if ON_POSTGRESQL:
        os.environ["NERV_DATABASE_URL"] = server.url(copy)
        try:
            assert run_cli("db", "backup", str(path)).code == 0
        finally:
            _ctx.close()
            os.environ["NERV_DATABASE_URL"] = live
            server.drop_database(copy)
    return path


@contextlib.contextmanager
def backup_connection(path: Path):
    """A plain connection to the `nerv db backup` at `path`: on SQLite the copied file (read-only), on
    PostgreSQL a new database on the session's server restored from the dump (dropped on exit)."""
    if not ON_POSTGRESQL:
        import sqlite3

        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            yield conn
        finally:
            conn.close()
        return
    from nerv.store import postgres

    server = _PG_CURRENT["server"]
    name = server.create_database()
    try:
        postgres.restore_dump(server.url(name), path)
        conn = postgres.open_connection(server.url(name))
        try:
            yield conn
        finally:
            conn.close()
    finally:
        server.drop_database(name)


@pytest.fixture
def db_hash(nerv_home):
    return lambda: db_content_hash(nerv_home / "state.db")


@pytest.fixture
def project(cli, nerv_home):
    """A project named `demo`, made current."""

    def build():
        assert cli("project", "add", "demo", "--goal", "testing").code == 0
        assert cli("project", "use", "demo").code == 0

    from_template("project", nerv_home, build)
    return "demo"
