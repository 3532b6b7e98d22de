"""The matcher corpus (tests/approvals/corpus/): every case through `evaluate` and through the real SQL
candidate filter, then the corpus as a whole (size, ids, cites, zero false allows).

Rerun one case: pytest tests/approvals/test_corpus.py -k 'bash-comment-1]'
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nerv.rules import StoredRule, evaluate, make_context, parse_rule
from nerv.rules.grammar import RuleError
from tests.approvals.corpus import EXPECTATIONS, TOPICS, load

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database

CASES = load()
IDS = [case["id"] for case in CASES]
DEFAULTS = {"cwd": "/work/repo", "root": "/work/repo", "home": "/home/ann"}
KEYS = {"id", "rules", "tool", "input", "expect", "cite", "topic", "cwd", "root", "home", "sources", "fs"}
MIN_CASES = 600


# ---- one case -------------------------------------------------------------------------------------

def _substitute(value, tmp: str):
    """`{tmp}` replaced everywhere in the case; `//{tmp}` in a rule stays a `//` absolute pattern."""
    if isinstance(value, str):
        return value.replace("//{tmp}", "/" + tmp).replace("{tmp}", tmp)
    if isinstance(value, list):
        return [_substitute(v, tmp) for v in value]
    if isinstance(value, dict):
        return {_substitute(k, tmp): _substitute(v, tmp) for k, v in value.items()}
    return value


def _build_fs(spec: dict, tmp: Path) -> None:
    """`path: "file" | "dir" | "symlink:TARGET"` under tmp; links last, so their targets exist."""
    for path, kind in sorted(spec.items(), key=lambda item: item[1].startswith("symlink:")):
        where = tmp / path
        where.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            where.write_text("x", encoding="utf-8")
        elif kind == "dir":
            where.mkdir(parents=True, exist_ok=True)
        elif kind.startswith("symlink:"):
            os.symlink(kind[len("symlink:"):], where)
        else:
            raise ValueError(f"unknown fs entry {path}: {kind}")


def prepared(case: dict, tmp_path: Path | None) -> dict:
    """The case with defaults filled in, `{tmp}` replaced and its filesystem built."""
    found = {**DEFAULTS, **case}
    if "fs" in case or "{tmp}" in repr(case):
        if tmp_path is None:
            raise ValueError(f"{case['id']} needs a temporary folder")
        tmp = tmp_path.resolve()
        found = _substitute(found, str(tmp))
        _build_fs(found.get("fs", {}), tmp)
    return found


def _stored(rule, action: str, index: int, source: str) -> StoredRule:
    try:
        return StoredRule(rule, action, index, source=source)
    except TypeError:  # a StoredRule without `source` yet
        return StoredRule(rule, action, index)


def rule_entries(case: dict) -> list[tuple[str, str, str]]:
    """(action, text, source) in evaluation order; source from "sources" by "action:text" or text, else cli."""
    sources = case.get("sources", {})
    return [(action, text, sources.get(f"{action}:{text}", sources.get(text, "cli")))
            for action in ("deny", "ask", "allow") for text in case["rules"].get(action, [])]


def stored_rules(case: dict) -> tuple[list[StoredRule], list[str]]:
    """The case's rules as nerv stores them; a rule nerv refuses to parse is left out (never stored)."""
    kept, refused = [], []
    for index, (action, text, source) in enumerate(rule_entries(case), start=1):
        try:
            kept.append(_stored(parse_rule(text), action, index, source))
        except RuleError as err:
            refused.append(f"{action} {text}: {err}")
    return kept, refused


def context(case: dict):
    return make_context(case["cwd"], root=case["root"], home=case["home"])


def satisfied(expect: str, decision: str) -> bool:
    return decision in ("ask", "none") if expect == "not-allow" else decision == expect


def _short(value, limit: int = 400) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def explain(case: dict, match, refused: list[str], how: str) -> str:
    lines = [f"{case['id']} ({case['topic']}, {how}): expected {case['expect']}, got {match.decision}",
             f"  tool {case['tool']} input {_short(case['input'])}",
             f"  cwd {case['cwd']} root {case['root']} home {case['home']}",
             f"  rules {case['rules']}" + (f" sources {case['sources']}" if case.get("sources") else ""),
             f"  cite: {case['cite']}",
             f"  nerv: {_short(match.to_dict())}"]
    if refused:
        lines.append(f"  refused by parse_rule (left out): {refused}")
    return "\n".join(lines)


def decide(case: dict):
    rules, refused = stored_rules(case)
    return evaluate(rules, case["tool"], case["input"], context(case)), refused


# ---- the same through the SQL candidate filter ---------------------------------------------------------

