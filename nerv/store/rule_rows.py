"""approval_rules rows: the one definition of their derived columns, and the check bulk ways in run. Stdlib only.

The hook picks candidate rules by `tool` and `literal_prefix` in SQL before it parses anything, so a row
whose derived columns disagree with its text can hide a deny. Those columns are therefore never taken
from input: `nerv rule add`, settings imports and `--remember` build rows with `derived_columns`, and
`nerv import` (its staging database) and `nerv db restore` (its scratch copy) run `reconcile` before a
single row reaches the live database.
"""

from __future__ import annotations

import sqlite3

from nerv.errors import NervError
from nerv.store import dialect
from nerv.rules import RuleError, parse_rule

TABLE = "approval_rules"
DERIVED = ("tool", "pattern", "literal_prefix")
MAX_LISTED = 10


def derived_columns(rule) -> dict:
    """The columns computed from a parsed rule (`nerv.rules.Rule`)."""
    return {"tool": rule.tool, "pattern": rule.specifier, "literal_prefix": rule.literal_prefix}


def rule_problem(err: RuleError, **row) -> dict:
    """A refused rule as reported in JSON: who it was, the 1-based position and what is wrong."""
    return {**row, "rule": err.text, "position": err.position + 1, "problem": err.message}


def reconcile(conn: sqlite3.Connection, source: str, refused_verb: str) -> list[dict]:
    """Recompute every row's derived columns from its text, in place; returns the rows that changed.

    Raises NervError('invalid') listing every row whose text does not parse; nothing is updated then.
    Columns an older schema lacks are skipped (its migration adds them empty, which the hook treats
    as "always a candidate").
    """
    columns = set(dialect.functions(conn).table_columns(conn, TABLE))
    if not columns:
        return []
    derived = [c for c in DERIVED if c in columns]
    rows = conn.execute(f"SELECT id, action, rule, {', '.join(derived)} FROM {TABLE} ORDER BY id").fetchall()
    bad, fixes = [], []
    for rule_id, action, text, *stored in rows:
        try:
            wanted = derived_columns(parse_rule(text))
        except RuleError as err:
            bad.append(rule_problem(err, id=rule_id, action=action))
            continue
        changed = {c: {"stored": s, "derived": wanted[c]} for c, s in zip(derived, stored) if s != wanted[c]}
        if changed:
            fixes.append({"id": rule_id, "rule": text, "columns": changed})
    if bad:
        raise refused(bad, source, refused_verb)
    _write_fixes(conn, fixes)
    return fixes


def refused(problems: list[dict], source: str, verb: str) -> NervError:
    listed = "; ".join(f"#{p['id']} {p['action']} {p['rule']!r} (position {p['position']}: {p['problem']})"
                       for p in problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return NervError("invalid", f"{len(problems)} approval rule(s) in {source} do not parse, so nothing was "
                                f"{verb}: {listed}{more}",
                     "fix or delete those approval_rules rows in the source; `nerv rule add` shows "
                     "where a rule goes wrong", details={"problems": problems})


def _write_fixes(conn: sqlite3.Connection, fixes: list[dict]) -> None:
    if not fixes:
        return
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        for fix in fixes:
            names = list(fix["columns"])
            conn.execute(f"UPDATE {TABLE} SET {', '.join(f'{c} = ?' for c in names)} WHERE id = ?",
                         [fix["columns"][c]["derived"] for c in names] + [fix["id"]])
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
