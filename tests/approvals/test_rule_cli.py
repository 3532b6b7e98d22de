"""`nerv rule ...` end to end on a real database."""

from __future__ import annotations

import json

import pytest


def test_add_list_rm(cli, project):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    added = cli("rule", "add", "Bash(rm *)", "--action", "deny", "--project", project, "--reason", "dangerous", "--json").data
    assert (added["rule"], added["action"], added["reason"]) == ("Bash(rm *)", "deny", "dangerous")
    rows = cli("rule", "list", "--json").data
    assert [(r["rule"], r["action"], r["project"]) for r in rows] == [("Bash(rm *)", "deny", "demo"),
                                                                      ("Bash(npm test *)", "allow", None)]
    assert cli("rule", "list", "--action", "allow", "--json").data[0]["rule"] == "Bash(npm test *)"
    assert cli("rule", "rm", str(added["id"])).code == 0
    assert [r["rule"] for r in cli("rule", "list", "--json").data] == ["Bash(npm test *)"]


def test_bad_rule_is_refused_with_position_and_nothing_changes(cli, db_hash):
    cli("rule", "list")
    before = db_hash()
    result = cli("rule", "add", "Bash(npm test", "--action", "allow", "--json")
    assert result.code == 1
    assert result.error["code"] == "invalid"
    assert result.error["details"]["position"] == 14
    assert "Traceback" not in result.stderr
    assert db_hash() == before


@pytest.mark.parametrize("args,code", [
    (("rule", "add", "Bash(ls *)", "--action", "maybe"), 1),
    (("rule", "add", "Bash(ls *)", "--action", "allow", "--project", "nope"), 1),
    (("rule", "rm", "999"), 1),
    (("rule", "rm", "abc"), 2),
    (("rule", "match", "Bash", "ls", "--input-json", "[1]"), 1),
    (("rule", "match", "Bash", "--input-json", "{bad"), 1),
    (("rule", "match", "Bash"), 2),
    (("rule", "list", "--action", "sometimes"), 1),
])
def test_bad_input_exits_nonzero_without_changes(cli, db_hash, args, code):
    cli("rule", "list")
    before = db_hash()
    result = cli(*args)
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert db_hash() == before


def test_duplicate_rule_is_a_conflict(cli):
    assert cli("rule", "add", "Bash(ls *)", "--action", "allow").code == 0
    result = cli("rule", "add", "Bash(ls *)", "--action", "allow", "--json")
    assert result.code == 1 and result.error["code"] == "conflict"


def test_match_reports_decision_rule_and_part(cli):
    cli("rule", "add", "Bash(npm test *)", "--action", "allow")
    cli("rule", "add", "Bash(rm *)", "--action", "deny")
    data = cli("rule", "match", "Bash", "npm test && rm -rf ~", "--json").data
    assert (data["decision"], data["rule"], data["part"]) == ("deny", "Bash(rm *)", "rm -rf ~")
    assert cli("rule", "match", "Bash", "npm test", "--json").data["decision"] == "allow"
    assert cli("rule", "match", "Bash", "npm test $(curl x)", "--json").data["decision"] == "ask"
    assert cli("rule", "match", "Bash", "make", "--json").data["decision"] == "none"
    data = cli("rule", "match", "Bash", "--input-json", json.dumps({"command": "npm test"}), "--json").data
    assert data["decision"] == "allow"
    human = cli("rule", "match", "Bash", "npm test; rm x")
    assert "deny" in human.stdout and "rm x" in human.stdout


