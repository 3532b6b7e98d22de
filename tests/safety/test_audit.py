"""`nerv audit list|show|verify`: every kind of tampering is found, at the first broken row."""

from __future__ import annotations


import pytest

from tests.conftest import assert_not_a_bug, raw_connection
from tests.safety.seed import seed_state


def _tamper(home, *statements):
    conn = raw_connection(home)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.fixture
def seeded(nerv_home, cli):
    seed_state(projects=1, tasks=3)
    result = cli("audit", "verify", "--json")
    assert result.code == 0, result.stderr
    assert result.data["ok"] and result.data["rows"] > 10
    return nerv_home


def _verify(cli):
    result = cli("audit", "verify", "--json")
    assert result.code == 1
    return result.data["first_broken"]


def test_edited_row_is_found(seeded, cli):
    _tamper(seeded, "UPDATE audit_log SET actor = 'mallory' WHERE id = 9")
    broken = _verify(cli)
    assert broken["id"] == 9 and "edited" in broken["problem"]


def test_edit_with_recomputed_own_hash_breaks_the_next_link(seeded, cli):
    from nerv.store.audit import AUDIT_COLUMNS, row_hash

    conn = raw_connection(seeded)
    row = dict(zip(AUDIT_COLUMNS, conn.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log WHERE id = 9").fetchone()))
    row["actor"] = "mallory"
    conn.execute("UPDATE audit_log SET actor = ?, hash = ? WHERE id = 9", (row["actor"], row_hash(row)))
    conn.commit()
    conn.close()
    broken = _verify(cli)
    assert broken["id"] == 10 and "prev_hash" in broken["problem"]


def test_deleted_row_is_found(seeded, cli):
    _tamper(seeded, "DELETE FROM audit_log WHERE id = 8")
    broken = _verify(cli)
    assert broken["id"] == 9 and "deleted" in broken["problem"]


def test_inserted_row_is_found(seeded, cli):
    _tamper(seeded, "UPDATE audit_log SET id = id + 1000 WHERE id >= 8",
            "UPDATE audit_log SET id = id - 999 WHERE id >= 1008",
            "INSERT INTO audit_log (id, ts, actor, action, entity, prev_hash, hash) "
            "SELECT 8, ts, 'mallory', 'task.add', 'task', hash, 'forged' FROM audit_log WHERE id = 7")
    broken = _verify(cli)
    assert broken["id"] == 8


def test_reordered_rows_are_found(seeded, cli):
    _tamper(seeded, "UPDATE audit_log SET id = -1 WHERE id = 8", "UPDATE audit_log SET id = 8 WHERE id = 9",
            "UPDATE audit_log SET id = 9 WHERE id = -1")
    broken = _verify(cli)
    assert broken["id"] == 8 and "prev_hash" in broken["problem"]


def test_human_output_names_the_row(seeded, cli):
    _tamper(seeded, "UPDATE audit_log SET action = 'x' WHERE id = 5")
    result = cli("audit", "verify")
    assert result.code == 1 and "row 5" in result.stdout


def test_list_filters_and_show(seeded, cli):
    rows = cli("audit", "list", "--entity", "tasks", "--json").data
    assert len(rows) == 3 and all(r["entity"] == "tasks" for r in rows)
    assert rows[0]["id"] > rows[-1]["id"]  # newest first
    one = cli("audit", "list", "--entity", "tasks", "--id", rows[0]["entity_id"][:10], "--json").data
    assert [r["id"] for r in one] == [rows[0]["id"]]
    assert cli("audit", "list", "--actor", "nobody", "--json").data == []
    assert len(cli("audit", "list", "--actor", "tester", "--since", "1d", "--json").data) > 5
    assert cli("audit", "list", "--since", "2999-01-01", "--json").data == []
    shown = cli("audit", "show", str(rows[0]["id"]), "--json").data
    assert shown["after"]["title"] and len(shown["hash"]) == 64


def test_bad_input(seeded, cli, db_hash):
    before = db_hash()
    for args in (("audit", "show", "99999"), ("audit", "list", "--since", "yesterday-ish"),
                 ("audit", "list", "--limit", "0"), ("audit", "show", "abc")):
        result = cli(*args)
        assert result.code != 0
        assert_not_a_bug(result)
    assert db_hash() == before
