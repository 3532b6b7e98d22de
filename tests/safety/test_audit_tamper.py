"""Tampering a valid chain cannot show: an anchor kept outside the database and `--replay` find it.

Each scenario first shows `nerv audit verify` alone passing, then the command that detects it failing.
The last tests pin down what is documented as NOT detected (docs/data-safety.md, "What is detected").
"""

from __future__ import annotations

import json
import subprocess

import pytest

from nerv.store.audit import AUDIT_COLUMNS, GENESIS_HASH, row_hash
from tests.conftest import ON_POSTGRESQL, raw_connection
from tests.hooks.test_hook_flows import fire, permission_request  # noqa: F401 (fire: a fixture)


def _db(home):
    return raw_connection(home)


def _ok(cli, *args):
    result = cli("audit", "verify", *args, "--json")
    assert result.code == 0, result.stdout + result.stderr
    return result.data


def _fails(cli, *args):
    result = cli("audit", "verify", *args, "--json")
    assert result.code == 1, result.stdout + result.stderr
    assert not result.data["ok"]
    return result.data


def _rows(conn):
    return [dict(zip(AUDIT_COLUMNS, v)) for v in conn.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log ORDER BY id")]


def _rewrite(conn, rows):
    """Replace the whole log by `rows`, re-chained: a valid chain of someone else's making."""
    conn.execute("DELETE FROM audit_log")
    prev = GENESIS_HASH
    for row in rows:
        row = {**row, "prev_hash": prev}
        row["hash"] = prev = row_hash(row)
        conn.execute(f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})",
                     [row[c] for c in AUDIT_COLUMNS])
    conn.commit()


def _forge(conn, **fields):
    """Append one well-hashed row after the current head."""
    last = _rows(conn)[-1]
    row = {**last, "id": last["id"] + 1, "prev_hash": last["hash"], "before": None, "after": None,
           "project_id": None, **fields}
    _rewrite(conn, _rows(conn) + [row])


@pytest.fixture
def state(nerv_home, cli, tmp_path):
    """Through the real CLI: a project, a deny rule, a setting, a budget, tasks; an anchor file and an export."""
    for args in (("project", "add", "web"), ("project", "use", "web"),
                 ("rule", "add", "Bash(rm -rf *)", "--action", "deny"), ("rule", "add", "Bash(ls *)", "--action", "allow"),
                 ("settings", "set", "hook.mode", '"strict"'), ("budget", "set", "--daily", "5"),
                 ("task", "add", "first"), ("task", "add", "second")):
        result = cli(*args)
        assert result.code == 0, (args, result.stdout, result.stderr)
    anchor = tmp_path / "anchor.json"
    assert cli("audit", "anchor", "--output", str(anchor)).code == 0
    assert json.loads(anchor.read_text())["format"] == "nerv-audit-anchor"
    export = tmp_path / "export.jsonl"
    assert cli("export", "--format", "jsonl", "--output", str(export)).code == 0
    _ok(cli, "--against", str(anchor), "--replay")
    return {"home": nerv_home, "anchor": anchor, "export": export}


def test_a_rewritten_chain_fails_against_the_anchor(state, cli):
    conn = _db(state["home"])
    json_export = state["export"].with_suffix(".json")
    assert cli("export", "--format", "json", "--output", str(json_export)).code == 0
    _rewrite(conn, [{**r, "actor": "mallory"} for r in _rows(conn)])
    conn.close()
    _ok(cli)
    assert "rewritten" in _fails(cli, "--against", str(json_export))["anchor"]["problem"]
    anchor = _fails(cli, "--against", str(state["anchor"]))["anchor"]
    assert "rewritten" in anchor["problem"]
    assert "rewritten" in _fails(cli, "--against", str(state["export"]))["anchor"]["problem"]


def test_deleting_every_row_fails_against_the_anchor_the_export_and_a_backup(state, cli, tmp_path):
    backup = tmp_path / "copy.db"
    made = cli("db", "backup", str(backup), "--json").data
    assert made["audit_head"]["id"] == made["audit_rows"]
    conn = _db(state["home"])
    conn.execute("DELETE FROM audit_log")
    conn.commit()
    conn.close()
    assert _ok(cli)["rows"] == 0
    for source in (state["anchor"], state["export"], backup):
        assert "gone" in _fails(cli, "--against", str(source))["anchor"]["problem"]


def test_a_backup_anchors_rows_holding_tabs_newlines_backslashes_and_line_separators(state, cli, tmp_path):
    # A pg_dump backup is read back as COPY text, which escapes these: the hashes must still match.
    awkward = "tab\there\nnew line \\ back\\slash \u2028 line separator \u0085 é"
    assert cli("task", "add", "awkward", "--description", awkward).code == 0  # a title is one plain line
    backup = tmp_path / "awkward.db"
    made = cli("db", "backup", str(backup), "--json").data
    anchored = _ok(cli, "--against", str(backup))
    assert anchored["ok"] and made["audit_head"]["id"] == made["audit_rows"]
    assert cli("task", "add", "later").code == 0
    _ok(cli, "--against", str(backup))


