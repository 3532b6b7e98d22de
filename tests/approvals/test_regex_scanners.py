"""The hook's hand-written scanners answer exactly as the regular expressions they stand for."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from nerv.rules import regex as scan
from nerv.rules.grammar import _parameter_name
from nerv.rules.paths import _single_segment_dir
from nerv.rules.wrappers import is_duration
from tests.conftest import examples

pytestmark = pytest.mark.no_database  # pure functions: no test here reaches nerv's database

# Characters every pattern treats specially, plus Unicode digits and blanks that `\d`/`\s` know.
ALPHABET = list("aZ_09 \t\n\\;&|()<>'\"`$*?[]~{}#=+-.:/,@%^!") + ["٣", "\u00a0", "\u2028", "é"]
texts = st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join)
# Runs longer than LONG_RUN reach the regular-expression fallback.
long_texts = st.tuples(st.sampled_from(["a", " ", "x\\\n", "9", "é"]), st.integers(250, 600), texts).map(
    lambda t: t[0] * t[1] + t[2])
any_text = st.one_of(texts, long_texts)

SCANNERS = {
    r"[A-Za-z0-9_./,:@%+=^!#\]-]+": scan.CharRun(scan.PLAIN_WORD_CHARS, True, r"[A-Za-z0-9_./,:@%+=^!#\]-]+"),
    r"[^ \t\n;&|()<>\\'\"`$*?\[\]~{}]+": scan.CharRun(" \t\n;&|()<>\\'\"`$*?[]~{}", False,
                                                    r"[^ \t\n;&|()<>\\'\"`$*?\[\]~{}]+"),
    r'[^"\\$`]+': scan.CharRun('"\\$`', False, r'[^"\\$`]+'),
    r"[ \t]*([A-Za-z0-9_./,:@%+=^!\]-][A-Za-z0-9_./,:@%+=^!#\]-]*)": scan.HeadRun(
        scan.PLAIN_WORD_CHARS.replace("#", ""), scan.PLAIN_WORD_CHARS,
        r"[ \t]*([A-Za-z0-9_./,:@%+=^!\]-][A-Za-z0-9_./,:@%+=^!#\]-]*)", blanks=True),
    r"(?:[ \t]+|\\\n)+": scan.Blanks(),
    r"[A-Za-z_][A-Za-z0-9_]*": scan.NAME,
    r"[0-9]+(?=[<>])": scan.FdNumber(),
    r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=": scan.AssignmentPrefix(),
}


def _same(expected, got):
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert (got.end(), got.group()) == (expected.end(), expected.group())
    if expected.re.groups:
        assert got.group(1) == expected.group(1)


@settings(max_examples=examples(400), deadline=None)
@given(text=any_text, data=st.data())
def test_scanners_match_like_their_regex(text, data):
    pos = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(pos, len(text)))
    for pattern, scanner in SCANNERS.items():
        _same(re.compile(pattern).match(text, pos, end), scanner.match(text, pos, end))


@settings(max_examples=examples(400), deadline=None)
@given(text=any_text)
def test_full_matches_agree(text):
    for pattern in (r"[A-Za-z_][A-Za-z0-9_]*", r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?="):
        expected = re.fullmatch(pattern, text)
        got = SCANNERS[pattern].fullmatch(text)
        assert (got is None) == (expected is None)


@settings(max_examples=examples(400), deadline=None)
@given(text=any_text)
def test_rule_grammar_scans_agree(text):
    parameter = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*", text)
    assert _parameter_name(text) == ((parameter.group(1), parameter.end()) if parameter else None)
    assert _single_segment_dir(text) == bool(re.fullmatch(r"[^/*?\[\]]+/(\*\*?)?", text))
    assert is_duration(text) == bool(re.fullmatch(r"\d+(\.\d+)?[smhd]?", text))


def test_common_commands_never_import_re():
    """`import re` is a fifth of a hook process: the usual command shapes must not need it."""
    import subprocess
    import sys

    code = ("import sys\nfrom nerv.rules.shell_eval import split_bash\n"
            "from nerv.rules.grammar import parse_rule\n"
            "for rule in ('Bash(npm test *)', 'Bash(rm:*)', 'Read(./.env)', 'Edit(src/**)', 'WebFetch(domain:x.com)',"
            " 'Agent(model:opus)', 'mcp__srv__tool'):\n    parse_rule(rule, compile_paths=False)\n"
            "for command in ('npm test -q', 'npm test && rm -rf ~', 'FOO=1 timeout 5 npm test 2>&1 | tee ~/log',"
            " 'cd src && make -j4 2>/dev/null', 'git commit -m \"fix: thing (#12)\"'):\n    split_bash(command)\n"
            "print(sorted(m for m in sys.modules if m == 're' or m.startswith(('re.', 'json', 'enum'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
