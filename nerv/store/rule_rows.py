"""approval_rules rows' derived columns as stored: read them, rewrite them. Stdlib only.

What the columns must be is nerv.rules.rows (the rule parser's to say); this module only runs the SQL,
on whichever database it is given (the live one, import's staging file, restore's scratch copy).
"""

from __future__ import annotations

import sqlite3

from nerv.store import dialect

TABLE = "approval_rules"
DERIVED = ("tool", "pattern", "literal_prefix")


def derived_rows(conn: sqlite3.Connection) -> list[dict]:
    """Every row's id, action, text and the derived columns this schema has (`{name: stored value}`)."""
    columns = set(dialect.functions(conn).table_columns(conn, TABLE))
    if not columns:
        return []
    derived = [c for c in DERIVED if c in columns]
    rows = conn.execute(f"SELECT id, action, rule, {', '.join(derived)} FROM {TABLE} ORDER BY id").fetchall()
    return [{"id": rule_id, "action": action, "rule": text, "derived": dict(zip(derived, stored))}
            for rule_id, action, text, *stored in rows]


def dump_rows(path) -> list[dict]:
    """derived_rows of the approval_rules data in the pg_dump at `path` (read with pg_restore, nothing restored);
    the derived columns are not read: a restore recomputes them in the database."""
    from nerv.store.postgres import dump_table_rows

    columns, rows = dump_table_rows(path, TABLE, "db restore")
    if not {"id", "action", "rule"} <= set(columns):
        return []
    return sorted(({"id": row["id"], "action": row["action"], "rule": row["rule"], "derived": {}} for row in rows),
                  key=lambda row: row["id"])


def rewrite_derived(conn: sqlite3.Connection, changes: list[tuple[int, dict]]) -> None:
    """Set the given derived columns of the given rows, all or none."""
    if not changes:
        return
    unknown = {name for _, columns in changes for name in columns} - set(DERIVED)
    if unknown:  # the names go into the SQL text

        raise ValueError(f"not a derived column of {TABLE}: {sorted(unknown)}")
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        for rule_id, columns in changes:
            names = list(columns)
            conn.execute(f"UPDATE {TABLE} SET {', '.join(f'{c} = ?' for c in names)} WHERE id = ?",
                         [columns[c] for c in names] + [rule_id])
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
