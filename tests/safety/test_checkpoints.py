"""`nerv checkpoint create|list|show|diff|restore`: a project's state snapshotted, compared and brought back."""

from __future__ import annotations

import subprocess

import pytest

from nerv.store.clock import new_id
from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, raw_connection
from tests.safety.seed import seed_state

KINDS_SQL = {
    "tasks": "SELECT * FROM tasks WHERE project_id = :p ORDER BY id",
    "deps": "SELECT * FROM task_deps WHERE task_id IN (SELECT id FROM tasks WHERE project_id = :p) ORDER BY 1, 2",
    "cycles": "SELECT * FROM cycles WHERE project_id = :p ORDER BY id",
    "decisions": "SELECT * FROM decisions WHERE project_id = :p ORDER BY id",
    "settings": "SELECT key, value FROM settings WHERE project_id = :p ORDER BY key",
}


def _state(home, pid):
    conn = raw_connection(home)
    try:
        return {k: conn.execute(sql, {"p": pid}).fetchall() for k, sql in KINDS_SQL.items()}
    finally:
        conn.close()


def _sql(home, *statements):
    conn = raw_connection(home)
    if not ON_POSTGRESQL:
        conn.execute("PRAGMA foreign_keys = ON")  # the server always enforces them
    for sql, params in statements:
        conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.fixture
def project_with_repos(cli, nerv_home, tmp_path):
    ids = seed_state(projects=1, tasks=4)
    pid = ids["projects"][0]
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["commit", "-q", "--allow-empty", "-m", "first"], check=True)
    plain = tmp_path / "plain"
    plain.mkdir()
    _sql(nerv_home, *[("INSERT INTO project_repos (id, project_id, name, path, created_at) VALUES (?, ?, ?, ?, 'x')",
                       (new_id(), pid, name, str(path))) for name, path in (("code", repo), ("notes", plain))])
    return pid, ids["tasks"], repo


def test_create_list_show(cli, project_with_repos):
    created = cli("checkpoint", "create", "--project", "proj0", "base", "--reason", "before refactor", "--json")
    assert created.code == 0, created.stderr
    data = created.data
    assert data["number"] == 1 and data["counts"]["tasks"] == 4 and data["counts"]["task_deps"] == 3
    heads = {r["name"]: r["head"] for r in data["repos"]}
    assert len(heads["code"]) == 40 and heads["notes"] is None
    listed = cli("checkpoint", "list", "--project", "proj0", "--json").data
    assert [c["name"] for c in listed] == ["base"]
    shown = cli("checkpoint", "show", "base", "--project", "proj0", "--json").data
    assert [t["number"] for t in shown["tasks"]] == [1, 2, 3, 4]
    assert cli("checkpoint", "show", "1", "--project", "proj0").code == 0


def test_diff_and_restore_bring_the_project_back(cli, nerv_home, project_with_repos, db_hash):
    pid, tasks, repo = project_with_repos
    original = _state(nerv_home, pid)
    assert cli("checkpoint", "create", "--project", "proj0", "base").code == 0
    _sql(nerv_home,
         ("UPDATE tasks SET title = 'renamed', status = 'done' WHERE number = 1 AND project_id = ?", (pid,)),
         ("DELETE FROM tasks WHERE number = 4 AND project_id = ?", (pid,)),
         ("INSERT INTO tasks (id, project_id, number, title, created_at, updated_at) VALUES (?, ?, 9, 'new', 'x', 'x')",
          (new_id(), pid)),
         ("UPDATE settings SET value = '\"changed\"' WHERE project_id = ?", (pid,)),
         ("UPDATE cycles SET goal = 'other goal' WHERE project_id = ?", (pid,)))
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q",
                    "--allow-empty", "-m", "second"], check=True)
    diff = cli("checkpoint", "diff", "base", "--project", "proj0", "--json").data["changes"]
    assert [c["label"] for c in diff["tasks"]["added"]] == ["#9 new"]
    assert [c["label"] for c in diff["tasks"]["removed"]] == ["#4 task 3"]
    assert set(diff["tasks"]["changed"][0]["fields"]) == {"title", "status"}
    assert len(diff["task_deps"]["removed"]) == 1 and len(diff["settings"]["changed"]) == 1
    assert len(diff["cycles"]["changed"]) == 1 and "code" in diff["repos"]
    human = cli("checkpoint", "diff", "base", "--project", "proj0")
    assert human.code == 0 and "renamed" in human.stdout

    before = db_hash()
    assert cli("checkpoint", "restore", "base", "--project", "proj0").code == 2
    assert db_hash() == before
    result = cli("checkpoint", "restore", "base", "--project", "proj0", "--yes", "--json")
    assert result.code == 0, result.stderr
    assert result.data["changes"]["tasks"] == {"added": 1, "removed": 1, "changed": 1}
    assert _state(nerv_home, pid) == original
    assert cli("checkpoint", "diff", "base", "--project", "proj0", "--json").data["total"] == 0
    # The safety checkpoint holds the state that was replaced, so the restore itself can be undone.
    safety = cli("checkpoint", "list", "--project", "proj0", "--json").data[0]
    assert safety["kind"] == "safety" and safety["counts"]["tasks"] == 4
    back = cli("checkpoint", "diff", "base", str(safety["number"]), "--project", "proj0", "--json").data
    assert back["total"] == 7  # 3 tasks, 1 dep, 1 setting, 1 cycle, and the decision whose task was deleted
    assert cli("audit", "verify", "--json").data["ok"]
    actions = {r["action"] for r in cli("audit", "list", "--limit", "20", "--json").data}
    assert {"checkpoint.restore", "checkpoint.restore.add", "checkpoint.restore.remove",
            "checkpoint.restore.change", "checkpoint.create"} <= actions


def test_bad_references(cli, nerv_home, project_with_repos, db_hash):
    cli("checkpoint", "create", "--project", "proj0")
    before = db_hash()
    for args in (("show", "42"), ("show", "nope"), ("diff", "1", "77"), ("restore", "9", "--yes"),
                 ("create", "--project", "no-such-project"), ("create", "--project", "proj0", "bad\nname")):
        result = cli("checkpoint", *args, "--project", "proj0") if "--project" not in args else cli("checkpoint", *args)
        assert result.code != 0, args
        assert_not_a_bug(result)
    assert db_hash() == before
