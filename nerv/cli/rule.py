"""`nerv rule ...`: Claude Code permission rules kept by nerv (docs/rules.md)."""

from __future__ import annotations

import os
from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._options import ALL, CURRENT_OR_GLOBAL, global_option, project_option, scope_label

LIST_COLUMNS = ("id", "action", "rule", "project", "reason", "source")
OPTIONAL_COLUMNS = ("project", "reason")

app = typer.Typer(help="Permission rules (Claude Code syntax): add, list, rm, match, import, export.",
                  no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rule")


@app.command("add")
def add(
    rule: str = typer.Argument(..., help="Rule in Claude Code syntax, e.g. 'Bash(npm test *)', 'Edit(src/**)'."),
    action: str = typer.Option(..., "--action", help="allow, ask or deny."),
    project: Optional[str] = project_option(CURRENT_OR_GLOBAL, "Only for this project"),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why the rule exists."),
    everywhere: bool = global_option("a rule for every project"),
) -> None:
    """Add a rule; a rule that does not parse is refused with the position of the problem."""
    from nerv.services import rules

    data = rules.add_rule(_ctx.store(), rule, action, project, reason, everywhere=everywhere)

    def human(d: dict) -> None:
        out.message(f"rule #{d['id']} {d['action']} {d['rule']} ({scope_label(d)})")
        for warning in d["warnings"]:
            out.warn(warning)

    out.emit(data, human)


@app.command("list")
def list_cmd(
    project: Optional[str] = project_option(ALL, "Only the rules that apply to this project"),
    action: Optional[str] = typer.Option(None, "--action", help="Only allow, ask or deny rules."),
) -> None:
    """List rules in evaluation order (deny, ask, allow)."""
    from nerv.services import rules

    rows = rules.list_rules(_ctx.store(), project, action)

    def human(rs: list[dict]) -> None:
        # At 80 columns every column counts: leave out the optional ones no row uses.
        columns = [c for c in LIST_COLUMNS if c not in OPTIONAL_COLUMNS or any(r[c] for r in rs)]
        out.table([{**r, "source": _source_cell(r["source"])} for r in rs], columns,
                  empty="no rules yet: `nerv rule add 'Bash(npm test *)' --action allow`")

    out.emit(rows, human)


def _source_cell(source: str | None) -> str | None:
    """`claude-settings:/home/me/x/settings.json` as `claude-settings:~/x/settings.json` (JSON keeps it whole)."""
    home = os.path.expanduser("~").rstrip(os.sep)
    kind, sep, where = (source or "").partition(":")
    if sep and home and where.startswith(home + os.sep):
        return f"{kind}:~{where[len(home):]}"
    return source


@app.command("rm")
def rm(rule_id: int = typer.Argument(..., help="Rule id (see `nerv rule list`).")) -> None:
    """Remove a rule."""
    from nerv.services import rules

    data = rules.remove_rule(_ctx.store(), rule_id)
    out.emit(data, lambda d: out.message(f"rule #{d['id']} removed ({d['action']} {d['rule']})"))


@app.command("match")
def match(
    tool: str = typer.Argument(..., help="Tool name: Bash, Edit, Write, Read, WebFetch, mcp__server__tool..."),
    value: Optional[str] = typer.Argument(None, metavar="INPUT",
                                          help="The command (Bash), path (file tools) or URL (WebFetch)."),
    cwd: Optional[str] = typer.Option(None, "--cwd", help="Working directory of the call (default: here)."),
    project: Optional[str] = project_option("the project of the registered repo holding --cwd",
                                            "Project whose rules apply"),
    input_json: Optional[str] = typer.Option(None, "--input-json", help="A whole tool_input JSON object instead of INPUT."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="Exit 0 when the call would be allowed, 1 for deny, ask or none (for scripts)."),
) -> None:
    """Show what the hook would decide: allow, ask, deny or none, the rule and its source, and the part that decided."""
    from nerv.services import rules

    data = rules.match(_ctx.store(), tool, value, cwd=cwd, project_ref=project, input_json=input_json)

    def human(d: dict) -> None:
        out.kv({"decision": d["decision"], "rule": d["rule"], "source": d["source"], "part": d["part"],
                "reason": d["reason"], "project": d["project"]})
        if len(d["parts"]) > 1:
            out.table(d["parts"], ["part", "rule", "source"])

    out.emit(data, human)
    if exit_code and data["decision"] != "allow":
        raise typer.Exit(1)


@app.command("import")
def import_cmd(
    claude_settings: str = typer.Option(..., "--claude-settings", help="Path of a Claude Code settings.json."),
    project: Optional[str] = project_option(CURRENT_OR_GLOBAL, "Store the rules for this project"),
    everywhere: bool = global_option("rules for every project"),
) -> None:
    """Import permissions.allow/ask/deny from a Claude Code settings file; rules that do not parse are listed."""
    from nerv.services import rules

    data = rules.import_claude_settings(_ctx.store(), claude_settings, project, everywhere=everywhere)

    def human(d: dict) -> None:
        out.message(f"{d['added']} rule(s) imported, {d['skipped']} already present, {len(d['refused'])} refused "
                    f"({scope_label(d)})")
        for bad in d["refused"]:
            out.message(f"refused {bad['entry']} {bad['rule']!r}: {bad['problem']} at position {bad['position']}",
                        wrap=False)
        for note in d["warnings"]:
            out.warn(f"{note['action']} {note['rule']}: {note['warning']}")

    out.emit(data, human)


@app.command("export")
def export_cmd(
    claude_settings: str = typer.Option(..., "--claude-settings", help="Path of the Claude Code settings.json to update."),
    project: Optional[str] = project_option("global rules only", "Also export this project's rules"),
) -> None:
    """Merge nerv's rules into a settings file: other keys kept, existing rules kept, backup written first."""
    from nerv.services import rules

    data = rules.export_claude_settings(_ctx.store(), claude_settings, project)

    def human(d: dict) -> None:
        if d["unchanged"]:
            out.message(f"{d['file']} already has every rule")
            return
        counts = ", ".join(f"{n} {a}" for a, n in d["added"].items())
        out.message(f"{d['file']} updated ({counts})" + (f"; backup {d['backup']}" if d["backup"] else ""))

    out.emit(data, human)


def warn_recomputed(rows: list[dict]) -> None:
    """One warning per rule whose stored tool/pattern/literal_prefix disagreed with its text (import, restore)."""
    for row in rows:
        changes = ", ".join(f"{name} {c['stored']!r} -> {c['derived']!r}" for name, c in row["columns"].items())
        out.warn(f"rule #{row['id']} {row['rule']}: recomputed from the rule text ({changes})")
