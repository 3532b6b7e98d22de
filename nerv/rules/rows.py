"""What an approval_rules row's derived columns must be, and the check bulk ways in run. Stdlib only.

The hook picks candidate rules by `tool` and `literal_prefix` in SQL before it parses anything, so a row
whose derived columns disagree with its text can hide a deny. Those columns are therefore never taken
from input: `nerv rule add`, settings imports and `--remember` build rows with `derived_columns`, and
`nerv import` (its staging database) and `nerv db restore` (its scratch copy) run `reconcile` before a
single row reaches the live database (on PostgreSQL `db restore` checks the dump's texts with
`refuse_unparsable` first and reconciles in the transaction that records the restore). The rows are read and rewritten by the store's rule area
(nerv.store.rule_area.RuleArea: `derived_rows`, `rewrite_derived`), which only runs the SQL.
"""

from __future__ import annotations

from nerv.errors import NervError
from nerv.rules.grammar import RuleError, parse_rule

MAX_LISTED = 10


def derived_columns(rule) -> dict:
    """The columns computed from a parsed rule (`nerv.rules.Rule`)."""
    return {"tool": rule.tool, "pattern": rule.specifier, "literal_prefix": rule.literal_prefix}


def rule_problem(err: RuleError, **row) -> dict:
    """A refused rule as reported in JSON: who it was, the 1-based position and what is wrong."""
    return {**row, "rule": err.text, "position": err.position + 1, "problem": err.message}


def reconcile(rules, source: str, refused_verb: str) -> list[dict]:
    """Recompute every stored row's derived columns from its text, in place; returns the rows that changed
    (`{id, rule, columns: {name: {stored, derived}}}`).

    `rules` is a RuleArea on the database being checked. Raises NervError('invalid') listing every row whose
    text does not parse; nothing is rewritten then. Columns an older schema lacks are not compared (its
    migration adds them empty, which the hook treats as "always a candidate").
    """
    bad, fixes = _judge(rules.derived_rows())
    if bad:
        raise refused(bad, source, refused_verb)
    rules.rewrite_derived([(fix["id"], {c: v["derived"] for c, v in fix["columns"].items()}) for fix in fixes])
    return fixes


def refuse_unparsable(rows: list[dict], source: str, refused_verb: str) -> None:
    """Raise NervError('invalid') listing every row (as RuleArea.derived_rows gives them) whose text does not
    parse: what a PostgreSQL restore checks in the dump before it writes anything."""
    bad, _ = _judge(rows)
    if bad:
        raise refused(bad, source, refused_verb)


def _judge(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(rows whose text does not parse, fixes of the derived columns that disagree with their text)."""
    bad, fixes = [], []
    for row in rows:
        try:
            wanted = derived_columns(parse_rule(row["rule"]))
        except RuleError as err:
            bad.append(rule_problem(err, id=row["id"], action=row["action"]))
            continue
        changed = {column: {"stored": stored, "derived": wanted[column]}
                   for column, stored in row["derived"].items() if stored != wanted[column]}
        if changed:
            fixes.append({"id": row["id"], "rule": row["rule"], "columns": changed})
    return bad, fixes


def refused(problems: list[dict], source: str, verb: str) -> NervError:
    listed = "; ".join(f"#{p['id']} {p['action']} {p['rule']!r} (position {p['position']}: {p['problem']})"
                       for p in problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return NervError("invalid", f"{len(problems)} approval rule(s) in {source} do not parse, so nothing was "
                                f"{verb}: {listed}{more}",
                     "fix or delete those approval_rules rows in the source; `nerv rule add` shows "
                     "where a rule goes wrong", details={"problems": problems})
