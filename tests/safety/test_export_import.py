"""`nerv export` / `nerv import`: round trips, merge and replace, older schemas, and every kind of bad file."""

from __future__ import annotations

import json
import os
import stat

from tests.conftest import assert_not_a_bug, db_content_hash, raw_connection, use_other_home
from tests.safety.seed import seed_state


def export_doc(cli, tmp_path, name="out.json", *extra) -> dict:
    path = tmp_path / name
    result = cli("export", "--output", str(path), *extra, "--json")
    assert result.code == 0, result.stderr
    return json.loads(path.read_text()) if name.endswith(".json") else path


def without_time(document: dict) -> dict:
    header = dict(document["nerv_export"])
    header.pop("exported_at")
    return {**document, "nerv_export": header}


def strip_import_row(document: dict, original: dict) -> dict:
    """The re-export minus the single audit row the import itself appended (asserted to be exactly that)."""
    doc = json.loads(json.dumps(document))
    audit = next(t for t in doc["tables"] if t["table"] == "audit_log")
    known = {r[0] for r in next(t for t in original["tables"] if t["table"] == "audit_log")["data"]}
    extra = [r for r in audit["data"] if r[0] not in known]
    assert [r[3] for r in extra] == ["import"]
    audit["data"] = [r for r in audit["data"] if r[0] in known]
    audit["rows"] = len(audit["data"])
    doc["nerv_export"]["tables"]["audit_log"] = audit["rows"]
    # The header's chain head is the import row; without it, the head is the newest row left.
    assert doc["nerv_export"]["audit_head"]["id"] == extra[0][0]
    hash_at = audit["columns"].index("hash")
    doc["nerv_export"]["audit_head"] = {"id": audit["data"][-1][0], "hash": audit["data"][-1][hash_at],
                                        "rows": audit["rows"]}
    doc["end"]["rows"] -= 1
    return doc


def test_round_trip_into_an_empty_home(cli, tmp_path, monkeypatch):
    seed_state()
    first = export_doc(cli, tmp_path, "a.json")
    assert first["nerv_export"]["format_version"] == 1 and first["nerv_export"]["nerv_version"]
    assert {"projects", "tasks", "task_deps", "audit_log", "settings"} <= set(first["nerv_export"]["tables"])
    assert "schema_migrations" not in first["nerv_export"]["tables"]
    use_other_home(monkeypatch, tmp_path / "home2")
    result = cli("import", str(tmp_path / "a.json"), "--json")
    assert result.code == 0, result.stderr
    assert result.data["audit"]["mode"] == "adopted"
    second = export_doc(cli, tmp_path, "b.json")
    assert without_time(strip_import_row(second, first)) == without_time(first)
    assert cli("audit", "verify", "--json").data["ok"]


def test_jsonl_and_stdout(cli, tmp_path, monkeypatch):
    seed_state(projects=1)
    result = cli("export", "--format", "jsonl")
    lines = result.stdout.splitlines()
    assert json.loads(lines[0])["nerv_export"]["format"] == "nerv-export"
    assert json.loads(lines[-1])["end"]["rows"] > 10
    path = tmp_path / "x.jsonl"
    path.write_text(result.stdout)
    stdout_json = cli("export", "--format", "json").stdout
    assert json.loads(stdout_json)["end"] == json.loads(lines[-1])["end"]
    use_other_home(monkeypatch, tmp_path / "home2")
    assert cli("import", str(path)).code == 0
    assert cli("export", "--format", "jsonl").stdout.splitlines()[1:-1] != []


def test_export_file_is_private_and_atomic(cli, tmp_path):
    seed_state(projects=1)
    export_doc(cli, tmp_path, "p.json")
    assert stat.S_IMODE(os.stat(tmp_path / "p.json").st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    result = cli("export", "--output", str(tmp_path))
    assert result.code == 1 and "directory" in result.stderr


def test_export_does_not_write_through_a_symlink_planted_at_its_temp_path(cli, tmp_path):
    seed_state(projects=1)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    # The first temp name the export tries (the CLI runs in this process, so the pid is ours).
    (tmp_path / f".p.json.{os.getpid()}.tmp").symlink_to(victim)
    doc = export_doc(cli, tmp_path, "p.json")
    assert doc["nerv_export"]["format"] == "nerv-export"
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "p.json").is_symlink()
    assert stat.S_IMODE(os.stat(tmp_path / "p.json").st_mode) == 0o600


