"""Differential test: every Bash command nerv allows is run by real bash; the `evil` stub must never run.

Rule sets: `allow Bash(safe *)` + `deny Bash(evil *)`, and a bare `Bash` allow + the same deny. A fixed seed,
5,000 generated commands decided under both (tests/approvals/bash_oracle.py has the generator, the stub
sandbox and the runner; tests/bench/bash_differential.py runs 200,000 and more).
"""

from __future__ import annotations

import pytest

from tests.approvals import bash_oracle

SEED = 20240611
COMMANDS = 5000
WORKERS = 2
CLAUDE_EVERY = 4  # Claude-Code-style runs: every command `Bash(safe *)` allows, and every 4th other one
HOOK_FIRST = 100  # the real hook subprocess on every command allowed among the first 100...
HOOK_OTHERS = 10  # ...and on 10 more per rule set
SHOW = 15

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bash_oracle.bash_path() is None, reason="bash is not installed"),
]


@pytest.fixture(scope="module")
def differential(tmp_path_factory):
    result, oracle_problems = bash_oracle.run_differential(
        SEED, COMMANDS, workers=WORKERS, base=tmp_path_factory.mktemp("bash-oracle"), hook_first=HOOK_FIRST,
        hook_others=HOOK_OTHERS, claude_every=CLAUDE_EVERY)
    print("\n" + bash_oracle.summary(result, oracle_problems, limit=SHOW))
    return result, oracle_problems


def test_the_oracle_sees_evil(differential):
    _, oracle_problems = differential
    if oracle_problems:
        pytest.fail("the bash oracle is blind:\n" + "\n".join(oracle_problems), pytrace=False)


def test_the_generator_reaches_allowed_commands(differential):
    result, _ = differential
    for report in result.reports.values():
        assert report.generated >= 5000
        # A generator nerv always refuses proves nothing.
        assert report.allowed >= 150, report.line()


@pytest.mark.parametrize("rule_set", list(bash_oracle.RULE_SETS))
def test_no_false_allows(differential, rule_set):
    result, _ = differential
    report = result.reports[rule_set]
    if report.false_allows:
        rules = [text for text, _ in bash_oracle.RULE_SETS[rule_set]]
        offenders = "\n".join(f"  {bash_oracle.describe(o)}" for o in report.false_allows[:SHOW])
        pytest.fail(f"{report.line()} (rules {rules}); the evil stub ran for (command repr, generator origin,"
                    f" run mode, stubs that ran):\n{offenders}", pytrace=False)


@pytest.mark.parametrize("rule_set", list(bash_oracle.RULE_SETS))
def test_decisions_are_sound(differential, rule_set):
    """No crash, and the SQL candidate filter never turns a refusal into an allow."""
    report = differential[0].reports[rule_set]
    if report.problems:
        pytest.fail("\n".join(f"  {bash_oracle.display(o.case.command)}: {p}" for o, p in report.problems[:SHOW]),
                    pytrace=False)


@pytest.mark.parametrize("rule_set", list(bash_oracle.RULE_SETS))
def test_the_hook_subprocess_agrees(differential, rule_set):
    result = differential[0]
    report = result.reports[rule_set]
    assert report.hook_checked > 0
    if report.hook_disagreements and result.source_changed:
        pytest.skip("nerv's source files changed during the run: the hook subprocess ran other code")
    if report.hook_disagreements:
        pytest.fail("\n".join(f"  {bash_oracle.display(o.case.command)}: in-process {want}, `nerv hook pre-tool-use`"
                              f" {got}" for o, want, got in report.hook_disagreements[:SHOW]), pytrace=False)
