"""The scope convention (docs/cli.md, "`--project` and scope"): inside a project's repo `rule add`, `rule
import`, `budget set|rm` and `cost` act on that project, `--global` keeps the global scope, and the output
says which scope was used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_not_a_bug


@pytest.fixture
def in_repo(cli, nerv_home):
    """The working directory is the registered repo of project `shop`; project `other` exists too."""
    assert cli("project", "add", "shop", "--path", str(Path.cwd())).code == 0
    assert cli("project", "add", "other").code == 0
    return "shop"


def test_rule_add_in_a_repo_is_the_projects_and_global_keeps_the_old_scope(cli, in_repo):
    scoped = cli("rule", "add", "Bash(npm test *)", "--action", "allow", "--json").data
    assert (scoped["scope"], scoped["scope_project"]) == ("project", "shop") and scoped["project_id"]
    everywhere = cli("rule", "add", "Bash(ls *)", "--action", "allow", "--global", "--json").data
    assert (everywhere["scope"], everywhere["scope_project"], everywhere["project_id"]) == ("global", None, None)
    assert cli("rule", "add", "Bash(cat *)", "--action", "ask").stdout.strip().endswith("(project shop)")
    assert cli("rule", "add", "Bash(pwd)", "--action", "ask", "--global").stdout.strip().endswith("(global)")
    named = cli("rule", "add", "Bash(make *)", "--action", "ask", "--project", "other", "--json").data
    assert named["scope_project"] == "other"
    rows = {r["rule"]: r["project"] for r in cli("rule", "list", "--json").data}
    assert rows == {"Bash(npm test *)": "shop", "Bash(ls *)": None, "Bash(cat *)": "shop", "Bash(pwd)": None,
                    "Bash(make *)": "other"}


def test_outside_any_project_the_scope_is_global_and_says_so(cli, nerv_home):
    data = cli("rule", "add", "Bash(ls *)", "--action", "allow", "--json").data
    assert (data["scope"], data["project_id"]) == ("global", None)
    assert cli("budget", "set", "--daily", "5").stdout.strip() == "daily $5 set (global)"
    assert cli("cost", "--json").data["scope"] == "global"


def test_rule_import_follows_the_same_scope(cli, in_repo, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(ls *)"]}}))
    data = cli("rule", "import", "--claude-settings", str(settings), "--json").data
    assert (data["added"], data["scope"], data["scope_project"]) == (1, "project", "shop")
    again = cli("rule", "import", "--claude-settings", str(settings), "--global", "--json").data
    assert (again["added"], again["scope"]) == (1, "global")


def test_budget_set_and_rm_in_a_repo(cli, in_repo):
    rows = cli("budget", "set", "--daily", "5", "--monthly", "50", "--json").data
    assert {(r["period"], r["scope"], r["scope_project"]) for r in rows} == {("daily", "project", "shop"),
                                                                             ("monthly", "project", "shop")}
    assert cli("budget", "set", "--daily", "20", "--global").stdout.strip() == "daily $20 set (global)"
    status = {(s["project"], s["period"]) for s in cli("budget", "status", "--json").data}
    assert status == {("shop", "daily"), ("shop", "monthly"), ("(all projects)", "daily")}
    assert cli("budget", "rm", "daily").stdout.strip() == "daily budget removed (project shop)"
    assert cli("budget", "rm", "daily", "--global", "--json").data["scope"] == "global"
    assert cli("budget", "rm", "daily", "--json").error["code"] == "not_found"


def test_cost_in_a_repo_counts_the_projects_usage_and_global_counts_all(cli, in_repo):
    scoped = cli("cost", "--json").data
    assert (scoped["scope"], scoped["scope_project"], scoped["project"]) == ("project", "shop", "shop")
    assert cli("cost", "--global", "--json").data["scope"] == "global"
    assert "total (project shop)" in cli("cost").stdout


@pytest.mark.parametrize("argv", [("rule", "add", "Bash(ls)", "--action", "allow"), ("budget", "set", "--daily", "1"),
                                  ("budget", "rm", "daily"), ("cost",)])
def test_project_and_global_together_is_a_usage_error_and_changes_nothing(cli, in_repo, db_hash, argv):
    before = db_hash()
    result = cli(*argv, "--project", "other", "--global", "--json")
    assert_not_a_bug(result)
    assert (result.code, result.error["code"]) == (2, "usage")
    assert db_hash() == before


def test_a_nerv_project_naming_no_project_is_an_error_not_global(cli, in_repo, monkeypatch):
    monkeypatch.setenv("NERV_PROJECT", "no-such-project")
    result = cli("rule", "add", "Bash(ls)", "--action", "allow", "--json")
    assert (result.code, result.error["code"]) == (1, "not_found")


def test_settings_set_and_unset_say_which_scope_they_wrote(cli, in_repo):
    assert cli("settings", "set", "hook.mode", "queue").stdout.strip() == 'hook.mode = "queue" (global)'
    scoped = cli("settings", "set", "hook.mode", "strict", "--project", "shop", "--json").data
    assert (scoped["scope"], scoped["scope_project"], scoped["value"]) == ("project", "shop", "strict")
    assert cli("settings", "get", "hook.mode", "--project", "shop", "--json").data["value"] == "strict"
    assert cli("settings", "unset", "hook.mode", "--project", "shop").stdout.strip() == "hook.mode unset (project shop)"
    glob = cli("settings", "unset", "hook.mode", "--json").data
    assert (glob["scope"], glob["scope_project"]) == ("global", None)


def test_settings_set_for_an_unknown_project_changes_nothing(cli, in_repo, db_hash):
    before = db_hash()
    result = cli("settings", "set", "hook.mode", "queue", "--project", "nope", "--json")
    assert_not_a_bug(result)
    assert (result.code, result.error["code"]) == (1, "not_found")
    assert db_hash() == before
