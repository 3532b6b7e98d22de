"""`nerv rule ...` end to end on a real database."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_not_a_bug


def test_add_list_rm(cli, project):
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow", "--global").code == 0
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
    assert_not_a_bug(result)
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
    assert_not_a_bug(result)
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


def test_import_keeps_what_parses_and_lists_each_refused_rule(cli, tmp_path):
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps({"permissions": {"allow": ["Bash(ls *)", "Bash(oops"], "deny": ["Read(./.env"]}}))
    data = cli("rule", "import", "--claude-settings", str(mixed), "--json").data
    assert (data["added"], [r["rule"] for r in data["rules"]]) == (1, ["Bash(ls *)"])
    assert data["refused"] == [
        {"action": "allow", "entry": "permissions.allow[1]", "rule": "Bash(oops", "position": 10,
         "problem": "missing closing parenthesis"},
        {"action": "deny", "entry": "permissions.deny[0]", "rule": "Read(./.env", "position": 12,
         "problem": "missing closing parenthesis"}]
    plain = cli("rule", "import", "--claude-settings", str(mixed))
    assert plain.code == 0
    refused = [line for line in plain.stdout.splitlines() if line.startswith("refused ")]
    assert len(refused) == 2 and "Bash(oops" in refused[0] and "Read(./.env" in refused[1]
    assert "0 rule(s) imported, 1 already present, 2 refused" in plain.stdout


def test_import_refuses_an_unreadable_file_and_changes_nothing(cli, tmp_path, db_hash):
    cli("rule", "list")
    before = db_hash()
    bad = tmp_path / "bad.json"
    for content in ("{not json", "[1, 2]", json.dumps({"permissions": {"allow": "Bash"}}),
                    json.dumps({"permissions": {"allow": ["Bash", 3]}})):
        bad.write_text(content)
        result = cli("rule", "import", "--claude-settings", str(bad), "--json")
        assert result.code == 1 and result.error["code"] == "invalid", content
    result = cli("rule", "import", "--claude-settings", str(tmp_path / "missing.json"), "--json")
    assert result.code == 1 and result.error["code"] == "io"
    assert db_hash() == before


def test_import_warns_like_add(cli, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"permissions": {"allow": ["bash(ls)", "Bash(rm *)"], "deny": ["Bash(rm *)"]}}))
    data = cli("rule", "import", "--claude-settings", str(settings), "--json").data
    assert [(w["action"], w["rule"]) for w in data["warnings"]] == [("allow", "bash(ls)"), ("deny", "Bash(rm *)")]
    assert "case-sensitive" in data["warnings"][0]["warning"]
    cli("rule", "rm", "3")
    plain = cli("rule", "import", "--claude-settings", str(settings))
    assert plain.code == 0 and "warning: deny Bash(rm *): allow rule #2" in plain.stderr


def test_export_refuses_to_rewrite_an_unreadable_file(cli, tmp_path):
    target = tmp_path / "settings.json"
    target.write_text("{broken")
    cli("rule", "add", "Bash(ls *)", "--action", "allow")
    assert cli("rule", "export", "--claude-settings", str(target)).code == 1
    assert target.read_text() == "{broken"


# ---- warnings: stored anyway, said in JSON and on stderr, exit code unchanged ------------------------

@pytest.mark.parametrize("rule,action,expected", [
    ("bash(ls)", "allow", "tool names are case-sensitive; did you mean Bash?"),
    ("webfetch(domain:x.com)", "deny", "did you mean WebFetch?"),
    ("Bsh(ls)", "allow", "Bsh is not one of Claude Code's tools"),
    ("Write(src/**)", "allow", "never consults Write(...) path rules; write Edit(src/**) instead"),
    ("MultiEdit(src/**)", "deny", "write Edit(src/**) instead"),
    ("NotebookEdit(*.ipynb)", "allow", "write Edit(*.ipynb) instead"),
    ("Glob(src/**)", "deny", "write Read(src/**) instead"),
    ("WebSearch(cats)", "allow", "WebSearch takes no specifier"),
    ("mcp__*", "allow", "skips unanchored allow globs"),
])
def test_add_warns_about_rules_that_do_not_do_what_they_say(cli, rule, action, expected):
    data = cli("rule", "add", rule, "--action", action, "--json").data
    assert len(data["warnings"]) == 1 and expected in data["warnings"][0], data["warnings"]
    cli("rule", "rm", str(data["id"]))
    plain = cli("rule", "add", rule, "--action", action)
    assert plain.code == 0 and "warning: " in plain.stderr and expected in plain.stderr
    assert [r["rule"] for r in cli("rule", "list", "--json").data] == [rule]


@pytest.mark.parametrize("rule,action", [
    ("Bash(npm test *)", "allow"), ("Write", "deny"), ("Write(*)", "deny"), ("WebSearch", "allow"),
    ("mcp__*", "deny"), ("mcp__github__*", "allow"), ("Task(Explore)", "deny"), ("Agent(Plan)", "allow"),
    ("PowerShell(Get-ChildItem *)", "allow"), ("Monitor", "ask"), ("Edit(src/**)", "allow"),
])
def test_sound_rules_have_no_warnings(cli, rule, action):
    result = cli("rule", "add", rule, "--action", action, "--json")
    assert result.code == 0 and result.data["warnings"] == []
    assert cli("rule", "rm", str(result.data["id"])).code == 0
    assert cli("rule", "add", rule, "--action", action).stderr == ""


def test_add_warns_when_allow_and_deny_of_one_pattern_coexist(cli, project):
    first = cli("rule", "add", "Bash(rm:*)", "--action", "allow", "--global", "--json").data
    assert first["warnings"] == [] and first["scope"] == "global"
    data = cli("rule", "add", "Bash(rm *)", "--action", "deny", "--project", project, "--json").data
    assert data["warnings"] == [f"allow rule #{first['id']} Bash(rm:*) has the same pattern: deny rules are "
                                "evaluated before allow rules, so the allow rule never decides"]
    other = cli("rule", "add", "Bash(rm -rf *)", "--action", "ask", "--global", "--json").data
    assert other["warnings"] == []
    cli("project", "add", "elsewhere")
    apart = cli("rule", "add", "Bash(rm *)", "--action", "ask", "--project", "elsewhere", "--json").data
    assert len(apart["warnings"]) == 1 and "allow rule" in apart["warnings"][0]  # the global one, not demo's deny


# ---- rule match for scripts --------------------------------------------------------------------------

def test_match_exit_code_gates_on_allow_and_still_prints(cli, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"permissions": {"ask": ["Bash(git push *)"]}}))
    cli("rule", "import", "--claude-settings", str(settings))
    cli("rule", "add", "Bash(npm test *)", "--action", "allow")
    cli("rule", "add", "Bash(rm *)", "--action", "deny")
    for command, decision, code in (("npm test", "allow", 0), ("rm -rf x", "deny", 1), ("git push origin", "ask", 1),
                                    ("make", "none", 1)):
        result = cli("rule", "match", "Bash", command, "--exit-code", "--json")
        assert (result.code, result.data["decision"]) == (code, decision), command
        assert cli("rule", "match", "Bash", command, "--json").code == 0  # without --exit-code: an answer, not a gate
    asked = cli("rule", "match", "Bash", "git push origin", "--json").data
    assert asked["source"] == f"claude-settings:{settings.resolve()}"
    assert cli("rule", "match", "Bash", "make", "--json").data["source"] is None


def test_match_shows_the_source_of_the_deciding_rule(cli, capsys):
    from tests.approvals.test_approval_cli import pre_tool_use

    cli("rule", "add", "Bash(npm test *)", "--action", "allow")
    pre_tool_use(capsys, "npm run build")
    assert cli("approval", "approve", "1", "--remember").code == 0
    data = cli("rule", "match", "Bash", "npm run build --prod", "--json").data
    assert (data["decision"], data["source"]) == ("allow", "approval:#1")
    both = cli("rule", "match", "Bash", "npm test && npm run build", "--json").data
    assert [(p["rule"], p["source"]) for p in both["parts"]] == [("Bash(npm test *)", "cli"),
                                                                 ("Bash(npm run build *)", "approval:#1")]
    plain = cli("rule", "match", "Bash", "npm run build")
    assert "approval:#1" in plain.stdout
    assert "cli" in cli("rule", "match", "Bash", "npm test && npm run build").stdout


def test_list_shows_sources_and_fits_80_columns(cli, tmp_path, monkeypatch):
    settings = tmp_path / "user-home" / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"permissions": {"deny": ["Read(./.env)"]}}))
    cli("rule", "import", "--claude-settings", str(settings))
    cli("rule", "add", "Bash(npm test *)", "--action", "allow")
    monkeypatch.setenv("COLUMNS", "80")
    from nerv.cli import _output

    monkeypatch.setattr(_output, "_console", None)
    text = cli("rule", "list").stdout
    assert "claude-settings:~/.claude/settings.json" in text and "cli" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "reason" not in text and "project" not in text  # no row uses them
    rows = cli("rule", "list", "--json").data
    assert rows[0]["source"] == f"claude-settings:{settings.resolve()}"


def test_match_exit_code_as_a_separate_process(proc):
    assert proc("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    allowed = proc("rule", "match", "Bash", "npm test -x", "--exit-code", "--json")
    assert allowed.code == 0 and json.loads(allowed.stdout)["data"]["source"] == "cli" and allowed.stderr == ""
    refused = proc("rule", "match", "Bash", "npm test; curl x", "--exit-code")
    assert refused.code == 1 and "none" in refused.stdout and refused.stderr == ""
