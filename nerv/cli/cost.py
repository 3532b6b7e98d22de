"""`nerv cost`: tokens and US$ by day, week, month, project, model, session, task, cycle, agent or subagent;
`--blocks`: Claude's 5-hour usage blocks."""

from __future__ import annotations

from typing import Optional

import typer

from nerv.cli import _ctx, _output as out
from nerv.cli._layout import count, usd
from nerv.cli._options import CURRENT_OR_GLOBAL, global_option, project_option, scope_label
from nerv.errors import usage

COLUMNS = ["key", "api_calls", "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens",
           "cost_usd"]
HEADERS = {"api_calls": "calls", "input_tokens": "input", "output_tokens": "output",
           "cache_write_tokens": "cache write", "cache_read_tokens": "cache read", "cost_usd": "US$"}
CSV_COLUMNS = ["key", "api_calls", "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
               "cache_read_tokens", "cost_usd", "unpriced_calls"]


def register(root: typer.Typer) -> None:
    root.command("cost")(cost)


def cost(
    by: Optional[str] = typer.Option(None, "--by", help="Group by day, week, month, project, model, session, task, "
                                                        "cycle, agent or subagent."),
    since: Optional[str] = typer.Option(None, "--since", help="From (inclusive): YYYY-MM-DD, ISO time, or 7d."),
    until: Optional[str] = typer.Option(None, "--until", help="Up to (exclusive): YYYY-MM-DD, ISO time, or 7d."),
    project: Optional[str] = project_option(CURRENT_OR_GLOBAL, "Only this project's usage"),
    everywhere: bool = global_option("every project's usage"),
    chart: bool = typer.Option(False, "--chart", help="Draw the groups' cost as bars."),
    csv: bool = typer.Option(False, "--csv", help="Print the groups (or the totals) as CSV."),
    recompute: bool = typer.Option(False, "--recompute", help="First re-price all stored usage with the prices "
                                                              "in force (`nerv pricing`)."),
    cost_mode: str = typer.Option("auto", "--cost-mode", help="auto: a line's own costUSD, else from tokens; "
                                                             "calculate: always from tokens; display: costUSD only."),
    blocks: bool = typer.Option(False, "--blocks", help="Claude's 5-hour usage blocks (default: last 7 days) with "
                                                        "burn rate and projection."),
    now: Optional[str] = typer.Option(None, "--now", help="With --blocks: the time taken as now (ISO)."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="With --blocks: show times in this IANA zone "
                                                                    "(default UTC)."),
    breakdown: Optional[str] = typer.Option(None, "--breakdown", help="model: each group's (or the total's) "
                                                                      "calls and cost per model, nested."),
    reconcile: bool = typer.Option(False, "--reconcile", help="Per session, the transcripts' calls beside Claude "
                                                              "Code's telemetry (`nerv otel serve`), by request id."),
) -> None:
    """Tokens and cost with totals and p50/p90/p99 per session and per task (docs/costs.md)."""
    from nerv.services import costs

    store = _ctx.store()
    if reconcile:
        _reconcile(store, since=since, until=until, others=[by, project, chart or None, csv or None, recompute or None,
                                                            blocks or None, now, timezone, breakdown,
                                                            None if cost_mode == "auto" else cost_mode])
        return
    if blocks:
        _blocks(store, by=by, since=since, until=until, project=project, now=now, timezone_name=timezone)
        return
    if now or timezone:
        raise usage("--now and --timezone go with --blocks")
    if breakdown and chart:
        raise usage("--breakdown does not go with --chart")
    if recompute and not (by or since or until or project or everywhere or chart or csv or breakdown
                          or cost_mode != "auto"):
        done = costs.recompute(store)
        out.emit(done, lambda d: out.message(f"re-priced {d['rows']} API calls ({d['models_priced']} models)" + (
            "; no price for: " + ", ".join(d["unpriced_models"]) if d["unpriced_models"] else "")))
        return
    data = costs.report(store, by=by, since=since, until=until, project=project, recompute_first=recompute,
                        cost_mode=cost_mode, breakdown=breakdown, everywhere=everywhere)
    if csv and not out.mode.json:
        rows = data["groups"] if by else [{"key": "total", **data["totals"]}]
        if breakdown:
            out.csv_rows([{"key": row["key"], **model} for row in rows for model in row["models"]],
                         ["key", "model", *CSV_COLUMNS[1:]])
        else:
            out.csv_rows(rows, CSV_COLUMNS)
        return
    out.emit(data, lambda d: _human(d, chart))


def _human(data: dict, chart: bool) -> None:
    if data["breakdown"]:
        _human_breakdown(data)
    elif data["by"]:
        if chart:
            out.bars([(g["key"], g["cost_usd"]) for g in data["groups"]], title=f"cost by {data['by']} (US$)")
        else:
            out.table(data["groups"], COLUMNS, headers={"key": data["by"], **HEADERS}, empty="no usage in range")
    totals = data["totals"]
    out.kv({"api calls": totals["api_calls"], "input tokens": totals["input_tokens"],
            "output tokens": totals["output_tokens"],
            "cache write tokens": f"{count(totals['cache_write_tokens'])} "
                                  f"(1 h: {count(totals['cache_write_1h_tokens'])})",
            "cache read tokens": totals["cache_read_tokens"], "cost": totals["cost_usd"],
            "per session p50/p90/p99": _spread(data["per_session"]),
            "per task p50/p90/p99": _spread(data["per_task"])}, title=f"total ({scope_label(data)})")
    for model, calls in data["unpriced_models"].items():
        out.warn(f"{calls} API calls of {model} have no price and count as $0: `nerv pricing set {model} ...`, "
                 "then `nerv cost --recompute`")


