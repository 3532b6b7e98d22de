"""The bad-input tests can fail: with one service function made to raise, the tests of that function must fail.

Each case runs, in a child pytest, the few tests that call the function, with NERV_TEST_INJECT_FAULT naming it
(tests/conftest.py replaces it by a function raising RuntimeError before any test runs). nerv reports that
exception as an `internal` error with exit 1, which a test of "exit 1, no traceback" used to accept; the shared
check `assert_not_a_bug` must turn it into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FAULT_ENV, FAULT_LOG_ENV

ROOT = Path(__file__).resolve().parents[1]

# service function -> the tests (node ids) that exercise it with bad input. A sample: one per service area.
FAULTS = {
    "nerv.services.costs:report": ["tests/sessions/test_commands.py::test_cost_bad_options_fail_cleanly"],
    "nerv.services.budgets:set_budgets": ["tests/sessions/test_budgets.py::test_bad_budgets_are_refused"],
    "nerv.services.transfer:export_state": ["tests/safety/test_export_import.py::test_unknown_project_and_format"],
    "nerv.services.retention:prune": ["tests/safety/test_prune.py::test_bad_input"],
    "nerv.services.checkpoints:show": ["tests/safety/test_checkpoints.py::test_bad_references"],
    "nerv.services.audit:show_entry": ["tests/safety/test_audit.py::test_bad_input"],
    "nerv.services.approvals:list_requests": ["tests/approvals/test_approval_cli.py::test_bad_input"],
    "nerv.services.backups:backup": ["tests/safety/test_backup_restore.py::test_bad_destinations_change_nothing"],
    "nerv.services.transcripts:import_transcripts": [
        "tests/sessions/test_import.py::test_a_missing_path_is_an_error_without_traceback"],
    "nerv.services.projects:show_project": [
        "tests/cli/test_contract.py::test_user_error_plain_is_one_line_without_traceback"],
    "nerv.services.settings:get_setting": [
        "tests/reliability/test_fuzz_cli.py::test_fuzzed_arguments_never_crash_and_refusals_change_nothing"],
}


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(FAULTS))
def test_the_tests_of_a_failing_service_function_fail(target, tmp_path):
    log = tmp_path / "faults.log"
    env = {**os.environ, FAULT_ENV: target, FAULT_LOG_ENV: str(log),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *FAULTS[target]],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-3000:]  # 1: tests failed (not 2-5: interrupted, usage, nothing collected)
    assert log.exists(), f"{target} was never called: the sample names the wrong tests"