def test_cutting_off_the_newest_rows_fails_against_a_later_anchor(state, cli):
    conn = _db(state["home"])
    newest = conn.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE id > ?", (newest - 2,))
    conn.commit()
    conn.close()
    _ok(cli)
    assert "gone" in _fails(cli, "--against", str(state["anchor"]))["anchor"]["problem"]


def test_deny_turned_into_allow_without_an_audit_row_is_named_by_replay(state, cli):
    conn = _db(state["home"])
    rule_id = conn.execute("SELECT id FROM approval_rules WHERE action = 'deny'").fetchone()[0]
    conn.execute("UPDATE approval_rules SET action = 'allow' WHERE id = ?", (rule_id,))
    conn.commit()
    conn.close()
    _ok(cli, "--against", str(state["anchor"]))
    first = _fails(cli, "--replay")["replay"]["first_difference"]
    assert first["table"] == "approval_rules" and first["id"] == str(rule_id)
    assert (first["column"], first["expected"], first["actual"]) == ("action", "deny", "allow")
    human = cli("audit", "verify", "--replay")
    assert human.code == 1 and "approval_rules" in human.stdout and "'deny'" in human.stdout


@pytest.mark.parametrize("table, edit", [
    ("settings", "UPDATE settings SET value = '\"off\"' WHERE key = 'hook.mode'"),
    ("budgets", "UPDATE budgets SET limit_usd = 5000"),
    ("tasks", "UPDATE tasks SET status = 'done' WHERE number = 1"),
    ("approval_rules", "INSERT INTO approval_rules (tool, pattern, rule, action, created_at) "
                       "VALUES ('Bash', NULL, 'Bash', 'allow', 'x')"),
    ("approval_rules", "DELETE FROM approval_rules WHERE action = 'deny'"),
])
def test_every_replayed_table_names_an_unaudited_edit(state, cli, table, edit):
    conn = _db(state["home"])
    conn.execute(edit)
    conn.commit()
    conn.close()
    _ok(cli)
    assert _fails(cli, "--replay")["replay"]["first_difference"]["table"] == table


def test_a_forged_row_claiming_a_change_that_did_not_happen_is_named_by_replay(state, cli):
    conn = _db(state["home"])
    rule_id = conn.execute("SELECT id FROM approval_rules WHERE action = 'deny'").fetchone()[0]
    _forge(conn, action="rule.rm", entity="rule", entity_id=str(rule_id), before=json.dumps({"action": "deny"}))
    conn.close()
    _ok(cli, "--against", str(state["anchor"]))
    first = _fails(cli, "--replay")["replay"]["first_difference"]
    assert (first["table"], first["id"], first["expected"]) == ("approval_rules", str(rule_id), "no such row")


def test_replay_follows_every_audited_way_of_changing_the_replayed_tables(state, cli):
    steps = [("task", "add", "child", "--parent", "1"), ("task", "start", "2"), ("task", "edit", "2", "--title", "two"),
             ("task", "done", "2"), ("task", "rm", "1", "--yes"), ("settings", "unset", "hook.mode"),
             ("budget", "set", "--daily", "7", "--soft"), ("budget", "rm", "daily"), ("rule", "rm", "2"),
             ("checkpoint", "create", "base"), ("task", "add", "later"),
             ("settings", "set", "hook.mode", '"queue"', "--project", "web"),
             ("checkpoint", "restore", "base", "--yes"),
             ("project", "add", "other"), ("project", "use", "other"), ("task", "add", "gone", "--project", "other"),
             ("rule", "add", "Bash(git *)", "--action", "ask", "--project", "other"),
             ("project", "rm", "other", "--yes")]
    for args in steps:
        result = cli(*args)
        assert result.code == 0, (args, result.stdout, result.stderr)
    replayed = _ok(cli, "--replay")["replay"]
    assert replayed["differences"] == 0 and replayed["rows_replayed"] > 10


def test_a_replace_import_and_a_restore_keep_replay_consistent(state, cli, tmp_path):
    backup = tmp_path / "b.db"
    assert cli("db", "backup", str(backup)).code == 0
    assert cli("task", "add", "after the backup").code == 0
    # On PostgreSQL a restore over a database that holds a ledger is asked for with --force (docs/teams.md).
    over_a_ledger = "--force" if ON_POSTGRESQL else "--yes"
    assert cli("db", "restore", str(backup), over_a_ledger).code == 0
    _ok(cli, "--replay", "--against", str(backup))
    assert cli("import", str(state["export"]), "--mode", "replace", "--yes").code == 0
    _ok(cli, "--replay", "--against", str(state["export"]))


