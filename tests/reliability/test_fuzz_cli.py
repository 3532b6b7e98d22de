"""Bad-input fuzzing of CLI arguments: exit 0/1/2, never an internal error, and a refused command changes nothing."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.conftest import assert_not_a_bug, db_content_hash, run_cli

texts = st.one_of(
    st.text(min_size=0, max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\n", "x" * 1_000_000, "-1", "--", "'; DROP TABLE tasks; --",
                     "🚀", "ﬁ", "\u202e", "0" * 40, "1e309", "NaN", "null", "{", "[]", "../../etc/passwd"]),
)
numbers = st.one_of(st.integers(), st.sampled_from([str(2 ** 63), str(-2 ** 63 - 1), "10" * 200, "1.5", "abc"]))

# (template, strategies) - a template's "{}" slots are filled in order. Extended as commands are added.
TEMPLATES = [
    (["project", "add", "{}", "--goal", "{}"], [texts, texts]),
    (["project", "show", "{}"], [texts]),
    (["project", "use", "{}"], [texts]),
    (["project", "rm", "{}"], [texts]),
    (["repo", "add", "{}", "--name", "{}"], [texts, texts]),
    (["repo", "rm", "{}"], [texts]),
    (["settings", "set", "{}", "{}"], [texts, texts]),
    (["settings", "get", "{}"], [texts]),
    (["settings", "unset", "{}"], [texts]),
    (["db", "checkpoint", "--mode", "{}"], [texts]),
    (["{}"], [texts]),
    (["{}", "{}"], [texts, texts]),
]

@st.composite
def command_lines(draw):
    template, strategies = draw(st.sampled_from(TEMPLATES))
    values = iter([str(draw(s)) for s in strategies])
    return [next(values) if part == "{}" else part for part in template]


@pytest.mark.slow
def test_fuzzed_arguments_never_crash_and_refusals_change_nothing(nerv_home):
    tried = itertools.count()
    assert run_cli("project", "add", "seed").code == 0

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(args=command_lines(), as_json=st.booleans())
    def check(args, as_json):
        next(tried)
        before = db_content_hash(nerv_home / "state.db")
        result = run_cli(*(["--json"] if as_json else []), *args)
        assert result.code in (0, 1, 2), (args, result)
        assert_not_a_bug(result, args)
        if result.code != 0:
            assert db_content_hash(nerv_home / "state.db") == before, args
            if as_json:
                assert result.stdout == "" or result.stdout.startswith('{"schema_version"')

    check()
    count = next(tried)
    print(f"fuzz: {count} CLI argument vectors tried")
    assert count >= 300
