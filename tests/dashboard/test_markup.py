"""User text is never rich markup: a title, goal or name such as `[bold]x[/bold]`, an unbalanced `[/]` or an
emoji code `:smile:` prints literally in every list, show, board and dashboard view (issue 16), through the
real CLI."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.conftest import assert_not_a_bug, examples, run_cli

FRAGMENTS = ["[bold]", "[/bold]", "[red]", "[/]", "[", "]", "[[", "]]", "\\[", "[link=https://x]", ":smile:",
             "[b]x[/b]", "[on red]", "[#ff0000]", "x", " y ", "=", "\\"]
titles = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join).filter(lambda t: t.strip())
_numbers = itertools.count(1)


def _ok(*args: str):
    result = run_cli(*args)
    assert_not_a_bug(result, " ".join(args))
    assert result.code == 0, (args, result.stderr)
    return result


def _views(project: str, task: int, cycle: int) -> dict[str, str]:
    return {"task list": _ok("task", "list", "--project", project).stdout,
            "task show": _ok("task", "show", str(task), "--project", project).stdout,
            "task board": _ok("task", "board", "--project", project).stdout,
            "status": _ok("status").stdout,
            "project list": _ok("project", "list").stdout,
            "project show": _ok("project", "show", project).stdout,
            "cycle list": _ok("cycle", "list", "--project", project).stdout,
            "cycle show": _ok("cycle", "show", str(cycle), "--project", project).stdout}


def _with_width(monkeypatch, width: int) -> None:
    from nerv.cli import _output

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(_output, "_console", None)  # a console of this width


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=titles)
@example(title="[bold]x[/bold]")
@example(title="[/]")
@example(title=":smile: [red]")
def test_bracket_heavy_titles_print_literally(nerv_home, monkeypatch, title):
    number = next(_numbers)
    project = f"{title[:40]} {number}".strip()
    _ok("project", "add", project, "--goal", title)
    task = run_cli("--json", "task", "add", title, "--project", project).data
    cycle = run_cli("--json", "cycle", "start", title, "--project", project).data
    _ok("task", "claim", str(task["number"]), "--agent", f"agent-{number}", "--project", project)
    stored = task["title"]
    assert cycle["goal"] == stored  # what the ledger keeps is what must print

    _with_width(monkeypatch, 1000)  # nothing is cut: every view must hold the text exactly
    wide = _views(project, task["number"], cycle["number"])
    for view in ("task list", "task show", "status", "cycle list", "cycle show", "project show"):
        assert stored in wide[view], (view, stored, wide[view])
    assert f"#{task['number']} agent-{number}: {stored}" in wide["task board"], (stored, wide["task board"])
    assert project in wide["project list"] and project in wide["project show"], (project, wide["project list"])

    _with_width(monkeypatch, 80)  # cut to fit, still never styled, never an emoji
    for view, text in _views(project, task["number"], cycle["number"]).items():
        assert "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" not in text, (view, text)
        assert "\x1b[" not in text, (view, text)
