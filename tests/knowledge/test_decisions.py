"""Decisions: numbering, status machine, supersede links with audit rows, ADR export/import round trip."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from nerv.services import adr_markdown
from tests.conftest import assert_not_a_bug, examples, raw_connection, use_other_home


def _audit(nerv_home, action):
    conn = raw_connection(nerv_home)
    try:
        return [dict(zip(("entity_id", "before", "after"), r)) for r in
                conn.execute("SELECT entity_id, before, after FROM audit_log WHERE action = ? ORDER BY id", (action,))]
    finally:
        conn.close()


def test_add_list_show_accept(cli, project):
    first = cli("--json", "decision", "add", "Use SQLite", "--context", "one file", "--decision", "WAL mode").data
    second = cli("--json", "decision", "add", "Use Typer", "--status", "accepted").data
    assert (first["number"], second["number"]) == (1, 2)
    assert first["status"] == "proposed" and second["status"] == "accepted"
    assert [d["number"] for d in cli("--json", "decision", "list", "--status", "accepted").data] == [2]
    shown = cli("--json", "decision", "show", "ADR-1").data
    assert shown["context"] == "one file" and shown["decision"] == "WAL mode"
    assert cli("--json", "decision", "accept", "1").data["status"] == "accepted"
    again = cli("--json", "decision", "accept", "1")
    assert again.code == 1 and again.error["code"] == "conflict"


def test_supersede_links_both_sides_and_writes_two_audit_rows(cli, project, nerv_home):
    old = cli("--json", "decision", "add", "Store state in JSON files", "--status", "accepted").data
    new = cli("--json", "decision", "add", "Store state in SQLite").data
    result = cli("--json", "decision", "supersede", "1", "--by", "2")
    assert result.code == 0, result.stderr
    assert result.data["superseded"]["status"] == "superseded"
    assert result.data["superseded"]["superseded_by_id"] == new["id"]
    assert result.data["by"]["status"] == "accepted"
    assert cli("--json", "decision", "show", "2").data["supersedes"] == [{"number": 1, "title": old["title"]}]
    assert cli("--json", "decision", "show", "1").data["superseded_by"]["number"] == 2
    assert [r["entity_id"] for r in _audit(nerv_home, "decision.supersede")] == [old["id"]]
    supersedes = _audit(nerv_home, "decision.supersedes")
    assert [r["entity_id"] for r in supersedes] == [new["id"]]
    assert json.loads(supersedes[0]["after"])["supersedes"] == old["id"]
    assert cli("--json", "decision", "supersede", "1", "--by", "2").error["code"] == "conflict"


BAD_INPUT = [
    (["decision", "show", "99"], "not_found"),
    (["decision", "show", "zz!"], "invalid"),
    (["decision", "add", "x", "--status", "maybe"], "invalid"),
    (["decision", "add", "x", "--status", "superseded"], "invalid"),
    (["decision", "add", "   "], "invalid"),
    (["decision", "add", "x" * 501], "invalid"),
    (["decision", "add", "x", "--task", "77"], "not_found"),
    (["decision", "add", "x", "--cycle", "3"], "not_found"),
    (["decision", "supersede", "1", "--by", "1"], "invalid"),
    (["decision", "list", "--status", "nope"], "invalid"),
    (["decision", "import", "--dir", "no-such-folder"], "io"),
]


def test_bad_input_is_refused_cleanly(cli, project, db_hash):
    cli("decision", "add", "Existing")
    before = db_hash()
    for args, code in BAD_INPUT:
        result = cli("--json", *args)
        assert result.code == 1 and result.error["code"] == code and result.stdout == "", (args, result.stderr)
        assert db_hash() == before
        assert_not_a_bug(cli(*args))


def _seed(cli):
    cli("decision", "add", "Use SQLite", "--context", "Line one\n## Decision\nnot a heading\n\n",
        "--decision", "\\## already escaped", "--consequences", "")
    cli("decision", "add", "Ünïcode title: with/slashes & more", "--alternatives", "Postgres\nMySQL")
    cli("decision", "add", "Replace it", "--status", "accepted")
    cli("decision", "supersede", "1", "--by", "3")


def test_export_import_round_trip_is_lossless(cli, project, tmp_path, monkeypatch):
    _seed(cli)
    first_dir, second_dir = tmp_path / "adr1", tmp_path / "adr2"
    exported = cli("--json", "decision", "export", "--dir", first_dir).data
    assert len(exported["written"]) == 3 and exported["written"][0] == "0001-use-sqlite.md"
    rows_a = cli("--json", "decision", "list").data
    use_other_home(monkeypatch, tmp_path / "other-home")
    cli("project", "add", "other")
    cli("project", "use", "other")
    imported = cli("--json", "decision", "import", "--dir", first_dir)
    assert imported.code == 0, imported.stderr
    assert imported.data["added"] == [1, 2, 3] and imported.data["dropped_links"] == []
    rows_b = cli("--json", "decision", "list").data
    keep = ("id", "number", "title", "context", "decision", "consequences", "alternatives", "status",
            "superseded_by_id", "created_at", "updated_at")
    assert [{k: r[k] for k in keep} for r in rows_a] == [{k: r[k] for k in keep} for r in rows_b]
    cli("decision", "export", "--dir", second_dir)
    for path in first_dir.iterdir():
        assert (second_dir / path.name).read_bytes() == path.read_bytes()
    again = cli("--json", "decision", "import", "--dir", first_dir).data
    assert again["added"] == [] and again["updated"] == [] and again["unchanged"] == 3


def test_reexport_rewrites_only_changed_files_and_import_applies_edits(cli, project, tmp_path):
    _seed(cli)
    folder = tmp_path / "adr"
    cli("decision", "export", "--dir", folder)
    second = cli("--json", "decision", "export", "--dir", folder).data
    assert second["written"] == [] and second["unchanged"] == 3
    cli("decision", "accept", "2")
    third = cli("--json", "decision", "export", "--dir", folder).data
    assert third["written"] == ["0002-unicode-title-with-slashes-more.md"] and third["unchanged"] == 2
    path = folder / "0002-unicode-title-with-slashes-more.md"
    path.write_text(path.read_text().replace("MySQL", "MySQL\nSQLite"))
    result = cli("--json", "decision", "import", "--dir", folder).data
    assert result["updated"] == [2]
    assert cli("--json", "decision", "show", "2").data["alternatives"] == "Postgres\nMySQL\nSQLite"


def test_import_refuses_a_bad_file_without_writing(cli, project, tmp_path, db_hash):
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-ok.md").write_text("# 1. Fine\n\n- Status: accepted\n")
    (folder / "0002-bad.md").write_text("no title here\n")
    before = db_hash()
    result = cli("--json", "decision", "import", "--dir", folder)
    assert result.code == 1 and "0002-bad.md" in result.error["message"]
    assert db_hash() == before
    (folder / "0002-bad.md").write_text("# 2. Odd\n\n- Status: exploded\n")
    assert "status" in cli("--json", "decision", "import", "--dir", folder).error["message"]


def test_hand_written_adr_is_imported(cli, project, tmp_path):
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0005-use-queues.md").write_text("# 5. Use queues\n\n- Status: accepted\n\n## Context\n\nSlow jobs.\n")
    result = cli("--json", "decision", "import", "--dir", folder).data
    assert result["added"] == [5]
    shown = cli("--json", "decision", "show", "5").data
    assert (shown["title"], shown["status"], shown["context"]) == ("Use queues", "accepted", "Slow jobs.")


section_text = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
                                            max_size=200),
                         st.lists(st.sampled_from(["## Context", "\\## Decision", "", "## ", "text", "\\\\## x"]),
                                  max_size=6).map("\n".join))


@settings(max_examples=examples(200), deadline=None)
@given(context=section_text, decision=section_text, consequences=section_text, alternatives=section_text,
       title=st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=80).map(str.strip)
       .filter(bool))
def test_markdown_render_parse_round_trip(context, decision, consequences, alternatives, title):
    row = {"id": "a" * 32, "number": 12, "title": title, "status": "accepted", "context": context,
           "decision": decision, "consequences": consequences, "alternatives": alternatives,
           "superseded_by_id": None, "task_id": None, "cycle_id": None,
           "created_at": "2026-01-02T03:04:05.000000Z", "updated_at": "2026-01-02T03:04:05.000000Z"}
    parsed = adr_markdown.parse(adr_markdown.render(row))
    assert {k: parsed.get(k) for k in row} == row
