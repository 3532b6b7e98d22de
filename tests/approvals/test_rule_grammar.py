"""Rule grammar: what parses, and where a bad rule's problem is reported."""

from __future__ import annotations

import pytest

from nerv.rules import RuleError, make_context, parse_rule
from nerv.rules.paths import anchor, glob_regex

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database


@pytest.mark.parametrize("text,tool,specifier,kind", [
    ("Bash", "Bash", None, "tool"),
    ("Bash(*)", "Bash", None, "tool"),
    ("Bash(npm run test *)", "Bash", "npm run test *", "bash"),
    ("Bash(npm test:*)", "Bash", "npm test:*", "bash"),
    ("Bash(curl http://site.com/:*)", "Bash", "curl http://site.com/:*", "bash"),
    ("Bash(echo (x))", "Bash", "echo (x)", "bash"),
    ("Read(./.env)", "Read", "./.env", "path"),
    ("Edit(src/**)", "Edit", "src/**", "path"),
    ("Edit(//etc/**)", "Edit", "//etc/**", "path"),
    ("Read(~/Documents/*.pdf)", "Read", "~/Documents/*.pdf", "path"),
    ("Edit(/src/**/*.ts)", "Edit", "/src/**/*.ts", "path"),
    ("WebFetch(domain:example.com)", "WebFetch", "domain:example.com", "domain"),
    ("WebFetch(domain:*.example.com)", "WebFetch", "domain:*.example.com", "domain"),
    ("mcp__puppeteer", "mcp__puppeteer", None, "mcp"),
    ("mcp__puppeteer__*", "mcp__puppeteer__*", None, "glob"),
    ("mcp__*", "mcp__*", None, "glob"),
    ("mcp__github__get_*", "mcp__github__get_*", None, "glob"),
    ("*", "*", None, "glob"),
    ("PowerShell(Remove-Item *)", "PowerShell", "Remove-Item *", "powershell"),
    ("WebFetch(domain:example.*)", "WebFetch", "domain:example.*", "domain"),
    ("Agent(model:opus)", "Agent", "model:opus", "generic"),
    ("mcp__puppeteer__puppeteer_navigate", "mcp__puppeteer__puppeteer_navigate", None, "mcp"),
    ("Task(Explore)", "Agent", "Explore", "generic"),  # Task is Agent's old name
    ("  Bash(ls *)  ", "Bash", "ls *", "bash"),
])
def test_valid_rules(text, tool, specifier, kind):
    rule = parse_rule(text)
    assert (rule.tool, rule.specifier, rule.kind) == (tool, specifier, kind)
    assert rule.text == text.strip()


@pytest.mark.parametrize("text,position", [
    ("", 1),
    ("Bash(npm test", 14),
    ("Bash()", 6),
    ("Bash(  )", 6),
    ("(npm)", 1),
    ("1Bash", 1),
    ("Ba sh", 3),
    ("Bash(ls\n)", 8),
    ("WebFetch(example.com)", 10),
    ("WebFetch(domain:)", 17),
    ("WebFetch(domain:exa mple.com)", 20),
    ("mcp__", 6),
    ("mcp__server(x)", 12),
    ("mcp__server__tool(x)", 18),
    ("mcp__server(readonly:false)", 12),
    ("Read(///etc)", 8),
    ("Read(~bob/x)", 7),
    ("Edit(src/[ab)", 10),
    ("Edit(src/***)", 10),
    ("Edit(docs/[z-a]*.md)", 11),
    ("*(x)", 2),
])
def test_bad_rules_report_the_position(text, position):
    with pytest.raises(RuleError) as info:
        parse_rule(text)
    assert info.value.position + 1 == position, str(info.value)
    assert f"position {position}" in str(info.value)
    assert "«here»" in info.value.pointer()


def test_literal_prefix_for_the_sql_filter():
    assert parse_rule("Bash(npm test *)").literal_prefix == "npm test"
    assert parse_rule("Bash(npm test:*)").literal_prefix == "npm test"
    assert parse_rule("Bash(* install)").literal_prefix == ""
    assert parse_rule("Bash(git status)").literal_prefix == "git status"
    assert parse_rule("Bash").literal_prefix is None
    assert parse_rule("Edit(src/**)").literal_prefix is None


def test_path_anchoring():
    ctx = make_context("/w/repo/sub", root="/w/repo", home="/h")
    kw = {"cwd": ctx.cwd, "root": ctx.root, "home": ctx.home}
    assert anchor("//etc/x", **kw) == "/etc/x"
    assert anchor("~/a", **kw) == "/h/a"
    assert anchor("/src/*.ts", **kw) == "/w/repo/src/*.ts"
    assert anchor("./a/b", **kw) == "/w/repo/sub/a/b"
    assert anchor("a/b", **kw) == "/w/repo/sub/a/b"
    assert anchor(".env", **kw) == "/w/repo/sub/**/.env"
    assert glob_regex("/a/*/c").fullmatch("/a/b/c")
    assert not glob_regex("/a/*/c").fullmatch("/a/b/x/c")
    assert glob_regex("/a/**/c").fullmatch("/a/b/x/c")
    assert glob_regex("/a/**/c").fullmatch("/a/c")
    assert glob_regex("/a/secrets", contents=True).fullmatch("/a/secrets/k")
    assert not glob_regex("/a/secrets").fullmatch("/a/secrets/k")
