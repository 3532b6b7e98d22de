"""The hook daemon's replica keeps the parsed deny and ask rules of a frozen set of rows
(nerv.rules.candidates._kept_deny_ask): it must give exactly the candidates, the order, the refusal of a broken
rule and so the decisions the live lookup gives, whatever the call."""

from __future__ import annotations

import pytest

from nerv.hook.pretool import rule_match
from nerv.rules import parse_rule
from nerv.rules.candidates import BrokenRule, candidate_rules
from nerv.store import queries_hook_cache as q
from nerv.store.rule_area import RuleArea

RULES = [("Bash(rm *)", "deny", None), ("Bash(git push *)", "ask", None), ("Bash(npm test *)", "allow", None),
         ("Bash(make deploy*)", "deny", "p1"), ("Bash(make *)", "allow", "p1"), ("Read(./secrets/**)", "deny", None),
         ("Edit(./src/**)", "allow", None), ("WebFetch(domain:example.com)", "allow", None),
         ("WebFetch(domain:evil.example)", "deny", None), ("mcp__github__*", "allow", None),
         ("mcp__github__delete_repo", "ask", None), ("Bash", "ask", "p2"), ("Write(/etc/**)", "deny", None),
         ("Agent(reviewer)", "deny", None)]
# Rows no parser reads: a broken deny about Bash refuses Bash calls only; a broken allow is never a candidate.
BROKEN = [("Bash(curl *", "deny", None), ("Read(", "allow", None), ("WebFetch(domain:)", "ask", "p1")]
CALLS = [("Bash", {"command": c}) for c in ("npm test -q", "rm -rf /", "git push origin main", "make deploy",
                                             "make build", "cat secrets/key && npm test", "echo hi > src/x.py",
                                             "ls")] + \
        [("Read", {"file_path": "/repo/secrets/a"}), ("Edit", {"file_path": "/repo/src/a.py"}),
         ("Write", {"file_path": "/etc/passwd", "content": "x"}), ("WebFetch", {"url": "https://evil.example/"}),
         ("WebFetch", {"url": "https://example.com/a"}), ("mcp__github__delete_repo", {}),
         ("mcp__github__list", {}), ("Agent", {"subagent_type": "reviewer"}), ("Glob", {"pattern": "*"})]


def ledgers(rows: list[tuple]):
    body = {"rules": [], "settings": [], "projects": [["p1", "one"], ["p2", "two"]], "repos": []}
    for number, (text, action, project) in enumerate(rows, 1):
        try:
            rule = parse_rule(text)
            tool, pattern, prefix = rule.tool, rule.specifier, rule.literal_prefix
        except Exception:
            tool, pattern, prefix = text.split("(")[0], None, None
        body["rules"].append([number, project, tool, pattern, text, action, "test", prefix])
    return q.memory_ledger(body), q.memory_ledger(body, shared=True)


def candidates(conn, tool, tool_input, project):
    try:
        return [(s.id, s.rule.text, s.action) for s in candidate_rules(RuleArea(conn), tool, tool_input, project)]
    except BrokenRule as err:
        return ("broken", err.rule_id, str(err))


@pytest.mark.parametrize("rows", [RULES, RULES + BROKEN], ids=["readable", "with broken rows"])
def test_frozen_rows_give_the_live_candidates_and_decisions(rows):
    live, frozen = ledgers(rows)
    assert RuleArea(live).kept() is None and RuleArea(frozen).kept() == {}
    broken_seen = False
    # The second round is answered from what the first kept; projects take turns on the same rows.
    for project, tool, tool_input in [(p, *call) for _ in range(2) for call in CALLS for p in (None, "p1", "p2")]:
        expected = candidates(live, tool, tool_input, project)
        assert candidates(frozen, tool, tool_input, project) == expected, (tool, tool_input)
        broken_seen |= expected[0] == "broken"
        if expected[0] != "broken":
            root = {"id": project, "repo_path": "/repo"} if project else None
            want = rule_match(live, tool, tool_input, "/repo", root)
            got = rule_match(frozen, tool, tool_input, "/repo", root)
            assert (got.decision, got.rule_id, got.reason) == (want.decision, want.rule_id, want.reason)
    assert broken_seen == (rows is not RULES)  # the broken deny about Bash refuses Bash calls
    assert RuleArea(frozen).kept()  # something was kept


def test_a_rule_keeps_what_it_works_out_and_stays_the_same_rule():
    rule = parse_rule("Bash(npm test *)")
    assert rule.literal_prefix == "npm test" and rule.literal_prefix == "npm test"
    from nerv.rules.grammar import parameter_condition

    condition = parse_rule("Bash(timeout: 5*)")
    assert parameter_condition(condition) == parameter_condition(condition) == ("timeout", "5*")
    assert parameter_condition(rule) is None and parse_rule("Read(./a)").literal_prefix is None
