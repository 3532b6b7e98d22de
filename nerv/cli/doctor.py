"""`nerv doctor`: is nerv really wired into Claude Code? Exits 1 when a problem is found."""

from __future__ import annotations

import typer

from nerv.cli import _output as out


def register(root: typer.Typer) -> None:
    root.command("doctor")(doctor)


def doctor(
    no_run: bool = typer.Option(False, "--no-run", help="Do not run the installed hook commands (faster; stale "
                                                        "paths are still found)."),
) -> None:
    """Check nerv's hooks in every Claude Code settings file, run them as Claude Code would, compare
    permission rules, quick-check the database. Exits 1 on any problem (docs/hooks.md lists the codes)."""
    from nerv.services import doctor as service

    data = service.diagnose(run_hooks=not no_run)
    out.emit(data, _human)
    if not data["ok"]:
        raise typer.Exit(1)


def _human(d: dict) -> None:
    out.table([{"event": h["event"], "scope": h["scope"], "status": h.get("status"), "version": h.get("version"),
                "command": h["command"]} for h in d["hooks"]],
              ["event", "scope", "status", "version", "command"], title="nerv hooks Claude Code runs",
              empty="no nerv hooks in any Claude Code settings file")
    for f in d["files"]:
        out.message(f"{f['scope']:<8} {f['file']}" + ("" if f["exists"] else "  (absent)"), wrap=False)
    db = d["database"]
    state = "absent" if not db.get("exists") else ("healthy" if db.get("healthy") else "NOT healthy")
    out.message(f"database {db.get('path')}: {state}", wrap=False)
    out.message(f"rules compared: {d['rules']['nerv']} nerv, {d['rules']['claude_code']} Claude Code; "
                f"this is nerv {d['version']}")
    for warning in d["warnings"]:
        out.warn(warning)
    for item in d["problems"]:
        out.message(f"problem {item['code']}: {item['message']}", style="red")
        if item["hint"]:
            out.message(f"  hint: {item['hint']}")
    out.message("no problems found" if d["ok"] else f"{len(d['problems'])} problem(s)",
                style="green" if d["ok"] else "red")
