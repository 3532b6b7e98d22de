"""`nerv prune`: retention for high-volume history (never the audit log)."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out


def register(root: typer.Typer) -> None:
    root.command("prune")(prune_cmd)


def prune_cmd(
    older_than: Optional[str] = typer.Option(None, "--older-than", help="Age like 90d, 12h, 8w (or a date). "
                                             "Default: each kind's retention.* setting."),
    what: Optional[str] = typer.Option(None, "--what", help="Comma list of metrics, usage, approvals, sessions "
                                       "(default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be deleted."),
    archives: bool = typer.Option(False, "--archives", help="Also delete archived transcripts last archived before "
                                  "the cut-off (--older-than, else retention.sessions); never without this."),
    yes: bool = typer.Option(False, "--yes", help="Delete (without it nothing is deleted: prune says what would go)."),
    force: bool = typer.Option(False, "--force", help="Allow a cut-off less than a day ago (today's rows too)."),
) -> None:
    """Delete old metrics, usage rows, decided approvals and ended sessions (with --yes; without it, say what
    would go); writes an audit row with counts. Archived transcripts are kept unless --archives --yes."""
    from nerv.services import retention

    data = retention.prune(_ctx.store(), older_than=older_than, what=what, dry_run=dry_run, archives=archives,
                           yes=yes, force=force)

    def human(d: dict) -> None:
        verb = "would delete" if d["dry_run"] else "deleted"
        rows = [{"kind": n, "table": k["table"], "older_than": k["older_than"], verb: k["rows"]}
                for n, k in d["kinds"].items()]
        out.table(rows, ["kind", "table", "older_than", verb], empty="nothing to prune")
        for name, reason in d["skipped"].items():
            out.message(f"skipped {name}: {reason}", style="dim")

    out.emit(data, human)
