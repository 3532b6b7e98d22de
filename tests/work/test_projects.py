"""Projects and repos (written by the foundation): add/list/show/use/rm, repos, current-project resolution order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_not_a_bug


def test_project_add_list_show_use(cli, tmp_path):
    folder = tmp_path / "code"
    folder.mkdir()
    created = cli("project", "add", "alpha", "--goal", "ship it", "--path", str(folder), "--json").data
    assert created["name"] == "alpha" and created["goal"] == "ship it"
    assert cli("project", "add", "beta").code == 0
    duplicate = cli("project", "add", "alpha", "--json")
    assert duplicate.code == 1 and duplicate.error["code"] == "conflict"
    assert [p["name"] for p in cli("project", "list", "--json").data] == ["alpha", "beta"]
    cli("project", "use", "beta")
    listed = {p["name"]: p for p in cli("project", "list", "--json").data}
    assert listed["beta"]["current"] and not listed["alpha"]["current"]
    shown = cli("project", "show", "alpha", "--json").data
    assert [r["path"] for r in shown["repos"]] == [str(folder.resolve())]
    assert cli("project", "show", created["id"][:8], "--json").data["name"] == "alpha"


def test_project_rm_explains_first_then_deletes_tasks(cli, db_hash):
    cli("project", "add", "doomed")
    cli("task", "add", "t", "--project", "doomed")
    before = db_hash()
    refused = cli("project", "rm", "doomed", "--json")
    assert refused.code == 1 and "1 tasks" in refused.error["message"] and "--yes" in refused.error["hint"]
    assert db_hash() == before
    removed = cli("project", "rm", "doomed", "--yes", "--json").data
    assert removed["deleted"]["tasks"] == 1
    assert cli("project", "list", "--json").data == []


def test_repo_paths_are_stored_absolute_and_resolved(cli, tmp_path, monkeypatch):
    cli("project", "add", "p")
    target = tmp_path / "repo"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    monkeypatch.chdir(tmp_path)
    added = cli("repo", "add", "link/../repo", "--project", "p", "--name", "main", "--json").data
    assert added["path"] == str(target.resolve())
    again = cli("repo", "add", str(tmp_path / "link"), "--project", "p", "--name", "other", "--json")
    assert again.code == 1 and "already registered" in again.error["message"]
    assert [r["name"] for r in cli("repo", "list", "--json").data] == ["main"]
    missing = cli("repo", "add", str(tmp_path / "nowhere"), "--project", "p", "--json")
    assert missing.code == 1 and "not a directory" in missing.error["message"]
    assert cli("repo", "rm", "main").code == 0
    assert cli("repo", "list", "--json").data == []


@pytest.fixture
def three_projects(cli, tmp_path):
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    for name in ("chosen", "outer", "inner", "env", "flag"):
        cli("project", "add", name)
    cli("repo", "add", str(outer), "--project", "outer")
    cli("repo", "add", str(inner), "--project", "inner")
    cli("project", "use", "chosen")
    return outer, inner


def _current(cli) -> str:
    result = cli("task", "list", "--json")
    assert result.code == 0, result.stderr
    result = cli("project", "show", "--json")
    return result.data["name"]


def test_current_project_resolution_order(cli, three_projects, monkeypatch, tmp_path):
    outer, inner = three_projects
    assert _current(cli) == "chosen"  # outside any repo: `project use`
    monkeypatch.chdir(outer)
    assert _current(cli) == "outer"
    deeper = inner / "src"
    deeper.mkdir()
    monkeypatch.chdir(deeper)
    assert _current(cli) == "inner"  # deepest repo wins
    monkeypatch.setenv("NERV_PROJECT", "env")
    assert _current(cli) == "env"  # NERV_PROJECT beats the repo
    assert cli("project", "show", "flag", "--json").data["name"] == "flag"  # explicit beats everything
    assert cli("task", "add", "x", "--project", "flag", "--json").data["project_id"] == \
        cli("project", "show", "flag", "--json").data["id"]


def test_no_current_project_error_says_how_to_pick_one(cli, db_hash):
    cli("project", "add", "unused")
    before = db_hash()
    result = cli("project", "show", "--json")
    assert result.code == 1 and result.error["message"] == "no current project"
    for way in ("--project", "NERV_PROJECT", "nerv repo add", "nerv project use"):
        assert way in result.error["hint"]
    assert db_hash() == before


def test_removing_the_chosen_project_forgets_the_choice(cli):
    cli("project", "add", "a")
    cli("project", "use", "a")
    cli("project", "rm", "a", "--yes")
    assert cli("project", "show", "--json").error["message"] == "no current project"


@pytest.mark.parametrize("name", ["", " ", "x" * 201, "tab\tname", "nul\x00"])
def test_bad_project_names_are_refused(cli, db_hash, name):
    assert cli("status").code == 0
    before = db_hash()
    result = cli("project", "add", name, "--json")
    assert result.code == 1 and result.error["code"] == "invalid"
    assert db_hash() == before


def test_unknown_project_and_repo_references(cli, db_hash):
    cli("project", "add", "real")
    before = db_hash()
    assert cli("project", "use", "ghost", "--json").error["code"] == "not_found"
    assert cli("repo", "rm", "ghost", "--json").error["code"] == "not_found"
    assert cli("project", "rm", "ghost", "--yes", "--json").error["code"] == "not_found"
    assert db_hash() == before
    assert Path.cwd().name == "cwd"


def test_a_path_under_an_unknown_users_home_is_bad_input(cli, project, db_hash):
    before = db_hash()
    for args in (("repo", "add", "~no-such-user-0/repo"), ("db", "backup", "~no-such-user-0/b.db"),
                 ("decision", "import", "--dir", "~no-such-user-0/adr"), ("rule", "import", "--claude-settings", "~no-such-user-0/s.json")):
        result = cli("--json", *args)
        assert result.code == 1 and result.error["code"] == "invalid", (args, result.stderr)
        assert_not_a_bug(result)
    assert db_hash() == before
