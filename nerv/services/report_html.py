"""The HTML of `nerv report`: sections built from nerv.services.report's data, every user text escaped.

No scripts, no external style sheets, fonts or images: the page reads the same offline and in any browser.
"""

from __future__ import annotations

from html import escape

from nerv.services import report_svg as svg

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:940px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:14px;margin:16px 0 4px}.muted{color:#777}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
figure.chart{margin:8px 0 16px}figcaption{font-weight:600;margin-bottom:4px}
svg .grid{stroke:#e4e4e4;stroke-width:1;fill:none}svg .tick,svg .value{font-size:11px;fill:#555}
svg .line{fill:none;stroke-width:2}svg .area{stroke:none;opacity:.9}
ul.legend{list-style:none;padding:0;margin:2px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:baseline}
.board{display:grid;grid-template-columns:repeat(6,1fr);gap:8px}.column{background:#f6f6f6;padding:6px;min-width:0}
.column h3{margin:0 0 6px;font-size:13px}.card{background:#fff;border:1px solid #e2e2e2;padding:4px;margin:0 0 4px;
font-size:12px;overflow-wrap:anywhere}
"""


def money(value: float) -> str:
    return f"${value:,.2f}"


def hours(value: float) -> str:
    return f"{value:,.1f} h"


def count(value: float) -> str:
    return f"{value:,.0f}"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), empty: str = "none") -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{escape(str(c))}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(data: dict) -> tuple[str, list[str]]:
    """(the whole HTML document, the ids of the charts that have something to draw)."""
    sections = [_header(data), _costs(data["costs"])]
    if "cycles" in data:
        sections += [_cycles(data["cycles"]), _board(data["board"])]
    else:
        sections.append('<h2>Cycles and board</h2><p class="muted">No project selected: pass --project NAME '
                        '(or run inside a registered repo) for its cycles and board.</p>')
    sections += [_time_in_status(data["time_in_status"]), _approvals(data["approvals"]),
                 _sessions(data["sessions"])]
    body = "".join(sections)
    title = f"nerv report: {data['project'] or 'all projects'}"
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
            f"<body>{body}</body></html>\n")
    return html, _drawn_charts(body)


def _drawn_charts(body: str) -> list[str]:
    marker = '<figure class="chart" id="'
    ids, at = [], body.find(marker)
    while at >= 0:
        start = at + len(marker)
        ids.append(body[start:body.index('"', start)])
        at = body.find(marker, start)
    return ids


def _header(data: dict) -> str:
    scope = escape(data["project"] or "all projects")
    since = escape(data["since"] or "the first record")
    return (f"<h1>nerv report: {scope}</h1><p class=\"muted\">From {since} to {escape(data['end'])} (exclusive); "
            f"as of {escape(data['now'])}. Total cost {money(data['costs']['total_usd'])} over "
            f"{count(data['costs']['api_calls'])} API calls.</p>")


def _costs(costs: dict) -> str:
    unit = "day" if costs["bucket_days"] == 1 else f"{costs['bucket_days']} days"
    parts = ["<h2>Cost over time</h2>",
             svg.stacked_area("cost-by-model", f"Cost per {unit} by model (US$)", costs["labels"],
                              costs["by_model"], money),
             svg.stacked_area("cost-by-agent", f"Cost per {unit} by agent (US$)", costs["labels"],
                              costs["by_agent"], money)]
    for title, rows in (("By model", costs["models"]), ("By agent", costs["agents"])):
        parts.append(f"<h3>{title}</h3>" + _table(
            [title[3:], "API calls", "US$"], [[r["key"], count(r["api_calls"]), money(r["cost_usd"])] for r in rows],
            {1, 2}, "no usage in range"))
    return "".join(parts)


def _cycles(cycles: list[dict]) -> str:
    parts = ["<h2>Cycles: velocity and burn-down</h2>",
             svg.bars("velocity", "Tasks done per cycle", [f"cycle {c['number']}" for c in cycles],
                      [float(c["done"]) for c in cycles], count, whole=True),
             _table(["cycle", "goal", "status", "started", "closed", "days", "done", "scope"],
                    [[c["number"], c["goal"], c["status"], c["started_at"][:10], (c["closed_at"] or "-")[:10],
                      f"{c['days']:.1f}", c["done"], c["scope"]] for c in cycles], {0, 5, 6, 7}, "no cycles")]
    for cycle in (c for c in cycles if c["burndown"]):
        burn = cycle["burndown"]
        parts.append(svg.lines(f"burndown-{cycle['number']}", f"Burn-down, cycle {cycle['number']}: {cycle['goal']}",
                               burn["days"], [("tasks left", burn["remaining"]), ("ideal", burn["ideal"])], count,
                               whole=True))
    return "".join(parts)


def _board(columns: list[dict]) -> str:
    cells = []
    for column in columns:
        cards = "".join(
            f'<div class="card">#{t["number"]} {escape(t["title"])}<br><span class="muted">P{t["priority"]}'
            f'{" · " + escape(t["assignee"]) if t["assignee"] else ""}</span></div>' for t in column["tasks"])
        more = column["count"] - len(column["tasks"])
        if more > 0:
            cards += f'<p class="muted">and {more:,} more</p>'
        cells.append(f'<div class="column"><h3>{escape(column["status"])} ({column["count"]:,})</h3>{cards}</div>')
    return f'<h2>Board</h2><div class="board">{"".join(cells)}</div>'


def _time_in_status(rows: list[dict]) -> str:
    return ("<h2>Time in each status</h2>" +
            svg.hbars("time-in-status", "Mean hours per task in each open status", [r["status"] for r in rows],
                      [r["mean_hours"] for r in rows], hours) +
            _table(["status", "tasks", "total", "mean per task"],
                   [[r["status"], count(r["tasks"]), hours(r["hours"]), hours(r["mean_hours"])] for r in rows],
                   {1, 2, 3}))


def _approvals(summary: dict) -> str:
    per_tool: dict[str, dict[str, int]] = {}
    for tool, status, n in summary["by_tool"]:
        per_tool.setdefault(tool, {})[status] = n
    ranked = sorted(per_tool, key=lambda tool: (-sum(per_tool[tool].values()), tool))[:10]
    statuses = sorted({status for _, status, _ in summary["by_tool"]})
    wait = (f"{summary['decided']:,} decided by a person or rule; mean wait {summary['mean_wait_s']:,.1f} s, "
            f"longest {summary['max_wait_s']:,.1f} s." if summary["decided"] else "None decided in range.")
    return ("<h2>Approval log</h2>" +
            svg.hbars("approvals-by-tool", "Approval requests per tool", ranked,
                      [float(sum(per_tool[t].values())) for t in ranked], count) +
            _table(["status", "requests"], [[s, count(n)] for s, n in summary["by_status"]], {1},
                   "no approval requests in range") +
            _table(["tool", *statuses], [[t, *(count(per_tool[t].get(s, 0)) for s in statuses)] for t in ranked],
                   set(range(1, len(statuses) + 1)), "") +
            _table(["decided by", "requests"], [[who, count(n)] for who, n in summary["by_decider"]], {1}, "") +
            f'<p class="muted">{escape(wait)}</p>')


def _sessions(rows: list[dict]) -> str:
    table_rows = [[r["session_id"], r["agent"] or "-", r["model"] or "-", r["project"] or "-",
                   f"#{r['task_number']} {r['task_title']}" if r["task_number"] else "-",
                   (r["started_at"] or "-")[:16], count(r["api_calls"]), count(r["tokens"]), money(r["cost_usd"])]
                  for r in rows]
    return "<h2>Top sessions by cost</h2>" + _table(
        ["session", "agent", "model", "project", "task", "started", "API calls", "tokens", "US$"], table_rows,
        {6, 7, 8}, "no sessions in range")