def test_merge_reports_conflicts_and_keeps_the_chain(cli, tmp_path, nerv_home):
    seed_state(projects=1, tasks=2)
    doc = export_doc(cli, tmp_path, "a.json")
    conn = raw_connection(nerv_home)
    conn.execute("UPDATE tasks SET title = 'changed here' WHERE number = 1")  # a local edit the file will overwrite
    conn.commit()
    conn.close()
    result = cli("import", str(tmp_path / "a.json"), "--json")
    assert result.code == 0, result.stderr
    assert result.data["conflict_count"] == 1 and result.data["conflicts"][0]["table"] == "tasks"
    assert result.data["tables"]["tasks"]["unchanged"] == 1
    assert result.data["audit"]["mode"] == "already present"
    titles = [r[5] for r in next(t for t in export_doc(cli, tmp_path, "b.json")["tables"] if t["table"] == "tasks")["data"]]
    assert "changed here" not in titles
    assert cli("audit", "verify", "--json").data["ok"]
    last = cli("audit", "list", "--limit", "1", "--json").data[0]
    assert last["action"] == "import" and last["after"]["conflicts"] == 1
    assert doc["nerv_export"]["tables"]["tasks"] == 2


def test_replace_needs_yes_and_takes_a_safety_backup(cli, tmp_path, nerv_home, db_hash):
    seed_state(projects=1, tasks=2)
    export_doc(cli, tmp_path, "a.json")
    cli("project", "add", "extra")
    before = db_hash()
    result = cli("import", str(tmp_path / "a.json"), "--mode", "replace")
    assert result.code == 2 and "--yes" in result.stderr
    assert cli("import", str(tmp_path / "a.json"), "--mode", "replace", "--dry-run").code == 0
    assert db_hash() == before
    result = cli("import", str(tmp_path / "a.json"), "--mode", "replace", "--yes", "--json")
    assert result.code == 0, result.stderr
    assert os.path.exists(result.data["safety_backup"])
    names = [p["name"] for p in cli("project", "list", "--json").data]
    assert names == ["proj0"]
    assert cli("audit", "verify", "--json").data["ok"]


def test_dry_run_changes_nothing(cli, tmp_path, monkeypatch, db_hash):
    seed_state(projects=1)
    export_doc(cli, tmp_path, "a.json")
    use_other_home(monkeypatch, tmp_path / "home2")
    cli("project", "list")
    before = db_content_hash(tmp_path / "home2" / "state.db")
    result = cli("import", str(tmp_path / "a.json"), "--dry-run", "--json")
    assert result.code == 0 and result.data["dry_run"] and result.data["tables"]["tasks"]["inserted"] == 4
    assert db_content_hash(tmp_path / "home2" / "state.db") == before


def test_project_export_holds_only_that_project(cli, tmp_path, monkeypatch):
    seed_state(projects=2, tasks=2)
    doc = export_doc(cli, tmp_path, "p.json", "--project", "proj1")
    tables = {t["table"]: t for t in doc["tables"]}
    assert [r[1] for r in tables["projects"]["data"]] == ["proj1"]
    assert tables["tasks"]["rows"] == 2 and tables["task_deps"]["rows"] == 1
    assert all(r[1] is not None for r in tables["settings"]["data"])  # no global settings
    use_other_home(monkeypatch, tmp_path / "home2")
    result = cli("import", str(tmp_path / "p.json"), "--json")
    assert result.code == 0, result.stderr
    assert result.data["audit"]["mode"] == "skipped"
    assert cli("import", str(tmp_path / "p.json"), "--mode", "replace", "--yes").code == 2


def test_older_schema_export_imports(cli, tmp_path, monkeypatch):
    """An export from an older schema: missing columns take their defaults, dropped ones are reported."""
    seed_state(projects=1, tasks=2)
    doc = export_doc(cli, tmp_path, "a.json")
    doc["nerv_export"]["schema_version"] = 1
    for table in doc["tables"]:
        if table["table"] == "tasks":
            drop = table["columns"].index("status")
            table["columns"] = [c for i, c in enumerate(table["columns"]) if i != drop] + ["legacy_column"]
            table["data"] = [[v for i, v in enumerate(r) if i != drop] + ["old"] for r in table["data"]]
    doc["tables"].append({"table": "retired_table", "columns": ["id"], "rows": 1, "data": [[1]]})
    doc["nerv_export"]["tables"]["retired_table"] = 1
    doc["end"] = {"tables": doc["end"]["tables"] + 1, "rows": doc["end"]["rows"] + 1}
    (tmp_path / "old.json").write_text(json.dumps(doc))
    use_other_home(monkeypatch, tmp_path / "home2")
    result = cli("import", str(tmp_path / "old.json"), "--json")
    assert result.code == 0, result.stderr
    assert result.data["dropped_columns"] == {"tasks": ["legacy_column"]}
    assert result.data["skipped_tables"] == ["retired_table"]
    conn = raw_connection(tmp_path / "home2")
    assert {r[0] for r in conn.execute("SELECT status FROM tasks")} == {"todo"}


# ---- bad files: clear error, non-zero exit, database unchanged ---------------------------------------

def _mutate(doc: dict, table: str, fn) -> dict:
    doc = json.loads(json.dumps(doc))
    section = next(t for t in doc["tables"] if t["table"] == table)
    fn(section)
    return doc


