"""`nerv otel serve`: receive Claude Code's OpenTelemetry logs (OTLP/HTTP, JSON) into the ledger (docs/costs.md)."""

from __future__ import annotations

import typer

from nerv.cli import _ctx, _output as out

app = typer.Typer(help="Claude Code's own telemetry: a local OTLP/HTTP receiver.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="otel")


@app.command("serve")
def serve(
    port: int = typer.Option(4318, "--port", help="TCP port (0: any free one; the address is printed)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but loopback lets other "
                                                         "machines write to your ledger."),
    max_body: int = typer.Option(4 * 1024 * 1024, "--max-body", help="Largest request body taken, in bytes "
                                                                     "(also after gzip)."),
    quiet: bool = typer.Option(False, "--quiet", help="No line per request on stderr."),
) -> None:
    """Store Claude Code's api_request events (POST /v1/logs; /v1/metrics is acknowledged) until stopped."""
    from nerv.services import otel_receiver

    def report(signal: str, result: dict) -> None:
        if quiet:
            return
        if signal == "logs":
            out.note(f"logs: {result['stored']} api_request events stored, {result['duplicates']} already held, "
                     f"{result['rejected']} rejected, {result['other_events']} other events"
                     + (f" ({'; '.join(result['errors'])})" if result["errors"] else ""))
        elif signal == "metrics":
            out.note(f"metrics: {result['data_points']} data points acknowledged (not stored)")
        else:
            out.note(f"refused ({result['status']}): {result['message']}")

    server = otel_receiver.open_server(_ctx.store(), host=host, port=port, max_body=max_body,
                                       on_request=report)
    bound_host, bound_port = server.server_address[:2]
    if not otel_receiver.is_loopback(bound_host):
        out.warn(f"listening on {bound_host}: anyone who can reach it can add events to this ledger")
    out.note(f"listening on http://{bound_host}:{bound_port} (OTLP/HTTP JSON: /v1/logs, /v1/metrics)")
    tally = otel_receiver.run(server)
    out.emit(tally, lambda d: out.message(f"stopped: {d['requests']} requests, {d['stored']} api_request events "
                                          f"stored, {d['refused']} refused"))
