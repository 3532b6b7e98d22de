"""The hook never trusts what it cannot read: hand-edited rule rows, broken rules, huge commands."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import raw_connection

from tests.hooks.test_hook_events import bash_call, decision, payload


def edit_table(nerv_home, sql, params=()):
    conn = raw_connection(nerv_home)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


@pytest.fixture
def rules(cli):
    cli("rule", "add", "Bash(npm test *)", "--action", "allow")
    cli("rule", "add", "Bash(rm *)", "--action", "deny")
    cli("rule", "add", "Read(./.env)", "--action", "deny")


@pytest.mark.parametrize("column,value", [("literal_prefix", "zzz"), ("tool", "WebFetch"), ("pattern", None)])
def test_a_deny_whose_derived_columns_lie_still_denies(proc, rules, nerv_home, column, value):
    edit_table(nerv_home, f"UPDATE approval_rules SET {column} = ? WHERE rule = 'Bash(rm *)'", (value,))
    verdict, reason = decision(proc("hook", "pre-tool-use", stdin=bash_call("npm test && rm -rf build")))
    assert verdict == "deny" and "Bash(rm *)" in reason


def test_an_unreadable_deny_fails_safe_for_the_calls_it_could_cover(proc, rules, nerv_home):
    edit_table(nerv_home, "UPDATE approval_rules SET rule = 'Bash(rm *' WHERE rule = 'Bash(rm *)'")
    verdict, reason = decision(proc("hook", "pre-tool-use", stdin=bash_call("npm test")))
    assert verdict == "ask" and "does not parse" in reason
    fetch = payload("PreToolUse", tool_name="WebFetch", tool_input={"url": "https://example.com/"}, tool_use_id="t")
    assert proc("hook", "pre-tool-use", stdin=fetch).stdout.strip() in ("", "{}") or \
        decision(proc("hook", "pre-tool-use", stdin=fetch))[0] != "allow"


def test_an_unreadable_deny_answers_deny_when_on_error_says_so(cli, proc, rules, nerv_home):
    cli("settings", "set", "hook.on_error", "deny")
    edit_table(nerv_home, "UPDATE approval_rules SET rule = 'Read(./[z-a]' WHERE rule = 'Read(./.env)'")
    verdict, _ = decision(proc("hook", "pre-tool-use", stdin=bash_call("npm test")))
    assert verdict == "deny"


def test_an_unreadable_allow_only_fails_to_approve(proc, rules, nerv_home):
    edit_table(nerv_home, "UPDATE approval_rules SET rule = 'Bash(npm test *' WHERE rule = 'Bash(npm test *)'")
    result = proc("hook", "pre-tool-use", stdin=bash_call("npm test"))
    assert result.code == 0
    if result.stdout.strip():
        assert decision(result)[0] != "allow"
    assert decision(proc("hook", "pre-tool-use", stdin=bash_call("rm -rf x")))[0] == "deny"


@pytest.mark.parametrize("command", [
    "echo '" + "x" * 1_000_000 + "'",
    "npm test <<'EOF'\n" + "it's \"quoted\" $(not run)\n" * 40_000 + "EOF\n",
    "npm test -q; " * 83_000,
    "npm test " + "a" * 1_100_000,
])
def test_a_megabyte_command_is_decided_quickly(proc, rules, command):
    start = time.perf_counter()
    result = proc("hook", "pre-tool-use", stdin=bash_call(command))
    elapsed = time.perf_counter() - start
    assert result.code == 0
    if result.stdout.strip():
        assert decision(result)[0] in ("allow", "ask", "deny")
    assert elapsed < 5, f"{elapsed:.2f} s"  # generous for a loaded CI machine; the bench prints the real figure


def test_a_megabyte_command_hiding_a_denied_part_is_denied(proc, rules):
    command = "npm test " + "a" * 900_000 + "\nrm -rf build"
    assert decision(proc("hook", "pre-tool-use", stdin=bash_call(command)))[0] == "deny"


def test_past_the_size_limit_the_answer_is_ask(proc, rules):
    verdict, reason = decision(proc("hook", "pre-tool-use", stdin=bash_call("npm test " + "a" * 1_100_000)))
    assert verdict == "ask" and "longer than" in reason


def test_rule_match_uses_the_same_table_reading(cli, rules, nerv_home):
    edit_table(nerv_home, "UPDATE approval_rules SET literal_prefix = 'zzz' WHERE rule = 'Bash(rm *)'")
    result = cli("rule", "match", "Bash", "ls && rm -rf x", "--json")
    assert json.loads(result.stdout)["data"]["decision"] == "deny"