def _bad_files(doc: dict, text: str) -> dict:
    def duplicate(section):
        section["data"].append(list(section["data"][0]))
        section["rows"] += 1

    def dangling(section):
        section["data"][1][section["columns"].index("depends_on_id")] = "f" * 32

    def wrong_type(section):
        section["data"][0][section["columns"].index("priority")] = "high"

    def not_null(section):
        section["data"][0][section["columns"].index("title")] = None

    def short_row(section):
        section["data"][0] = section["data"][0][:2]

    def forged_audit(section):
        section["data"][3][2] = "mallory"

    without_cycles = json.loads(json.dumps(doc))
    without_cycles["tables"] = [t for t in without_cycles["tables"] if t["table"] != "cycles"]
    newer = json.loads(json.dumps(doc))
    newer["nerv_export"]["schema_version"] = 999
    wrong_version = json.loads(json.dumps(doc))
    wrong_version["nerv_export"]["format_version"] = 7
    return {
        "empty": ("", "empty"),
        "not json": ("this is not json\n", "not valid JSON"),
        "truncated": (text[: len(text) // 2], "not valid JSON"),
        "json list": ("[1, 2, 3]\n", "not a nerv export"),
        "wrong format version": (json.dumps(wrong_version), "format version 7"),
        "newer schema": (json.dumps(newer), "schema version 999"),
        "duplicate id": (json.dumps(_mutate(doc, "tasks", duplicate)), "duplicate id"),
        "dangling reference": (json.dumps(_mutate(doc, "task_deps", dangling)), "does not exist"),
        "wrong type": (json.dumps(_mutate(doc, "tasks", wrong_type)), "priority"),
        "missing value": (json.dumps(_mutate(doc, "tasks", not_null)), "tasks.title"),
        "short row": (json.dumps(_mutate(doc, "tasks", short_row)), "one value per column"),
        "section removed": (json.dumps(without_cycles), "end marker does not match"),
        "forged audit row": (json.dumps(_mutate(doc, "audit_log", forged_audit)), "audit log in the file is broken"),
    }


def test_bad_import_files_change_nothing(cli, tmp_path, db_hash):
    seed_state(projects=1, tasks=3)
    doc = export_doc(cli, tmp_path, "good.json")
    text = (tmp_path / "good.json").read_text()
    cli("import", str(tmp_path / "good.json"))  # the database already holds these rows: merge must still refuse
    before = db_hash()
    for name, (content, expected) in _bad_files(doc, text).items():
        path = tmp_path / f"bad-{name.replace(' ', '-')}.json"
        path.write_text(content)
        for mode in (["--mode", "merge"], ["--mode", "replace", "--yes"]):
            result = cli("import", str(path), *mode)
            assert result.code != 0, name
            assert expected in result.stderr, (name, result.stderr)
            assert_not_a_bug(result)
            assert db_hash() == before, name


def test_bad_rows_are_named_by_line_in_jsonl(cli, tmp_path, db_hash):
    seed_state(projects=1, tasks=3)
    lines = cli("export", "--format", "jsonl").stdout.splitlines()
    index = next(i for i, l in enumerate(lines) if l.startswith('{"table":"tasks"')) + 2
    row = json.loads(lines[index])
    row[9] = "urgent"  # priority
    lines[index] = json.dumps(row)
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    before = db_hash()
    result = cli("import", str(tmp_path / "bad.jsonl"))
    assert result.code == 1 and "priority" in result.stderr and "tasks row" in result.stderr
    truncated = "\n".join(lines[: index + 1]) + "\n"
    (tmp_path / "cut.jsonl").write_text(truncated)
    result = cli("import", str(tmp_path / "cut.jsonl"))
    assert result.code == 1 and "truncated" in result.stderr
    assert db_hash() == before


def test_missing_file_and_directory(cli, tmp_path, db_hash):
    cli("project", "list")
    before = db_hash()
    assert cli("import", str(tmp_path / "nope.json")).code == 1
    assert "directory" in cli("import", str(tmp_path)).stderr
    assert cli("import", str(tmp_path / "nope.json"), "--mode", "sideways").code == 2
    assert db_hash() == before


def test_progress_is_reported_for_every_row(nerv_home, tmp_path):
    from contextlib import contextmanager

    from nerv.services import transfer
    from nerv.store.db import open_store

    seed_state(projects=1, tasks=3)
    seen = {"total": None, "advanced": 0}

    @contextmanager
    def progress(total, description):
        seen["total"] = total

        def advance(n=1):
            seen["advanced"] += n

        yield advance

    store = open_store()
    try:
        summary = transfer.export_state(store, output=tmp_path / "p.json", progress=progress)
    finally:
        store.close()
    assert seen["total"] == seen["advanced"] == summary["rows"] > 0


def test_unknown_project_and_format(cli, tmp_path):
    seed_state(projects=1)
    for args in (("--project", "nope"), ("--format", "xml"), ("--output", str(tmp_path / "missing" / "x.json"))):
        result = cli("export", *args)
        assert result.code == 1, args
        assert_not_a_bug(result)
    assert not (tmp_path / "missing").exists()
