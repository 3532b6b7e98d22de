"""Above the store seam nothing touches a connection: services and the CLI call store areas and `tx`."""

from __future__ import annotations

import ast
from pathlib import Path

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


def test_services_and_cli_never_reach_a_store_connection():
    found = [use for folder in ("services", "cli") for path in sorted((NERV / folder).rglob("*.py"))
             for use in connection_uses(path.read_text(encoding="utf-8"), str(path.relative_to(NERV)))]
    assert found == [], "use a store area method instead (docs/architecture.md, 'The store seam'):\n" + "\n".join(found)


def test_the_check_sees_each_way_of_reaching_a_connection():
    body = ("def f(store, tx, staging, database):\n    store._conn.execute('x')\n    tx.conn\n    staging.conn.close()\n"
            "    database.connection()\n    open_readonly(path)\n    sqlite3.connect(path)\n")
    assert sorted(use.split(": ")[1] for use in connection_uses(body)) == [
        "._conn", ".conn", ".conn", ".connect", ".connection", "open_readonly"]
    assert connection_uses("def f(store):\n    return store.tasks.ready_at('p', 'now')\n") == []
