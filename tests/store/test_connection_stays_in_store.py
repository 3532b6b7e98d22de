"""Above the store seam nothing touches a connection: services and the CLI call store areas and `tx`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

NERV = Path(__file__).resolve().parents[2] / "nerv"
# How a connection is reached: Store._conn, WriteTx.conn, Staging.conn, the ORM's _nerv_conn, peewee's
# connection(); and how one is opened (open_store and open_readonly_store give a Store instead).
CONNECTION_ATTRIBUTES = {"conn", "_conn", "_nerv_conn", "connection"}
CONNECTION_OPENERS = {"open_readonly", "open_connection", "open_migrated_connection", "connect"}


def connection_uses(source: str, filename: str = "<source>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES | CONNECTION_OPENERS:
            found.append(f"{filename}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in CONNECTION_OPENERS:
            found.append(f"{filename}:{node.lineno}: {node.id}")
    return found


def above_the_store(check) -> list[str]:
    """What `check(source, filename)` finds in every module of nerv/services and nerv/cli."""
    return [use for folder in ("services", "cli") for path in sorted((NERV / folder).rglob("*.py"))
            for use in check(path.read_text(encoding="utf-8"), str(path.relative_to(NERV)))]


def test_the_check_sees_each_way_of_reaching_a_connection():
    body = ("def f(store, tx, staging, database):\n    store._conn.execute('x')\n    tx.conn\n    staging.conn.close()\n"
            "    database.connection()\n    open_readonly(path)\n    sqlite3.connect(path)\n")
    assert sorted(use.split(": ")[1] for use in connection_uses(body)) == [
        "._conn", ".conn", ".conn", ".connect", ".connection", "open_readonly"]
    assert connection_uses("def f(store):\n    return store.tasks.ready_at('p', 'now')\n") == []


# A driver named above the store: its exceptions, types or module. The store raises NervError codes instead
# (nerv.store.sqlite.as_nerv_errors / explain_failure, nerv.store.postgres.explain_error).
DRIVER_MENTION = re.compile(r"\bsqlite3\.|\bpsycopg2?\b|^\s*(?:import|from)\s+sqlite3\b", re.MULTILINE)


def driver_mentions(source: str, filename: str = "<source>") -> list[str]:
    return [f"{filename}:{source.count(chr(10), 0, m.start()) + 1}: {m.group().strip()}"
            for m in DRIVER_MENTION.finditer(source)]


@pytest.mark.parametrize("check,instead", [
    (connection_uses, "use a store area method instead (docs/architecture.md, 'The store seam')"),
    (driver_mentions, "catch the NervError code the store raises (docs/architecture.md)")])
def test_services_and_cli_never_reach_a_connection_or_name_a_driver(check, instead):
    found = above_the_store(check)
    assert found == [], f"{instead}:\n" + "\n".join(found)


def test_the_driver_check_sees_each_way_of_naming_one():
    body = ("import sqlite3\nfrom sqlite3 import Error\ntry:\n    x()\nexcept sqlite3.Error:\n    pass\n"
            "import psycopg2\nerr = psycopg.errors.UniqueViolation\n")
    assert [use.split(": ")[0] for use in driver_mentions(body)] == [
        "<source>:1", "<source>:2", "<source>:5", "<source>:7", "<source>:8"]
    assert driver_mentions('# `python -c "import sqlite3"` costs 20 ms\nstore.admin.health()\n') == []