def test_a_merge_import_is_named_as_a_caveat(state, cli):
    assert cli("import", str(state["export"]), "--mode", "merge").code == 0
    replayed = _ok(cli, "--replay")["replay"]
    assert len(replayed["caveats"]) == 1 and "merge import" in replayed["caveats"][0]


def test_git_note_anchor(state, cli, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    written = cli("audit", "anchor", "--git-note", "HEAD", "--json")
    assert written.code == 0, written.stderr
    assert _ok(cli, "--against", "git:HEAD")["anchor"]["id"] == written.data["id"]
    conn = _db(state["home"])
    _rewrite(conn, [{**r, "actor": "mallory"} for r in _rows(conn)])
    conn.close()
    assert "rewritten" in _fails(cli, "--against", "git:HEAD")["anchor"]["problem"]


@pytest.mark.parametrize("source, code", [("missing.json", "io"), ("git:no-such-ref", "io")])
def test_unreadable_anchor_sources(state, cli, source, code):
    result = cli("audit", "verify", "--against", source, "--json")
    assert result.code == 1 and result.error["code"] == code


def test_files_that_are_not_anchors(state, cli, tmp_path):
    (tmp_path / "junk.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"format": "something-else"}')
    assert cli("export", "--project", "web", "--format", "jsonl", "--output", str(tmp_path / "p.jsonl")).code == 0
    for name in ("junk.json", "other.json", "p.jsonl"):
        result = cli("audit", "verify", "--against", str(tmp_path / name), "--json")
        assert result.code == 1 and result.error["code"] == "invalid", (name, result.stdout)
    result = cli("audit", "anchor", "--output", str(tmp_path / "no" / "such" / "a.json"), "--json")
    assert result.code == 1 and result.error["code"] == "io"


# ---- what is NOT detected (documented) --------------------------------------------------------------

def test_not_detected_rewriting_chain_and_anchor_together(state, cli):
    conn = _db(state["home"])
    _rewrite(conn, [{**r, "actor": "mallory"} for r in _rows(conn)])
    conn.close()
    assert cli("audit", "anchor", "--output", str(state["anchor"])).code == 0
    _ok(cli, "--against", str(state["anchor"]), "--replay")


def test_not_detected_a_forged_row_with_a_matching_table_edit_after_the_anchor(state, cli):
    conn = _db(state["home"])
    rule_id = conn.execute("SELECT id FROM approval_rules WHERE action = 'deny'").fetchone()[0]
    conn.execute("UPDATE approval_rules SET action = 'allow' WHERE id = ?", (rule_id,))
    conn.commit()
    _forge(conn, action="rule.edit", entity="rule", entity_id=str(rule_id), before=json.dumps({"action": "deny"}),
           after=json.dumps({"action": "allow"}))
    conn.close()
    _ok(cli, "--against", str(state["anchor"]), "--replay")


# ---- approval requests: a pending request marked approved by hand is the bypass replay must name ----------
def _request_through_the_hook(fire, tmp_path, command: str):
    fire(permission_request(tmp_path, {"command": command, "description": "x" * 2500}))


def test_a_request_approved_without_an_audit_row_is_named_by_replay(state, cli, fire, tmp_path):
    _request_through_the_hook(fire, tmp_path, "make deploy")
    _ok(cli, "--replay")
    conn = _db(state["home"])
    request_id = conn.execute("SELECT id FROM approval_requests").fetchone()[0]
    conn.execute("UPDATE approval_requests SET status = 'approved', decided_by = 'me' WHERE id = ?", (request_id,))
    conn.commit()
    conn.close()
    _ok(cli)
    first = _fails(cli, "--replay")["replay"]["first_difference"]
    assert (first["table"], first["id"], first["column"], first["expected"], first["actual"]) == \
        ("approval_requests", str(request_id), "status", "pending", "approved")


def test_replay_follows_requests_through_decisions_deletions_and_prune(state, cli, fire, tmp_path):
    for command in ("make one", "make two", "make three", "make four"):
        _request_through_the_hook(fire, tmp_path, command)
    ids = [r[0] for r in _db(state["home"]).execute("SELECT id FROM approval_requests ORDER BY id")]
    for args in (("approval", "approve", str(ids[0]), "--remember"), ("approval", "deny", str(ids[1]))):
        result = cli(*args)
        assert result.code == 0, (args, result.stdout, result.stderr)
    _ok(cli, "--replay")
    rule_id = _db(state["home"]).execute("SELECT rule_id FROM approval_requests WHERE id = ?", (ids[0],)).fetchone()[0]
    assert rule_id is not None and cli("rule", "rm", str(rule_id)).code == 0
    result = cli("prune", "--older-than", "0d", "--force", "--yes")
    assert result.code == 0, result.stdout + result.stderr
    left = {r[0] for r in _db(state["home"]).execute("SELECT id FROM approval_requests")}
    assert left == set(ids[2:])
    _ok(cli, "--replay")
