"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder, unix socket only.

No TCP port is opened (`listen_addresses=''`), so parallel runs on one machine cannot collide. As root
the server runs as the `postgres` user (PostgreSQL refuses root) through `runuser`, in a folder it owns.
`why_unavailable()` says why no server can be started here (no PostgreSQL, no driver), for a clean skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

SERVER_USER = "postgres"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def why_unavailable() -> str | None:
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "the PostgreSQL driver is not installed (pip install 'nerv[postgres]')"
    for name in ("initdb", "pg_ctl"):
        if _binary(name) is None:
            return f"PostgreSQL is not installed here ({name} is not on PATH nor in /usr/lib/postgresql)"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _user_missing(SERVER_USER)):
        return f"running as root and there is no `{SERVER_USER}` user to run the server as"
    return None


def _user_missing(user: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(user)
        return False
    except KeyError:
        return True


class Server:
    """One running server; `url(db)` names a database on it, `admin()` a connection to `postgres`."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="nervpg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.log = self.root / "server.log"
        self._as_root = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", SERVER_USER, "--", *argv] if self._as_root else list(argv)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr.strip()[-2000:]}\n{log}")

    def start(self) -> "Server":
        try:
            return self._start()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)  # a server that never started leaves no folder
            raise

    def _start(self) -> "Server":
        if self._as_root:
            shutil.chown(self.root, SERVER_USER, SERVER_USER)
        os.chmod(self.root, 0o700)
        self._run(_binary("initdb"), "-D", str(self.data), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        # Durability settings off: a test's server never outlives the run.
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        if self._as_root:
            os.chmod(self.root, 0o755)  # the tests (root) reach the socket; the data folder stays 0700
        return self

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVER_USER}@/{database}?host={self.socket_dir}"

    def admin(self):
        import psycopg2

        conn = psycopg2.connect(self.url())
        conn.autocommit = True
        return conn

    def create_database(self, template: str | None = None) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        conn = self.admin()
        try:
            copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""  # FILE_COPY: ~0.2 s, WAL_LOG ~0.4 s
            conn.cursor().execute(f"CREATE DATABASE {name}{copy}")
        finally:
            conn.close()
        return name

    def drop_database(self, name: str) -> None:
        conn = self.admin()
        try:
            conn.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            conn.close()

    def fingerprint(self, database: str) -> str:
        """A digest of `database`'s rows, sequences and schema objects: equal digests mean a test left it as
        it found it, so the next test may have it instead of a new copy (nerv's own connections closed)."""
        import psycopg2

        conn = psycopg2.connect(self.url(database))
        conn.autocommit = True
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY 1")
            rows = [f"""(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM "{name}" t)"""
                    for (name,) in cursor.fetchall()]
            catalog = ("(SELECT string_agg(sequencename || ':' || coalesce(last_value, 0), ',' ORDER BY sequencename)"
                       " FROM pg_sequences)",
                       "(SELECT string_agg(c.relname || CAST(c.relkind AS text), ',' ORDER BY c.relname) FROM pg_class c"
                       " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')",
                       "(SELECT count(*) FROM pg_trigger)::text", "(SELECT count(*) FROM pg_proc)::text",
                       "(SELECT count(*) FROM pg_db_role_setting)::text")
            cursor.execute("SELECT concat_ws('|', " + ", ".join([*rows, *catalog]) + ")")
            return cursor.fetchone()[0]
        finally:
            conn.close()

    def copy_database(self, source: str) -> str:
        """A new database with `source`'s content (no session may be connected to `source`)."""
        return self.create_database(template=source)
