"""Dependencies (cycle refusal, tree) and the ready queue (which tasks, in which order)."""

from __future__ import annotations

from tests.conftest import sqlite_only


def test_dep_add_rm_and_tree(cli, add_task):
    for title in ("App", "Api", "Db", "Docs"):
        add_task(title)
    assert cli("task", "dep", "add", "1", "2").code == 0
    assert cli("task", "dep", "add", "2", "3").code == 0
    assert cli("task", "dep", "add", "1", "4", "--type", "related").code == 0
    assert cli("task", "dep", "add", "1", "3").code == 0  # diamond: #3 reached twice
    tree = cli("task", "dep", "tree", "1", "--json").data
    assert tree["ref"] == "#1"
    assert [(c["ref"], c["dep_type"]) for c in tree["children"]] == [("#2", "blocks"), ("#3", "blocks"),
                                                                      ("#4", "related")]
    assert tree["children"][0]["children"][0]["ref"] == "#3"
    human = cli("task", "dep", "tree", "1").stdout
    assert "└─ #4 Docs [todo] (related)" in human and "#3 Db [todo]" in human
    duplicate = cli("task", "dep", "add", "1", "2", "--json")
    assert duplicate.code == 1 and "already depends" in duplicate.error["message"]
    assert cli("task", "dep", "rm", "1", "2").code == 0
    assert cli("task", "dep", "rm", "1", "2").code == 1
    assert [c["ref"] for c in cli("task", "dep", "tree", "1", "--json").data["children"]] == ["#3", "#4"]


def test_self_dependency_and_cycles_are_refused_showing_the_cycle(cli, add_task, db_hash):
    for title in ("a", "b", "c"):
        add_task(title)
    cli("task", "dep", "add", "1", "2")
    cli("task", "dep", "add", "2", "3")
    before = db_hash()
    self_dep = cli("task", "dep", "add", "2", "2", "--json")
    assert self_dep.code == 1 and "#2 -> #2" in self_dep.error["message"]
    cycle = cli("task", "dep", "add", "3", "1", "--json")
    assert cycle.code == 1 and cycle.error["code"] == "conflict"
    assert "#3 -> #1 -> #2 -> #3" in cycle.error["message"]
    assert cycle.error["details"] == {"cycle": [3, 1, 2, 3]}
    assert db_hash() == before
    # A related link is not an ordering, so it may point back.
    assert cli("task", "dep", "add", "3", "1", "--type", "related").code == 0


def test_ready_excludes_blocked_held_and_closed_and_orders_by_priority_then_age(cli, add_task):
    add_task("old p2")                                  # 1 ready
    add_task("urgent", "-p", "0")                       # 2 ready, first
    add_task("waits on 1", "--depends-on", "1")        # 3 not ready until 1 done
    add_task("related only")                            # 4 ready: related does not block
    cli("task", "dep", "add", "4", "1", "--type", "related")
    add_task("held")                                    # 5 in progress
    cli("task", "start", "5")
    add_task("cancelled")                               # 6
    cli("task", "cancel", "6")
    add_task("new p2")                                  # 7 ready, after 1 and 4 (younger)
    refs = [r["number"] for r in cli("task", "ready", "--json").data]
    assert refs == [2, 1, 4, 7]
    assert cli("task", "next", "--json").data["number"] == 2
    assert [r["number"] for r in cli("task", "list", "--ready", "--json").data] == refs
    cli("task", "done", "1")
    assert 3 in [r["number"] for r in cli("task", "ready", "--json").data]
    cli("task", "reopen", "1")
    assert 3 not in [r["number"] for r in cli("task", "ready", "--json").data]


def test_a_cancelled_blocker_still_blocks(cli, add_task):
    add_task("dropped")
    add_task("after", "--depends-on", "1")
    cli("task", "cancel", "1")
    assert [r["number"] for r in cli("task", "ready", "--json").data] == []


def test_next_exits_1_when_nothing_is_ready(cli, project):
    result = cli("task", "next", "--json")
    assert result.code == 1 and result.error["code"] == "nothing_ready"
    assert cli("task", "ready", "--json").data == []


@sqlite_only  # SQLite's query plan: PostgreSQL's planner chooses by its own statistics
def test_ready_query_is_the_sql_module_and_uses_its_indexes(cli, add_task, raw_db):
    add_task("x")
    from nerv.store import queries_tasks

    plan = " ".join(r[3] for r in raw_db.execute("EXPLAIN QUERY PLAN " + queries_tasks._READY_SQL["sqlite"],
                                                 {"project": "p", "now": "z", "limit": 1}))
    assert "ix_task_deps_task_type" in plan and "ix_tasks_id_status" in plan, plan
    assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan
