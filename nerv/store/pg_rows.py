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
    parts = []
    for value in row:
        kind = type(value)
        if value is None:
            parts.append("NULL")
        elif kind is str:
            if "\x00" in value:
                return None
            parts.append("'" + value.replace("'", "''") + "'")
        elif kind is int or kind is bool:
            parts.append(str(int(value)))
        elif kind is float and -_INFINITY < value < _INFINITY:
            parts.append(repr(value))
        else:
            return None
    return "(" + ",".join(parts) + ")"


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
        fields = []
        for value, takes_float in zip(row, float_columns):
            kind = type(value)
            if value is None:
                fields.append("\\N")
            elif kind is str:
                if "\x00" in value:
                    return None
                fields.append(value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
                              .replace("\t", "\\t"))
            elif kind is int or kind is bool:
                fields.append(str(int(value)))
            elif kind is float and takes_float and -_INFINITY < value < _INFINITY:
                fields.append(repr(value))
            else:
                return None
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"
