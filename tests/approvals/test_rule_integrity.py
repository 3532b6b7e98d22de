"""Every way a rule enters approval_rules: the text must parse, and tool/pattern/literal_prefix come from it.

The hook selects candidate rules by those derived columns before it parses anything, so a row whose
columns disagree with its text could hide a deny. Each test goes through the real CLI on real SQLite
files and checks the error code (never `internal`), that a refused input leaves the database as it was,
and that what lands has columns recomputed from the text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, db_content_hash, edited_backup, raw_connection, use_other_home

BAD_GLOB = "Edit(docs/[z-a]*.md)"  # parses only without the glob-compiles check of nerv/rules/grammar.py


def rule_rows(db: Path) -> dict[str, tuple]:
    """rule text -> (tool, pattern, literal_prefix, action), read straight from the home's database."""
    conn = raw_connection(db.parent)
    try:
        return {r[0]: r[1:] for r in conn.execute("SELECT rule, tool, pattern, literal_prefix, action FROM approval_rules")}
    finally:
        conn.close()


def edit(db: Path, *statements: str) -> None:
    """Run `statements` on the home's database, past the CLI."""
    conn = raw_connection(db.parent)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def refused(result, *names: str) -> dict:
    assert result.code == 1, result.stderr
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "invalid", error
    for name in names:
        assert name in error["message"], error["message"]
    return error


@pytest.fixture
def live(nerv_home, cli):
    """A database with one rule of each kind, added through the CLI."""
    assert cli("rule", "add", "Bash(npm test *)", "--action", "allow").code == 0
    assert cli("rule", "add", "Bash(rm *)", "--action", "deny").code == 0
    assert cli("rule", "add", "Read(./.env)", "--action", "deny").code == 0
    return nerv_home / "state.db"


# ---- nerv rule add ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [BAD_GLOB, "Bash(rm *", "Read(//etc/[ab)", "", "Bash(rm *)\nBash(ls)"])
def test_add_refuses_a_rule_that_does_not_parse(cli, live, db_hash, text):
    before = db_hash()
    error = refused(cli("rule", "add", text, "--action", "deny", "--json"))
    assert {"rule", "position", "problem"} <= set(error["details"])
    plain = cli("rule", "add", text, "--action", "deny")
    assert plain.code == 1 and plain.stderr.startswith("error: ")
    assert_not_a_bug(plain)
    assert db_hash() == before


def test_add_stores_columns_derived_from_the_text(cli, live):
    assert cli("rule", "add", "  Bash(git push:*) ", "--action", "ask").code == 0
    assert cli("rule", "add", "Bash(*)", "--action", "ask", "--project", "x").code == 1  # unknown project
    assert cli("rule", "add", "Edit(src/**)", "--action", "allow").code == 0
    rows = rule_rows(live)
    assert rows["Bash(git push:*)"] == ("Bash", "git push:*", "git push", "ask")
    assert rows["Bash(rm *)"] == ("Bash", "rm *", "rm", "deny")
    assert rows["Edit(src/**)"] == ("Edit", "src/**", None, "allow")


# ---- nerv rule import --claude-settings ------------------------------------------------------------------

def test_settings_import_keeps_what_parses(cli, live, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"permissions": {
        "allow": ["Bash(make test:*)", "Bash(make", "WebFetch(domain:docs.python.org)"],
        "deny": [BAD_GLOB, "Read(~/.ssh/**)"],
        "ask": ["Bash(git push *)", "WebFetch(example.com)"],
    }}))
    result = cli("rule", "import", "--claude-settings", str(settings), "--json")
    assert result.code == 0, result.stderr
    data = result.data
    assert sorted(r["rule"] for r in data["rules"]) == ["Bash(git push *)", "Bash(make test:*)",
                                                        "Read(~/.ssh/**)", "WebFetch(domain:docs.python.org)"]
    assert [(r["action"], r["rule"]) for r in data["refused"]] == [("allow", "Bash(make"), ("ask", "WebFetch(example.com)"),
                                                                   ("deny", BAD_GLOB)]
    assert all(set(r) == {"action", "entry", "rule", "position", "problem"} for r in data["refused"])
    rows = rule_rows(live)
    assert rows["Bash(make test:*)"] == ("Bash", "make test:*", "make test", "allow")
    assert rows["Read(~/.ssh/**)"] == ("Read", "~/.ssh/**", None, "deny")
    assert BAD_GLOB not in rows and "Bash(make" not in rows
    source = {r["rule"]: r["source"] for r in cli("rule", "list", "--json").data}
    assert source["Bash(git push *)"] == f"claude-settings:{settings.resolve()}"


