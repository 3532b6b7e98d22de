"""Every command's output for people fits 80 and 120 columns (issue 16, "Output made for 80 columns").

The command tree is walked, so a new command is rendered here without anyone listing it: it runs with the
arguments in ARGS (none by default) on a populated ledger, or is named in EXCLUDED with the reason. Each
run checks: no line longer than the width, every table header whole on one line, no microsecond ISO time
stamp and no full id (32 hex digits or a 36-character uuid) in the default output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nerv.cli.app import command_tree
from tests.conftest import ON_POSTGRESQL, assert_not_a_bug, from_template, run_cli
from tests.dashboard.conftest import ledger, ok  # noqa: F401  (ledger: the base fixture)

UUID_SESSION = "5f0c2d4e-8a1b-4c3d-9e2f-1a2b3c4d5e6f"
PATH = re.compile(r"(?<![\w.])/[^\s:]+")
MICROSECOND_TIME = re.compile(r"\d\d:\d\d:\d\d\.\d{3,}")
FULL_ID = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")

ARGS = {
    "learn": ["Run the migrations before the tests"],
    "search": ["login"],
    "project add": ["other"], "project show": [], "project use": ["demo"], "project rm": ["demo", "--yes"],
    "repo add": [".."], "repo rm": ["repo"],
    "task add": ["A task added while rendering"], "task show": ["1"], "task edit": ["2", "--priority", "1"],
    "task start": ["3"], "task review": ["1", "--agent", "alice"], "task done": ["1", "--agent", "alice"],
    "task block": ["4", "--reason", "waiting for a person to look at it"], "task reopen": ["3"],
    "task cancel": ["4"], "task rm": ["4", "--yes"], "task claim": ["2", "--agent", "dave"],
    "task heartbeat": ["1", "--agent", "alice"], "task release": ["1"], "task dep add": ["2", "3"],
    "task dep rm": ["4", "3"], "task dep tree": ["4"],
    "cycle start": ["Ship the login fix", "--project", "side"], "cycle show": ["1"], "cycle close": ["--carry-over"],
    "lease add": ["docs/**", "--agent", "bob"], "lease release": ["--agent", "alice"],
    "session start": ["--agent", "dave"], "session end": [UUID_SESSION], "session show": [UUID_SESSION],
    "session assign": [UUID_SESSION, "--project", "demo"], "session archive": ["transcripts"],
    "rule add": ["Bash(git status)", "--action", "allow"], "rule rm": ["1"], "rule match": ["Bash", "git status"],
    "rule export": ["--claude-settings", "exported-settings.json"],
    "approval show": ["1"], "approval approve": ["1"], "approval deny": ["1"],
    "pricing set": ["gpt-mystery", "--input", "1", "--output", "2"],
    "budget set": ["--monthly", "100"], "budget rm": ["daily"],
    "metrics record": ["test_seconds", "12.5"], "metrics summary": ["test_seconds"],
    "decision add": ["Use SQLite in WAL mode"], "decision show": ["1"], "decision accept": ["1"],
    "decision supersede": ["1", "--by", "2"],
    "handoff save": ["Stopped after the login fix; the docs are next"],
    "settings get": ["tasks.default_lease"], "settings set": ["tasks.default_lease", "45m"],
    "settings unset": ["tasks.default_lease"],
    "audit show": ["1"],
    "checkpoint show": ["1"], "checkpoint diff": ["1"], "checkpoint restore": ["1", "--yes"],
    "prune": ["--older-than", "400d", "--yes"],
    "db copy": ["--to", "copied.db", "--force"],  # --force: each width copies into the same file
}
# Commands not rendered here, and why.
EXCLUDED = {
    "otel serve": "a long-running OTLP receiver (it serves until stopped); tests/sessions/test_telemetry.py",
    "approval wait": "blocks until the request is decided or --timeout; tests/approvals/test_approval_cli.py and tests/pg",
    "watch": "a full-screen live view: tests/dashboard/test_watch.py renders it in tmux at 80 and 120 columns",
    "hook": "Claude Code's hook protocol (JSON in, JSON out), not output for people",
    "export": "a JSON document (machine output, never wrapped)",
    "import": "reads an export document; tests/safety covers it",
    "report": "writes an HTML file (-o), tested in tests/report",
    "db restore": "replaces the database with a backup file; its output is one line",
    "decision export": "writes ADR files into a folder",
    "decision import": "reads ADR files from a folder",
    "rule import": "reads a settings file",
    "session import": "reads transcript folders; the ledger is built with it",
    **({f"db {verb}": "about the local SQLite file: on a server it refuses with not_applicable (tests/pg)"
        for verb in ("checkpoint", "vacuum", "integrity")} if ON_POSTGRESQL else {}),
    "session restore": "needs the transcript archive's files, which the copied ledger does not carry; "
                       "tests/sessions/test_archive*.py render it",
}


def leaf_commands(command=None, path=()):
    command = command or command_tree()
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        yield " ".join(path)
        return
    for name, sub in subcommands.items():
        yield from leaf_commands(sub, (*path, name))


def excluded(name: str) -> bool:
    return any(name == key or name.startswith(key + " ") for key in EXCLUDED)


RENDERED = [name for name in leaf_commands() if not excluded(name)]
_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def populated(ledger, nerv_home, tmp_path_factory):  # noqa: F811
    """The dashboard's ledger plus a cycle, decisions, a checkpoint, a learning, a metric, a handoff, a rule and
    a session with a uuid id, cache tokens and a long model name."""
    if not _TEMPLATE:
        _TEMPLATE["folder"] = tmp_path_factory.mktemp("widths")
    from_template("widths", nerv_home, lambda: _extend(ledger, _TEMPLATE["folder"]))
    (ledger / "transcripts").mkdir(exist_ok=True)
    return ledger


def _extend(repo: Path, folder: Path) -> None:
    ok("project", "add", "side", "--goal", "a second project, so that lists have more than one row")
    ok("settings", "set", "tasks.default_lease", "45m")
    ok("cycle", "start", "Make login reliable on every browser")
    ok("task", "edit", "2", "--cycle", "1")
    ok("decision", "add", "Keep sessions in signed cookies rather than in server-side storage")
    ok("decision", "add", "Use SQLite")
    ok("checkpoint", "create", "before-release", "--reason", "a safe point before the release")
    ok("task", "edit", "2", "--title", "Write the docs for the login flow and the session cookie rules")
    ok("learn", "Safari drops a cookie set on a redirect without SameSite=Lax; set it on the final page")
    ok("metrics", "record", "test_seconds", "12.5")
    ok("handoff", "save", "Stopped in the middle of the cookie fix; src/auth/session.py has the new code")
    ok("rule", "add", "Bash(npm run test:*)", "--action", "allow")
    line = {"type": "assistant", "sessionId": UUID_SESSION, "cwd": str(repo), "timestamp": "2026-01-05T10:00:00.123456Z",
            "requestId": "req-u1", "uuid": "u-u1",
            "message": {"model": "claude-opus-4-5-20251101", "id": "msg-u1", "role": "assistant", "type": "message",
                        "content": [{"type": "text", "text": "ok"}],
                        "usage": {"input_tokens": 12345, "output_tokens": 67890, "cache_read_input_tokens": 1234567,
                                  "cache_creation_input_tokens": 45678}}}
    transcripts = folder / "transcripts"
    transcripts.mkdir()
    (transcripts / f"{UUID_SESSION}.jsonl").write_text(json.dumps(line) + "\n")
    ok("session", "import", str(transcripts))


def render(args: list[str], width: int, monkeypatch):
    from nerv.cli import _layout, _output

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(_output, "_console", None)  # a console of this width
    tables = []
    fit = _layout.fit

    def recording_fit(headers, *rest, **options):
        lines, hidden = fit(headers, *rest, **options)
        tables.append([h for h in headers if h not in hidden])
        return lines, hidden

    monkeypatch.setattr(_layout, "fit", recording_fit)
    return run_cli(*args), tables


def test_every_command_is_rendered_or_excluded_with_a_reason():
    names = list(leaf_commands())
    assert len(RENDERED) > 80 and "task list" in RENDERED and "checkpoint diff" in RENDERED
    for key in EXCLUDED:
        assert any(name == key or name.startswith(key + " ") for name in names), f"EXCLUDED names a gone command {key}"
    for key in ARGS:
        assert key in names, f"ARGS names a gone command {key}"


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", RENDERED)
def test_output_fits_the_width(name, width, populated, monkeypatch):
    result, tables = render(name.split() + ARGS.get(name, []), width, monkeypatch)
    assert_not_a_bug(result, name)
    # Exit 1 is an answer for a few commands (docs/cli.md: db status, budget check, doctor...), never a refusal.
    assert result.code == 0 or (result.code == 1 and not result.stderr.startswith("error:")), (name, result.stderr)
    lines = result.stdout.splitlines()
    # A path is never cut or wrapped (it is copied and pasted): only what is beside it must fit.
    too_long = [line for line in lines if len(PATH.sub("", line)) > width]
    assert not too_long, (name, too_long)
    for headers in tables:
        assert any(line.split() == " ".join(headers).split() for line in lines), (name, headers, result.stdout)
    assert not MICROSECOND_TIME.search(result.stdout), (name, result.stdout)
    assert not FULL_ID.search(result.stdout), (name, result.stdout)


def test_wide_and_utc_give_the_full_forms(populated, monkeypatch):
    result, _ = render(["session", "list", "--wide", "--utc"], 80, monkeypatch)
    assert UUID_SESSION in result.stdout and "2026-01-05T10:00:00.123456Z" in result.stdout
    short, _ = render(["session", "list"], 80, monkeypatch)
    assert UUID_SESSION[:8] in short.stdout and UUID_SESSION not in short.stdout


def test_session_list_shows_cache_tokens_and_one_number_format(populated, monkeypatch):
    result, tables = render(["session", "list"], 120, monkeypatch)
    assert "1,234,567" in result.stdout and "$" in result.stdout
    assert any("cache" in " ".join(headers) for headers in tables)


def test_cost_breakdown_uses_the_one_number_format(populated, monkeypatch):
    result, tables = render(["cost", "--by", "session", "--breakdown", "model"], 80, monkeypatch)
    assert result.code == 0, result.stderr
    assert "1,234,567" in result.stdout and "80,235" in result.stdout and "$" in result.stdout, result.stdout
    assert not re.search(r"\d(\.\d+)?[kMB]\b", result.stdout), result.stdout  # no 1.23M of its own
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout
    assert tables and all(any(line.split() == " ".join(headers).split() for line in result.stdout.splitlines())
                          for headers in tables)


def test_audit_show_cuts_hashes_to_12_unless_wide_or_json(populated, monkeypatch):
    sha256 = re.compile(r"\b[0-9a-f]{64}\b")
    entry = run_cli("--json", "audit", "show", "2").data
    assert sha256.fullmatch(entry["hash"]) and sha256.fullmatch(entry["prev_hash"]), entry
    short, _ = render(["audit", "show", "2"], 80, monkeypatch)
    assert entry["hash"][:12] in short.stdout and entry["prev_hash"][:12] in short.stdout, short.stdout
    assert not sha256.search(short.stdout) and not re.search(r"[0-9a-f]{13,}", short.stdout), short.stdout
    assert max(len(line) for line in short.stdout.splitlines()) <= 80, short.stdout
    wide, _ = render(["audit", "show", "2", "--wide"], 80, monkeypatch)
    assert entry["hash"] in wide.stdout and entry["prev_hash"] in wide.stdout, wide.stdout


def test_status_colours_and_no_color(populated, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured, _ = render(["task", "list"], 80, monkeypatch)
    assert re.search(r"\x1b\[[0-9;]*3[1-6]m", coloured.stdout), coloured.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    plain, _ = render(["task", "list"], 80, monkeypatch)
    assert not re.search(r"\x1b\[[0-9;]*3[1-6]m", plain.stdout), plain.stdout


def test_a_long_list_is_cut_with_the_way_to_see_it_all(populated, monkeypatch):
    for number in range(5):
        ok("task", "add", f"extra task {number}")
    result, _ = render(["task", "list", "--limit", "3"], 80, monkeypatch)
    assert "6 more, use --limit 9" in result.stdout
    assert len(run_cli("task", "list", "--json").data) == 9


def test_a_list_stopped_by_its_limit_says_so(populated, monkeypatch):
    result, _ = render(["audit", "list", "--limit", "2"], 80, monkeypatch)
    assert "the first 2 shown; there may be more: use --limit" in result.stdout


def test_a_path_is_never_wrapped(populated, monkeypatch, nerv_home):
    result, _ = render(["db", "backup"], 40, monkeypatch)
    assert result.code == 0 and str(nerv_home / "backups") in result.stdout.replace("\n", "")
    [line] = [line for line in result.stdout.splitlines() if "backups" in line]
    assert str(nerv_home / "backups") in line
