"""Rows rendered for PostgreSQL's bulk inserts (nerv.store.postgres.PgConnection.executemany): as SQL
literals for a multi-row INSERT, and in COPY's text format for a plain one. Stdlib only.

Both render exactly what the driver would send, or give None for a value they leave to it (another type
than None, int, bool, float or str; a NUL byte, which the driver refuses; a float that is not finite), so a
caller falls back to the driver. bool is 0/1, as nerv's adapter sends it (postgres._register_adapters).
"""

from __future__ import annotations

import re

PLAIN_ROW = re.compile(r"^\(\s*%s(?:\s*,\s*%s)*\s*\)$")  # a VALUES row of placeholders only
_INSERT_HEAD = re.compile(r'^\s*INSERT\s+INTO\s+("[^"]+"|[A-Za-z_][\w.]*)\s*\(([^()]*)\)\s*VALUES\s*$',
                          re.IGNORECASE)
_INFINITY = float("inf")


def literals(row) -> str | None:
    """`(v1, v2, ...)` as SQL literals, as the driver renders them with standard_conforming_strings on (a quote
    doubled, a backslash as it is)."""
    parts = [_rendered(value, _quoted, "NULL", True) for value in row]
    return None if None in parts else "(" + ",".join(parts) + ")"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _rendered(value, text, null: str, takes_float: bool) -> str | None:
    """One value in the form `text` gives strings and `null` gives NULL; None for one left to the driver."""
    kind = type(value)
    if value is None:
        return null
    if kind is str:
        return None if "\x00" in value else text(value)
    if kind is int or kind is bool:
        return str(int(value))
    if kind is float and takes_float and -_INFINITY < value < _INFINITY:
        return repr(value)
    return None


def copy_target(head: str, row_template: str, tail: str) -> tuple[str, list[str]] | None:
    """(table, its column list) of `INSERT INTO table (columns) VALUES (%s, ...)` with nothing after the row,
    which COPY can take; else None (an ON CONFLICT or RETURNING tail, an expression in the row)."""
    match = _INSERT_HEAD.match(head)
    if tail.strip() or match is None or not PLAIN_ROW.match(row_template):
        return None
    columns = [column.strip() for column in match.group(2).split(",")]
    return (match.group(1), columns) if len(columns) == row_template.count("%s") else None


def copy_text(rows, width: int, float_columns: list[bool]) -> str | None:
    """`rows` in COPY's text format (tab-separated, `\\N` for NULL, backslash escapes), or None when a value is
    not one COPY reads as INSERT would: besides literals' cases, a float into a column that is not floating
    point (INSERT rounds 1.5 into an integer, COPY refuses it), or a row of another width than the columns."""
    lines = []
    for row in rows:
        if len(row) != width:
            return None
        fields = [_rendered(value, _copy_escaped, "\\N", takes_float) for value, takes_float in zip(row, float_columns)]
        if None in fields:
            return None
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"
