"""Bad-input fuzzing of files and streams: mutated export files, hook JSON and transcript lines.

For each input: exit 0, 1 or 2, never an internal error, and when the exit is non-zero the database is unchanged.
PreToolUse answers are checked harder: with no allow rule stored, a mutated call is never allowed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nerv.hook import EVENTS
from tests.conftest import assert_not_a_bug, db_content_hash, run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
pytestmark = pytest.mark.slow

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=6,
)


# A mutation is drawn without looking at the bytes (positions are fractions), so hypothesis sees the same
# draws whatever the file holds - exports carry time stamps and grow as imports succeed.
mutations = st.tuples(
    st.sampled_from(["truncate", "flip", "drop_line", "dup_line", "swap_value", "garbage"]),
    st.floats(0, 0.999), st.floats(0, 0.999), st.integers(1, 255), json_values, st.binary(max_size=200),
)


def mutate_bytes(data: bytes, mutation) -> bytes:
    kind, where, which, xor, value, garbage = mutation
    lines = data.split(b"\n")
    line_at = int(where * len(lines))
    if kind == "truncate":
        return data[: int(where * len(data))]
    if kind == "flip" and data:
        at = int(where * len(data))
        return data[:at] + bytes([data[at] ^ xor]) + data[at + 1:]
    if kind == "drop_line":
        return b"\n".join(lines[:line_at] + lines[line_at + 1:])
    if kind == "dup_line":
        return b"\n".join(lines[: line_at + 1] + [lines[line_at]] + lines[line_at + 1:])
    if kind == "swap_value":
        try:
            row = json.loads(lines[line_at])
        except ValueError:
            return data
        target = row.get("row", row) if isinstance(row, dict) else row
        if isinstance(target, dict) and target:
            keys = sorted(target)
            target[keys[int(which * len(keys))]] = value
            lines[line_at] = json.dumps(row).encode()
        return b"\n".join(lines)
    return garbage


def seed(nerv_home) -> Path:
    assert run_cli("project", "add", "fuzz").code == 0
    assert run_cli("task", "add", "one", "--project", "fuzz").code == 0
    assert run_cli("task", "add", "two", "--project", "fuzz", "--depends-on", "1").code == 0
    assert run_cli("rule", "add", "Bash(rm *)", "--action", "deny").code == 0
    assert run_cli("metrics", "record", "m", "1.5", "--project", "fuzz").code == 0
    return nerv_home / "state.db"


def run_counted(check, *args) -> None:
    """Run the hypothesis test `check(tried, *args)` and require that it tried at least 100 inputs."""
    tried = []
    check(tried, *args)
    print(f"fuzz inputs tried by {check.__name__}: {len(tried)}")
    assert len(tried) >= 100


def assert_clean(result, db: Path, before: str, what) -> None:
    assert result.code in (0, 1, 2), (what, result)
    assert_not_a_bug(result, what)
    if result.code != 0:
        assert db_content_hash(db) == before, what


def test_mutated_export_files(nerv_home, tmp_path_factory):
    run_counted(mutated_export_files, seed(nerv_home), tmp_path_factory)


@FUZZ
@given(data=st.data())
def mutated_export_files(tried, db, tmp_path_factory, data):
    tried.append(data)
    folder = tmp_path_factory.mktemp("export")
    fmt = data.draw(st.sampled_from(["jsonl", "json"]))
    original = folder / f"state.{fmt}"
    assert run_cli("export", "--format", fmt, "--output", str(original)).code == 0
    mutated = folder / f"mutated.{fmt}"
    mutated.write_bytes(mutate_bytes(original.read_bytes(), data.draw(mutations)))
    before = db_content_hash(db)
    mode = data.draw(st.sampled_from([["--mode", "merge"], ["--mode", "replace", "--yes"], ["--dry-run"]]))
    result = run_cli("--json", "import", str(mutated), *mode)
    assert_clean(result, db, before, (fmt, mode))


def hook_payloads():
    base = {"session_id": "s-1", "transcript_path": "/tmp/none.jsonl", "cwd": "/tmp", "hook_event_name": "PreToolUse",
            "tool_name": "Bash", "tool_input": {"command": "npm test"}, "tool_use_id": "t1", "agent_id": "a-1",
            "tool_calls": [{"tool_name": "Bash", "tool_input": {"command": "npm test"}, "tool_use_id": "t1"}]}
    mutations = st.one_of(
        st.builds(lambda k: {x: v for x, v in base.items() if x != k}, st.sampled_from(sorted(base))),
        st.builds(lambda k, v: {**base, k: v}, st.sampled_from(sorted(base)), json_values),
        st.builds(lambda v: {**base, "tool_input": {"command": v}}, st.text(max_size=60)),
        st.builds(lambda t: {**base, "tool_name": t}, st.sampled_from(["Edit", "Write", "WebFetch", "Read", "", "mcp__x__y"])),
    )
    encoded = mutations.map(json.dumps)
    return st.one_of(encoded, encoded.map(lambda s: s[: len(s) // 2]), st.text(max_size=50),
                     st.sampled_from(["", "null", "[]", "42", '"x"', "{", "\x00"]))


def test_mutated_hook_json(nerv_home):
    seed(nerv_home)
    run_counted(mutated_hook_json)


@FUZZ
@given(stdin=hook_payloads(), event=st.sampled_from(sorted(EVENTS) + ["not-an-event"]))
def mutated_hook_json(tried, stdin, event):
    tried.append(stdin)
    result = run_cli("hook", event, stdin=stdin)
    assert result.code == 0, (event, stdin, result)  # a hook never breaks the agent's flow
    assert_not_a_bug(result, (event, stdin))
    answer = json.loads(result.stdout)["hookSpecificOutput"] if result.stdout.strip() else None
    if event == "pre-tool-use":
        assert answer is None or answer["permissionDecision"] in ("ask", "deny"), (stdin, answer)
    elif event == "permission-request":
        assert answer is None or answer["decision"]["behavior"] == "deny", (stdin, answer)


def test_mutated_transcript_lines(nerv_home, tmp_path_factory):
    run_counted(mutated_transcript_lines, seed(nerv_home), tmp_path_factory)


@FUZZ
@given(data=st.data())
def mutated_transcript_lines(tried, db, tmp_path_factory, data):
    tried.append(data)
    source = data.draw(st.sampled_from(sorted(FIXTURES.rglob("*.jsonl"))))
    folder = tmp_path_factory.mktemp("transcripts")
    target = folder / source.name
    target.write_bytes(mutate_bytes(source.read_bytes().replace(b"__REPO__", b"/tmp"), data.draw(mutations)))
    before = db_content_hash(db)
    result = run_cli("--json", "session", "import", str(folder))
    assert_clean(result, db, before, source.name)