RECONCILE_COLUMNS = ["session", "matched_calls", "telemetry_only_calls", "transcript_only_calls", "tokens_off",
                     "nerv_cost_usd", "claude_code_cost_usd"]
RECONCILE_HEADERS = {"matched_calls": "both", "telemetry_only_calls": "otel only",
                     "transcript_only_calls": "jsonl only", "tokens_off": "Δ tokens", "nerv_cost_usd": "nerv US$",
                     "claude_code_cost_usd": "CC US$"}
SESSION_SHOWN = 13  # characters of a session id in the text view (JSON has them whole)


def _reconcile(store, *, since, until, others) -> None:
    from nerv.services import telemetry

    if any(value is not None for value in others):
        raise usage("--reconcile goes only with --since and --until")
    out.emit(telemetry.reconcile(store, since=since, until=until), _human_reconcile)


def _human_reconcile(data: dict) -> None:
    rows = []
    for session in data["sessions"]:
        rows.append({**session, "session": _cut(session["session_id"], SESSION_SHOWN),
                     "tokens_off": sum(abs(v) for v in session["token_differences"].values())})
    out.table(rows, RECONCILE_COLUMNS, headers=RECONCILE_HEADERS, title="transcripts vs Claude Code telemetry",
              empty="no telemetry in range: run `nerv otel serve` and set Claude Code's OTEL_* variables "
                    "(docs/costs.md)")
    totals = data["totals"]
    differences = ", ".join(f"{k.replace('_tokens', '')} {'+' * (v > 0)}{count(v)}"
                            for k, v in totals["token_differences"].items() if v)
    out.kv({"sessions": totals["sessions"], "calls in both": totals["matched_calls"],
            "telemetry only": totals["telemetry_only_calls"], "transcripts only": totals["transcript_only_calls"],
            "calls with other tokens": f"{totals['calls_with_token_differences']}"
                                       + (f" (telemetry - transcripts: {differences})" if differences else ""),
            "nerv US$ / Claude Code US$": f"{usd(totals['nerv_cost_usd'])} / {usd(totals['claude_code_cost_usd'])}",
            "same, calls in both": f"{usd(totals['matched_nerv_cost_usd'])} / "
                                   f"{usd(totals['matched_claude_code_cost_usd'])}",
            "sessions without telemetry": data["sessions_without_telemetry"]}, title="total")


# The nested view fits 80 columns: names cut at KEY_SHOWN characters; numbers as in every table (_layout.text).
KEY_SHOWN = 28
BREAKDOWN_COLUMNS = ["key", "api_calls", "tokens", "cache_write_tokens", "cache_read_tokens", "cost_usd"]


def _human_breakdown(data: dict) -> None:
    """Each group's row, then its models' rows indented under it (JSON keeps the nesting as lists)."""
    groups = data["groups"] if data["by"] else [{"key": "total", **data["totals"]}]
    rows = []
    for group in groups:
        rows.append(_breakdown_row(str(group["key"]), group))
        rows += [_breakdown_row("  " + model["model"], model) for model in group["models"]]
    out.table(rows, BREAKDOWN_COLUMNS, headers={"key": f"{data['by'] or 'total'} / model", "tokens": "in+out",
                                                **HEADERS}, empty="no usage in range")


def _breakdown_row(key: str, sums: dict) -> dict:
    return {"key": _cut(key, KEY_SHOWN), "api_calls": sums["api_calls"], "tokens": sums["input_tokens"] + sums["output_tokens"],
            "cache_write_tokens": sums["cache_write_tokens"], "cache_read_tokens": sums["cache_read_tokens"],
            "cost_usd": float(sums["cost_usd"])}


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


BLOCK_COLUMNS = ["start", "last_call", "api_calls", "tokens", "cache_tokens", "cost_usd", "usd_per_hour",
                 "tokens_per_minute", "projected_usd"]


def _blocks(store, *, by, **options) -> None:
    from nerv.services import costs

    if by:
        raise usage("--by does not go with --blocks")
    data = costs.blocks(store, **options)
    out.emit(data, _human_blocks)


def _human_blocks(data: dict) -> None:
    rows = []
    for block in data["blocks"]:
        rate, projected = block["burn_rate"] or {}, block["projection"] or {}
        rows.append({"start": block["start"][:16].replace("T", " "),
                     "last_call": block["last_call"][11:16] + (" (active)" if block["active"] else ""),
                     "api_calls": block["api_calls"], "tokens": block["input_tokens"] + block["output_tokens"],
                     "cache_tokens": block["cache_write_tokens"] + block["cache_read_tokens"],
                     "cost_usd": block["cost_usd"], "usd_per_hour": rate.get("usd_per_hour"),
                     "tokens_per_minute": _whole(rate.get("tokens_per_minute")),
                     "projected_usd": projected.get("cost_usd")})
    out.table(rows, BLOCK_COLUMNS, headers={"last_call": "last call", "api_calls": "calls", "tokens": "in+out",
                                            "cache_tokens": "cache", "cost_usd": "US$", "usd_per_hour": "US$/h",
                                            "tokens_per_minute": "tokens/min", "projected_usd": "projected"},
              title=f"5-hour blocks since {data['since'][:16]} ({data['timezone']})", empty="no usage in range")
    active = data["active"]
    if active and active["projection"]:
        out.message(f"active block ends {active['end']}: {active['projection']['remaining_minutes']} min left, "
                    f"projected {usd(active['projection']['cost_usd'])}")


def _whole(value):
    return None if value is None else round(value)


def _spread(stats: dict) -> str:
    if not stats["count"]:
        return "-"
    return f"{usd(stats['p50'])} / {usd(stats['p90'])} / {usd(stats['p99'])} (n={count(stats['count'])})"
