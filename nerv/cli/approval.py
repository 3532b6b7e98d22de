"""`nerv approval ...`: approval requests recorded by the PreToolUse hook (docs/hooks.md)."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Approval requests from agents' tool calls: list, show, approve, deny, suggest rules.",
                  no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="approval")


@app.command("list")
def list_cmd(
    status: str = typer.Option("pending", "--status", help="pending, approved, denied, expired, abandoned or all."),
    limit: int = typer.Option(50, "--limit", help="At most this many, newest first."),
) -> None:
    """List approval requests (with their session, agent and age) and the sessions waiting for input."""
    from nerv.services import approvals

    store = _ctx.store()
    rows = approvals.list_requests(store, status, limit)
    out.emit(rows, lambda rs: _human_list(rs, status, approvals.waiting_sessions(store), limit))


def _human_list(rows: list[dict], status: str, waiting: list[dict], limit: int) -> None:
    shown = [{**r, "session": (r["session_id"] or "")[:8], "age": out.span(r["age_s"]),
              "waiting": "waiting for input" if r["waiting_for"] else ""} for r in rows]
    out.table(shown, ["id", "status", "tool", "summary", "project", "session", "agent", "age", "mode", "waiting"],
              empty=f"no {status} approval requests", limit=limit)
    for session in waiting:
        who = f" ({session['agent']})" if session["agent"] else ""
        out.message(f"session {session['id'][:8]}{who} waiting for input since "
                    f"{(session['waiting_since'] or '')[:19].replace('T', ' ')} UTC: {session['waiting_for']}")


@app.command("show")
def show(request_id: int = typer.Argument(..., help="Request id.")) -> None:
    """Show one request with its full tool input."""
    from nerv.services import approvals

    out.emit(approvals.show_request(_ctx.store(), request_id))


def _decided(d: dict) -> None:
    text = f"approval request #{d['id']} {d['status']}"
    if d.get("remembered_rule"):
        text += f"; rule {d['remembered_rule']} stored"
    out.message(text)
    for warning in d.get("warnings", []):
        out.warn(warning)


@app.command("approve")
def approve(
    request_id: int = typer.Argument(..., help="Request id."),
    remember: bool = typer.Option(False, "--remember", help="Also store an allow rule for calls like this one."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why (kept with the request)."),
) -> None:
    """Approve a pending request (a hook waiting in queue mode lets the call run)."""
    from nerv.services import approvals

    out.emit(approvals.decide(_ctx.store(), request_id, True, reason=reason, remember=remember), _decided)


@app.command("deny")
def deny(
    request_id: int = typer.Argument(..., help="Request id."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why: shown to the agent."),
    remember: bool = typer.Option(False, "--remember", help="Also store a deny rule for calls like this one."),
) -> None:
    """Deny a pending request (a hook waiting in queue mode blocks the call with the reason)."""
    from nerv.services import approvals

    out.emit(approvals.decide(_ctx.store(), request_id, False, reason=reason, remember=remember), _decided)


@app.command("wait")
def wait(
    request_id: int = typer.Argument(..., help="Request id."),
    timeout: int = typer.Option(600, "--timeout", help="Give up after this many seconds (the request stays pending)."),
) -> None:
    """Wait until a request is approved, denied, expired or abandoned (LISTEN on PostgreSQL); show it then."""
    from nerv.services import approvals

    out.emit(approvals.wait_for_end(_ctx.store(), request_id, timeout), _waited)


def _waited(d: dict) -> None:
    if d["timed_out"]:
        out.message(f"approval request #{d['id']} still pending")
        return
    out.message(f"approval request #{d['id']} {d['status']}" + (f": {d['reason']}" if d.get("reason") else ""))


@app.command("suggest")
def suggest(
    limit: int = typer.Option(20, "--limit", help="At most this many suggestions."),
    min_count: int = typer.Option(1, "--min-count", help="Only patterns approved at least this often."),
) -> None:
    """Propose allow rules from history, ranked by how often the same pattern was approved."""
    from nerv.services import approvals

    rows = approvals.suggest_rules(_ctx.store(), limit, min_count)
    out.emit(rows, lambda rs: out.table(rs, ["rule", "approved", "requests", "project", "command"],
                                        empty="nothing to suggest yet"))
