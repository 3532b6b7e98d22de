"""`nerv report --html -o FILE`: one self-contained page of costs, cycles, the board, time in status, approvals
and the costliest sessions (docs/cli.md, "Report")."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.errors import usage


def register(root: typer.Typer) -> None:
    root.command("report")(report)


def report(
    html: bool = typer.Option(False, "--html", help="Write an HTML page (the only format for now, so required)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="The file to write (replaced atomically)."),
    now: Optional[str] = typer.Option(None, "--now", help="The report's moment (ISO time or YYYY-MM-DD; default: "
                                                          "now). The same data and --now give the same file."),
    project: Optional[str] = typer.Option(None, "--project", help="Only this project (default: the current one, "
                                                                  "else every project without cycles and board)."),
    since: Optional[str] = typer.Option(None, "--since", help="From (inclusive): YYYY-MM-DD, ISO time, or 7d "
                                                              "before --now."),
    until: Optional[str] = typer.Option(None, "--until", help="Up to (exclusive; at most --now): YYYY-MM-DD, ISO "
                                                              "time, or 7d before --now."),
) -> None:
    """Write a self-contained HTML report (no network, no JavaScript; charts are inline SVG)."""
    from nerv.services.report import write_report

    if not html:
        raise usage("nerv report needs --html: HTML is the only format for now", "nerv report --html -o report.html")
    if output is None:
        raise usage("nerv report --html needs -o/--output FILE", "nerv report --html -o report.html")
    done = write_report(_ctx.store(), output, now=now, since=since, until=until, project=project)
    out.emit(done, lambda d: out.message(f"wrote {d['output']} ({d['bytes'] / 1024:,.1f} KiB, "
                                         f"{len(d['charts'])} charts)"))
