"""`nerv decision ...`: architecture decision records, numbered per project (docs/knowledge.md)."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import project_option

app = typer.Typer(help="Decisions (ADRs): add, accept, supersede, export to / import from Markdown.",
                  no_args_is_help=True)

DECISION_REF_HELP = "Decision number (7, #7 or ADR-7), full id, or unambiguous id prefix."
ProjectOpt = project_option()
LIST_COLUMNS = ["number", "title", "status", "superseded_by", "created_at"]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="decision")


def _line(data: dict, verb: str) -> None:
    out.message(f"decision {data['number']} {verb}: {data['title']} [{data['status']}]")


@app.command("add")
def add(
    title: str = typer.Argument(..., help="One-line title (1-500 characters)."),
    context: Optional[str] = typer.Option(None, "--context", help="The forces at play: why a decision is needed."),
    decision: Optional[str] = typer.Option(None, "--decision", help="What was decided."),
    consequences: Optional[str] = typer.Option(None, "--consequences", help="What becomes easier or harder."),
    alternatives: Optional[str] = typer.Option(None, "--alternatives", help="Options considered and rejected."),
    status: str = typer.Option("proposed", "--status",
                               help="proposed, accepted, rejected or deprecated (superseded: use `supersede`)."),
    task: Optional[str] = typer.Option(None, "--task", help="Task it belongs to (number, id or id prefix)."),
    cycle: Optional[int] = typer.Option(None, "--cycle", help="Cycle number it belongs to."),
    project: Optional[str] = ProjectOpt,
) -> None:
    """Record a decision; it gets the project's next number."""
    from nerv.services import decisions

    data = decisions.add_decision(_ctx.store(), title, context=context, decision=decision,
                                  consequences=consequences, alternatives=alternatives, status=status,
                                  task=task, cycle=cycle, project=project)
    out.emit(data, lambda d: _line(d, "added"))


@app.command("list")
def list_cmd(status: Optional[str] = typer.Option(None, "--status", help="Only decisions with this status."),
             project: Optional[str] = ProjectOpt) -> None:
    """List the project's decisions in number order."""
    from nerv.services import decisions

    rows = decisions.list_decisions(_ctx.store(), status=status, project=project)
    out.emit(rows, lambda rs: out.table(rs, LIST_COLUMNS, headers={"number": "#"},
                                        empty="no decisions yet: `nerv decision add TITLE`"))


@app.command("show")
def show(ref: str = typer.Argument(..., help=DECISION_REF_HELP), project: Optional[str] = ProjectOpt) -> None:
    """Show a decision with its sections and links."""
    from nerv.services import decisions

    data = decisions.show_decision(_ctx.store(), ref, project=project)

    def human(d: dict) -> None:
        links = {"status": d["status"], "id": d["id"], "created_at": d["created_at"],
                 "updated_at": d["updated_at"], "task": f"#{d['task']['number']} {d['task']['title']}" if d["task"]
                 else None, "cycle": d["cycle"],
                 "superseded_by": f"{d['superseded_by']['number']} {d['superseded_by']['title']}"
                 if d["superseded_by"] else None,
                 "supersedes": [f"{s['number']} {s['title']}" for s in d["supersedes"]]}
        out.kv(links, title=f"decision {d['number']}: {d['title']}")
        for field in ("context", "decision", "consequences", "alternatives"):
            if d[field]:
                out.message(f"\n{field.capitalize()}", style="bold")
                out.message(d[field])

    out.emit(data, human)


@app.command("accept")
def accept(ref: str = typer.Argument(..., help=DECISION_REF_HELP), project: Optional[str] = ProjectOpt) -> None:
    """Accept a proposed (or rejected/deprecated) decision."""
    from nerv.services import decisions

    data = decisions.accept_decision(_ctx.store(), ref, project=project)
    out.emit(data, lambda d: _line(d, "accepted"))


@app.command("supersede")
def supersede(ref: str = typer.Argument(..., help="The decision being replaced. " + DECISION_REF_HELP),
              by: str = typer.Option(..., "--by", help="The decision that replaces it (accepted if proposed)."),
              project: Optional[str] = ProjectOpt) -> None:
    """Mark a decision superseded by another; both sides are linked and audited."""
    from nerv.services import decisions

    data = decisions.supersede_decision(_ctx.store(), ref, by, project=project)
    out.emit(data, lambda d: out.message(f"decision {d['superseded']['number']} superseded by "
                                         f"{d['by']['number']} ({d['by']['title']})"))


@app.command("export")
def export(directory: str = typer.Option("docs/adr", "--dir", help="Folder for the NNNN-slug.md files."),
           project: Optional[str] = ProjectOpt) -> None:
    """Write one ADR Markdown file per decision; files already up to date are left untouched."""
    from nerv.services import decisions_files

    data = decisions_files.export_decisions(_ctx.store(), directory, project=project)
    out.emit(data, lambda d: out.message(
        f"{d['decisions']} decisions in {d['dir']}: {len(d['written'])} written, {d['unchanged']} unchanged"
        + (f", {len(d['removed'])} renamed files removed" if d["removed"] else "")))


@app.command("import")
def import_cmd(directory: str = typer.Option("docs/adr", "--dir", help="Folder holding NNNN-slug.md files."),
               project: Optional[str] = ProjectOpt) -> None:
    """Read ADR Markdown files back: update matching decisions, add new ones (all or nothing)."""
    from nerv.services import decisions_files

    data = decisions_files.import_decisions(_ctx.store(), directory, project=project)

    def human(d: dict) -> None:
        out.message(f"{d['files']} files: {len(d['added'])} added, {len(d['updated'])} updated, "
                    f"{d['unchanged']} unchanged")
        for link in d["dropped_links"]:
            out.warn(f"{link['file']}: {link['link']} {link['id'][:12]} does not exist here; link dropped")

    out.emit(data, human)