class RuleStore:
    """One real nerv database for the module; it holds one case's rules at a time (global rules)."""

    def __init__(self, path: Path):
        from nerv.store.db import open_store

        self.store = open_store(path)
        self.loaded = None

    def load(self, entries: list[tuple[str, str, str]]) -> list[str]:
        key = tuple(entries)
        if key == self.loaded:
            return self.refused
        rows, refused = [], []
        for action, text, source in entries:
            try:
                rule = parse_rule(text)
            except RuleError as err:
                refused.append(f"{action} {text}: {err}")
                continue
            rows.append({**_derived(rule), "rule": rule.text, "action": action, "source": source})

        def body(tx):
            tx.conn.execute("DELETE FROM approval_rules")
            tx.conn.executemany("INSERT INTO approval_rules (tool, pattern, rule, action, literal_prefix, source,"
                                " created_at) VALUES (:tool, :pattern, :rule, :action, :literal_prefix, :source,"
                                " '2026-01-01T00:00:00.000000Z')", rows)
            tx.audit("corpus.rules", "rule", None, after={"count": len(rows)})

        self.store.write(body)
        self.loaded, self.refused = key, refused
        return refused

    def decide(self, case: dict):
        from nerv.rules.candidates import candidate_rules

        refused = self.load(rule_entries(case))
        rules = candidate_rules(self.store.rules, case["tool"], case["input"], None)
        return evaluate(rules, case["tool"], case["input"], context(case)), refused


def _derived(rule) -> dict:
    try:
        from nerv.rules.rows import derived_columns
    except ImportError:
        return {"tool": rule.tool, "pattern": rule.specifier, "literal_prefix": rule.literal_prefix}
    return derived_columns(rule)


@pytest.fixture(scope="module")
def rule_store(tmp_path_factory):
    store = RuleStore(tmp_path_factory.mktemp("corpus-db") / "state.db")
    yield store
    store.store.close()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case(case, rule_store, tmp_path):
    """The case through `evaluate` on all its rules, and through the SQL candidate filter then `evaluate`:
    each way must give the expected decision (one test per case for both: half the items to run)."""
    case = prepared(case, tmp_path)
    wrong = []
    for how, decide_case in (("evaluate", decide), ("SQL candidates + evaluate", rule_store.decide)):
        match, refused = decide_case(case)
        if not satisfied(case["expect"], match.decision):
            wrong.append(explain(case, match, refused, how))
    assert not wrong, "\n".join(wrong)


# ---- the corpus as a whole ---------------------------------------------------------------------------------

def _shape_problems() -> list[str]:
    problems = []
    seen = set()
    for case in CASES:
        cid = case.get("id")
        if not isinstance(cid, str) or not cid:
            problems.append(f"a case without an id: {case!r}"[:200])
            continue
        if cid in seen:
            problems.append(f"{cid}: id used twice")
        seen.add(cid)
        if not isinstance(case.get("cite"), str) or not case["cite"].strip():
            problems.append(f"{cid}: no cite")
        if case.get("expect") not in EXPECTATIONS:
            problems.append(f"{cid}: expect {case.get('expect')!r} is not one of {EXPECTATIONS}")
        if case.get("topic") not in TOPICS:
            problems.append(f"{cid}: unknown topic {case.get('topic')!r}")
        if set(case) - KEYS:
            problems.append(f"{cid}: unknown keys {sorted(set(case) - KEYS)}")
        rule_set = case.get("rules")
        if not isinstance(rule_set, dict) or set(rule_set) - {"allow", "ask", "deny"}:
            problems.append(f"{cid}: rules must be a dict of allow/ask/deny lists")
        if not isinstance(case.get("tool"), str) or not case["tool"]:
            problems.append(f"{cid}: no tool")
    return problems


def test_corpus_is_large_well_formed_and_has_zero_false_allows(rule_store, tmp_path_factory):
    problems = _shape_problems()
    if len(CASES) < MIN_CASES:
        problems.append(f"{len(CASES)} cases, fewer than {MIN_CASES}")
    false_allows = []
    for case in CASES:
        if case.get("expect") == "allow":
            continue
        folder = tmp_path_factory.mktemp("case") if ("fs" in case or "{tmp}" in repr(case)) else None
        ready = prepared(case, folder)
        for how, run in (("evaluate", lambda: decide(ready)), ("SQL", lambda: rule_store.decide(ready))):
            try:
                match, refused = run()
            except Exception:  # a crash is not an allow; test_case and test_case_through_sql report it
                continue
            if match.decision == "allow":
                false_allows.append(f"{case['id']} ({case['topic']}, {how}): expected {case['expect']}, allowed by "
                                    f"{match.rule} -- {case['tool']} {_short(ready['input'], 160)}")
    message = []
    if false_allows:
        message.append(f"{len(false_allows)} FALSE ALLOWS (details: rerun test_case[<id>]):\n" + "\n".join(false_allows))
    if problems:
        message.append(f"{len(problems)} problems:\n" + "\n".join(problems))
    assert not message, "\n\n".join(message)
