"""Team mode on a real server: usage from many machines counts each API call once, and the roles of
docs/team-roles.sql: a viewer reads and is refused writes, and the audit log records each writer's role."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from tests.conftest import assert_not_a_bug
from tests.sessions.conftest import copy_own
from tests.sessions.test_import_machines import ledger_figures

ROLES_SQL = Path(__file__).resolve().parents[2] / "docs" / "team-roles.sql"


def test_the_same_transcript_from_two_machines_counts_once_on_the_server(cli, pg_database, monkeypatch, tmp_path):
    from nerv.store.db import open_store

    repo = tmp_path / "repo"
    repo.mkdir()
    laptop = copy_own(tmp_path / "laptop", repo.resolve())
    runner = tmp_path / "runner" / "elsewhere"
    shutil.copytree(laptop, runner)
    added = []
    for machine, folder in (("laptop", laptop), ("ci-runner", runner), ("ci-runner", runner), ("laptop", laptop)):
        monkeypatch.setenv("NERV_MACHINE_ID", machine)
        result = cli("session", "import", folder, "--json")
        assert result.code == 0, result.stderr
        added.append(result.data["new_usage_rows"])
        store = open_store()
        try:
            figures = ledger_figures(store._conn)
            machines = {row[0] for row in store._conn.execute("SELECT machine_id FROM transcript_files")}
        finally:
            store.close()
        if machine == "laptop" and len(added) == 1:
            once = figures
        assert figures == once
    assert added[0] > 0 and added[1:] == [0, 0, 0]
    assert machines == {"laptop", "ci-runner"}  # each machine's files have read states of their own


def _as_role(monkeypatch, url: str, role: str) -> None:
    from nerv.cli import _ctx

    _ctx.close()
    user, rest = url.split("://", 1)[1].split("@", 1)
    monkeypatch.setenv("NERV_DATABASE_URL", f"postgresql://{role}@{rest}")


def _login_role(pg_server, database: str, group: str) -> str:
    name = f"{group}_{uuid.uuid4().hex[:8]}"
    import psycopg2

    conn = psycopg2.connect(pg_server.url(database))
    conn.autocommit = True
    try:
        conn.cursor().execute(ROLES_SQL.read_text())
        conn.cursor().execute(f"CREATE ROLE {name} LOGIN IN ROLE {group}")
    finally:
        conn.close()
    return name


def test_a_viewer_reads_and_is_refused_writes_and_each_write_records_its_role(cli, pg_server, pg_database,
                                                                              monkeypatch):
    assert cli("project", "add", "demo", "--goal", "team").code == 0  # migrates, as the server's superuser
    assert cli("project", "use", "demo").code == 0
    assert cli("task", "add", "first", "--json").code == 0
    database = pg_database.split("@/", 1)[1].split("?")[0]
    viewer = _login_role(pg_server, database, "nerv_viewer")
    agent = _login_role(pg_server, database, "nerv_agent")

    _as_role(monkeypatch, pg_database, viewer)
    for command in (("task", "list"), ("status",), ("audit", "list"), ("audit", "verify"), ("rule", "list")):
        result = cli(*command, "--json")
        assert result.code == 0, (command, result.stderr)
    assert [t["title"] for t in cli("task", "list", "--json").data] == ["first"]
    for command in (("task", "add", "second"), ("task", "claim", "--agent", "a1"),
                    ("rule", "add", "Bash(ls)", "--action", "allow")):
        refused = cli(*command, "--json")
        assert refused.code == 1 and refused.error["code"] == "permission", (command, refused.stdout, refused.stderr)
        assert_not_a_bug(refused)

    _as_role(monkeypatch, pg_database, agent)
    monkeypatch.setenv("NERV_ACTOR", "agent-7")
    assert cli("task", "claim", "--agent", "agent-7", "--json").code == 0
    newest = cli("audit", "list", "--limit", "1", "--json").data[0]
    assert (newest["actor"], newest["db_role"]) == ("agent-7", agent)
    assert cli("audit", "verify", "--json").data["ok"]
    _as_role(monkeypatch, pg_database, viewer)
    assert [t["title"] for t in cli("task", "list", "--json").data] == ["first"]