# ---- nerv import (export files) --------------------------------------------------------------------------

def exported(cli, tmp_path: Path) -> dict:
    path = tmp_path / "export.json"
    assert cli("export", "--output", str(path)).code == 0
    return json.loads(path.read_text())


def with_rules(document: dict, change) -> dict:
    """A copy of the export with `change(row, column_index)` applied to its approval_rules rows."""
    document = json.loads(json.dumps(document))
    section = next(t for t in document["tables"] if t["table"] == "approval_rules")
    column = {name: i for i, name in enumerate(section["columns"])}
    for row in section["data"]:
        change(row, column)
    return document


def write(tmp_path: Path, name: str, document: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_import_refuses_an_export_whose_rules_do_not_parse(cli, live, tmp_path, db_hash):
    document = exported(cli, tmp_path)

    def corrupt(row, column):
        if row[column["rule"]] == "Bash(rm *)":
            row[column["rule"]] = "Bash(rm *"
        if row[column["rule"]] == "Read(./.env)":
            row[column["rule"]] = BAD_GLOB

    path = write(tmp_path, "corrupt.json", with_rules(document, corrupt))
    before = db_hash()
    for mode in (["--mode", "merge"], ["--mode", "replace", "--yes"], ["--dry-run"]):
        error = refused(cli("import", str(path), *mode, "--json"), "2 approval rule(s)", "Bash(rm *", BAD_GLOB,
                        "nothing was imported")
        assert [p["rule"] for p in error["details"]["problems"]] == ["Bash(rm *", BAD_GLOB]
        assert db_hash() == before, mode
    plain = cli("import", str(path))
    assert plain.code == 1 and "Bash(rm *" in plain.stderr
    assert_not_a_bug(plain)
    # glob, not iterdir: on PostgreSQL the home folder need not exist (nothing of the ledger is in it)
    assert not list(live.parent.glob(".import-*"))
    assert not list(live.parent.glob("backups/pre-import*"))


def test_import_recomputes_derived_columns_from_the_rule(cli, live, tmp_path, monkeypatch):
    document = exported(cli, tmp_path)

    def lie(row, column):
        # A deny filed under another tool and prefix would never be a candidate for the call it targets.
        if row[column["rule"]] == "Bash(rm *)":
            row[column["tool"]], row[column["literal_prefix"]], row[column["pattern"]] = "Edit", "zzz", "zzz *"
        if row[column["rule"]] == "Read(./.env)":
            row[column["tool"]] = "Bash"
            row[column["literal_prefix"]] = ""

    path = write(tmp_path, "lying.json", with_rules(document, lie))
    home2 = live.parent.parent / "home2"
    use_other_home(monkeypatch, home2)
    result = cli("import", str(path), "--json")
    assert result.code == 0, result.stderr
    fixed = {r["rule"]: r["columns"] for r in result.data["rules_recomputed"]}
    assert fixed == {"Bash(rm *)": {"tool": {"stored": "Edit", "derived": "Bash"},
                                    "pattern": {"stored": "zzz *", "derived": "rm *"},
                                    "literal_prefix": {"stored": "zzz", "derived": "rm"}},
                     "Read(./.env)": {"tool": {"stored": "Bash", "derived": "Read"},
                                      "literal_prefix": {"stored": "", "derived": None}}}
    assert rule_rows(home2 / "state.db") == rule_rows(live)
    assert cli("rule", "match", "Bash", "rm -rf build", "--json").data["decision"] == "deny"
    # Merging the same file again still says what it corrected: the file lies even where the rows agree.
    again = cli("import", str(path))
    assert again.code == 0 and "warning: rule #" in again.stderr and "recomputed" in again.stderr
    assert cli("audit", "verify", "--json").data["ok"]


# ---- nerv db restore -------------------------------------------------------------------------------------

def backup_of(tmp_path: Path, name: str, *statements: str) -> Path:
    """A backup taken by nerv, then edited past it (rule rows are outside the audit chain)."""
    return edited_backup(tmp_path / name, *statements)


# On PostgreSQL a restore over a database that holds a ledger is asked for with --force (docs/teams.md).
OVER_A_LEDGER = "--force" if ON_POSTGRESQL else "--yes"


def files_in(home: Path) -> list[str]:
    """The names in the home folder; on PostgreSQL it need not exist (nothing of the ledger is in it)."""
    return sorted(os.listdir(home)) if home.exists() else []


def source_state(backup: Path):
    """What must not change in a restored backup: its content (SQLite), the dump's bytes (PostgreSQL)."""
    return backup.read_bytes() if ON_POSTGRESQL else db_content_hash(backup)


def test_restore_refuses_a_backup_holding_rules_that_do_not_parse(cli, live, tmp_path, db_hash, nerv_home):
    bad = backup_of(tmp_path, "bad.db", f"UPDATE approval_rules SET rule = '{BAD_GLOB}' WHERE rule = 'Read(./.env)'",
                    "INSERT INTO approval_rules (tool, rule, action, created_at) VALUES ('Bash', 'Bash(', 'deny', 'x')")
    cli("rule", "add", "Bash(ls *)", "--action", "allow")  # the live state differs from the backup
    before = db_hash()
    files_before = files_in(nerv_home)
    error = refused(cli("db", "restore", str(bad), "--yes", "--json"), "2 approval rule(s)", BAD_GLOB,
                    "nothing was restored")
    assert sorted(p["rule"] for p in error["details"]["problems"]) == sorted(["Bash(", BAD_GLOB])
    assert db_hash() == before
    assert files_in(nerv_home) == files_before  # no scratch copy left
    assert not list(nerv_home.glob("backups/pre-restore-*"))  # refused before the safety backup
    plain = cli("db", "restore", str(bad), "--yes")
    assert plain.code == 1 and BAD_GLOB in plain.stderr
    assert_not_a_bug(plain)
    assert db_hash() == before


def test_restore_recomputes_derived_columns(cli, live, tmp_path, nerv_home):
    expected = rule_rows(live)
    lying = backup_of(tmp_path, "lying.db",
                      "UPDATE approval_rules SET tool = 'Read', literal_prefix = 'zzz' WHERE rule = 'Bash(rm *)'",
                      "UPDATE approval_rules SET pattern = NULL, literal_prefix = 'npm' WHERE rule = 'Bash(npm test *)'")
    before_restore = source_state(lying)
    cli("rule", "rm", "2")
    result = cli("db", "restore", str(lying), OVER_A_LEDGER, "--json")
    assert result.code == 0, result.stderr
    assert sorted(r["rule"] for r in result.data["rules_recomputed"]) == ["Bash(npm test *)", "Bash(rm *)"]
    assert rule_rows(live) == expected
    assert source_state(lying) == before_restore  # the source file itself is never written
    assert cli("rule", "match", "Bash", "rm -rf /", "--json").data["decision"] == "deny"
    assert cli("audit", "verify", "--json").data["ok"]
    last = cli("audit", "list", "--limit", "1", "--json").data[0]
    assert last["action"] == "db.restore" and len(last["after"]["rules_recomputed"]) == 2
    assert not list(nerv_home.glob(".restore-*"))
    plain = cli("db", "restore", str(lying), OVER_A_LEDGER)
    assert plain.code == 0 and plain.stderr.count("recomputed from the rule text") == 2


# ---- nerv approval --remember ----------------------------------------------------------------------------

def test_remember_refuses_a_stored_suggestion_that_does_not_parse(cli, capsys, nerv_home, db_hash):
    from tests.approvals.test_approval_cli import pre_tool_use

    pre_tool_use(capsys, "npm run build")
    edit(nerv_home / "state.db", f"UPDATE approval_requests SET suggested_rule = '{BAD_GLOB}'")
    before = db_hash()
    result = cli("approval", "approve", "1", "--remember", "--json")
    error = refused(result, BAD_GLOB, "approval request #1")
    assert error["details"]["rule"] == BAD_GLOB
    assert db_hash() == before
    assert cli("approval", "show", "1", "--json").data["status"] == "pending"


def test_remember_stores_derived_columns_and_its_origin(cli, capsys, nerv_home):
    from tests.approvals.test_approval_cli import pre_tool_use

    pre_tool_use(capsys, "npm run build")
    data = cli("approval", "approve", "1", "--remember", "--json").data
    assert data["remembered_rule"] == "Bash(npm run build *)" and data["warnings"] == []
    assert rule_rows(nerv_home / "state.db") == {"Bash(npm run build *)": ("Bash", "npm run build *", "npm run build",
                                                                           "allow")}
    assert cli("rule", "list", "--json").data[0]["source"] == "approval:#1"