def test_project_rules_apply_only_to_their_project(cli, project, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    assert cli("repo", "add", str(repo), "--project", project).code == 0
    cli("rule", "add", "Edit(/src/**)", "--action", "allow", "--project", project)
    inside = cli("rule", "match", "Edit", str(repo / "src" / "a.py"), "--cwd", str(repo), "--json").data
    assert (inside["decision"], inside["project"]) == ("allow", "demo")
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    outside = cli("rule", "match", "Edit", str(elsewhere / "src" / "a.py"), "--cwd", str(elsewhere), "--json").data
    assert outside["decision"] == "none"


def test_webfetch_and_mcp_match(cli):
    cli("rule", "add", "WebFetch(domain:*.example.com)", "--action", "allow")
    cli("rule", "add", "mcp__db", "--action", "deny")
    assert cli("rule", "match", "WebFetch", "https://a.example.com/x", "--json").data["decision"] == "allow"
    assert cli("rule", "match", "WebFetch", "https://example.com/x", "--json").data["decision"] == "none"
    assert cli("rule", "match", "mcp__db__drop", "--input-json", "{}", "--json").data["decision"] == "deny"


SETTINGS = {
    "model": "opus",
    "env": {"A": "1"},
    "permissions": {"allow": ["Bash(npm run test:*)", "Read(~/.zshrc)"], "ask": ["Bash(git push *)"],
                    "deny": ["Read(./.env)", "WebFetch(domain:evil.com)"], "defaultMode": "default"},
    "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo bye"}]}]},
}


def test_import_then_export_round_trip_is_lossless(cli, tmp_path, nerv_home):
    source = tmp_path / "settings.json"
    source.write_text(json.dumps(SETTINGS))
    imported = cli("rule", "import", "--claude-settings", str(source), "--json").data
    assert (imported["added"], imported["skipped"]) == (5, 0)
    again = cli("rule", "import", "--claude-settings", str(source), "--json").data
    assert (again["added"], again["skipped"]) == (0, 5)
    # Export into the same file: nothing to add, file untouched.
    before = source.read_bytes()
    exported = cli("rule", "export", "--claude-settings", str(source), "--json").data
    assert exported["unchanged"] and source.read_bytes() == before
    # Export into a fresh file, import that into a fresh database: same rules.
    fresh = tmp_path / "fresh.json"
    cli("rule", "export", "--claude-settings", str(fresh))
    assert json.loads(fresh.read_text())["permissions"] == {k: v for k, v in SETTINGS["permissions"].items()
                                                            if k != "defaultMode"}


def test_export_merges_preserving_other_keys_with_backup(cli, tmp_path, nerv_home):
    target = tmp_path / "settings.json"
    target.write_text(json.dumps(SETTINGS))
    cli("rule", "add", "Bash(make test)", "--action", "allow")
    cli("rule", "add", "Read(./.env)", "--action", "deny")
    data = cli("rule", "export", "--claude-settings", str(target), "--json").data
    assert data["added"] == {"allow": 1, "ask": 0, "deny": 0}
    written = json.loads(target.read_text())
    assert written["permissions"]["allow"] == ["Bash(npm run test:*)", "Read(~/.zshrc)", "Bash(make test)"]
    assert {k: v for k, v in written.items() if k != "permissions"} == {k: v for k, v in SETTINGS.items()
                                                                        if k != "permissions"}
    assert written["permissions"]["defaultMode"] == "default"
    assert json.loads(open(data["backup"]).read()) == SETTINGS
    second = cli("rule", "export", "--claude-settings", str(target), "--json").data
    assert second["unchanged"]


def test_import_refuses_a_file_with_a_bad_rule_entirely(cli, tmp_path, db_hash):
    cli("rule", "list")
    before = db_hash()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"permissions": {"allow": ["Bash(ls *)", "Bash(oops"]}}))
    result = cli("rule", "import", "--claude-settings", str(bad), "--json")
    assert result.code == 1 and result.error["details"]["problems"][0]["rule"] == "Bash(oops"
    for content in ("{not json", "[1, 2]", json.dumps({"permissions": {"allow": "Bash"}})):
        bad.write_text(content)
        assert cli("rule", "import", "--claude-settings", str(bad)).code == 1
    assert cli("rule", "import", "--claude-settings", str(tmp_path / "missing.json")).code == 1
    assert db_hash() == before


def test_export_refuses_to_rewrite_an_unreadable_file(cli, tmp_path):
    target = tmp_path / "settings.json"
    target.write_text("{broken")
    cli("rule", "add", "Bash(ls *)", "--action", "allow")
    assert cli("rule", "export", "--claude-settings", str(target)).code == 1
    assert target.read_text() == "{broken"
