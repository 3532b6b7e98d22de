"""The dashboard's layout for people (`nerv status`, `nerv watch`): rich renderables, never printed here.

Fits 80 columns as every table does (nerv/cli/_layout.py): each cell stays on one line and ends in an
ellipsis when it must be cut, times read `5m ago`, tasks `#12`; the global --utc shows full UTC time stamps,
--wide lets cells wrap uncut.
The layout is computed at render time, so `nerv watch` re-fits it when the terminal is resized.
"""

from __future__ import annotations

from nerv.cli import _layout
from nerv.cli._layout import usd
from nerv.cli._output import span

LABEL = 7  # width of the label of a one-line section ("spend", "db")


class View:
    def __init__(self, data: dict):
        self.data, self.utc, self.wide = data, _layout.utc(), _layout.wide()

    def __rich_console__(self, console, options):
        from rich.text import Text

        self.width = options.max_width
        d = self.data
        yield Text(f"nerv · {d['now'][:16].replace('T', ' ')} UTC", style="bold")
        yield from self._agents()
        yield from self._needs_person()
        yield from self._queues()
        yield from self._spend()
        yield self._line("db", _database(d["database"], self._when))

    # ---- pieces ---------------------------------------------------------------------------------------
    def _when(self, iso: str | None, seconds: float | None) -> str:
        return "never" if iso is None else _layout.moment(iso, age_s=seconds)

    def _table(self, headers: list[str], shares: dict[str, int], rows: list[list]):
        lines, _ = _layout.fit(headers, rows, self.width, shares=shares, drop=[], wide_view=self.wide)
        for line in lines:
            yield _layout.as_text([line], self.wide)

    def _line(self, label: str, text: str, style: str | None = None):
        from rich.text import Text

        line = Text(no_wrap=not self.wide, overflow="ellipsis")
        line.append(f"{label:<{LABEL}} ", style="bold")
        line.append(text, style=style)
        if not self.wide:
            line.truncate(self.width, overflow="ellipsis")
        return line

    def _agents(self):
        from rich.text import Text

        d = self.data
        if not d["agents"]:
            yield self._line("agents", f"none active ({d['idle_agents']} idle)" if d["idle_agents"] else "none yet")
            return
        rows = [[Text(agent["name"]), Text(_task_cell(agent)), self._lease_cell(agent),
                 Text(self._when(agent["last_seen_at"], agent["last_seen_s"])), Text(", ".join(agent["paths"]))]
                for agent in d["agents"]]
        headers, shares = ["agent", "task", "lease", "seen", "paths"], {"task": 3, "paths": 1}
        if not any(agent["paths"] for agent in d["agents"]):
            headers, rows = headers[:-1], [row[:-1] for row in rows]
        yield from self._table(headers, shares, rows)
        if d["idle_agents"]:
            yield Text(f"  + {d['idle_agents']} idle agent(s) not shown", style="dim")

    def _lease_cell(self, agent: dict):
        from rich.text import Text

        task = agent["task"]
        if agent["stale"] and agent["stale_why"] == "lease expired":
            return Text("expired", style="bold red")
        if task is None or task["lease_left_s"] is None:
            text = "-" if task is None else "none"
        else:
            text = task["lease_expires_at"] if self.utc else span(task["lease_left_s"])
        return Text(text + (" STALE" if agent["stale"] else ""), style="red" if agent["stale"] else None)

    def _needs_person(self):
        from rich.text import Text

        need = self.data["needs_person"]
        if not need["approvals"] and not need["blocked"]:
            yield self._line("person", "nothing needs a person", style="green")
            return
        yield Text(f"needs a person: {need['approvals_total']} approval(s), {need['blocked_total']} blocked",
                   style="bold yellow")
        rows = [[Text(f"approval {request['id']}"), Text(f"{request['tool']}: {request['summary']}"),
                 Text(request["agent"] or ""), Text(self._when(request["created_at"], request["age_s"]))]
                for request in need["approvals"]]
        for task in need["blocked"]:
            on = task["reason"] or "no reason given"
            if task["blockers"]:
                on += " (on " + " ".join(task["blockers"]) + ")"
            rows.append([Text(f"blocked {task['ref']}"), Text(f"{task['title']}: {on}"), Text(task["project"]),
                         Text(self._when(task["since"], task["since_s"]))])
        yield from self._table(["what", "detail", "who", "since"], {"detail": 1}, rows)

    def _queues(self):
        queues = self.data["queues"]
        if not queues:
            yield self._line("queue", "no open tasks")
        for entry in queues:
            yield self._line("queue", f"{entry['project']}: {entry['ready']} ready · {entry['waiting']} waiting · "
                                      f"{entry['in_progress']} in progress · {entry['review']} review · "
                                      f"{entry['blocked']} blocked")

    def _spend(self):
        spend = self.data["spend"]
        yield self._line("spend", f"today {usd(spend['today_usd'])} ({usd(spend['burn_usd_per_hour'])}/h) · "
                                  f"month {usd(spend['month_usd'])} ({usd(spend['burn_usd_per_day'])}/day, "
                                  f"~{usd(spend['month_projected_usd'])} by month end)")
        for budget in spend["budgets"]:
            style = {"exceeded": "bold red", "warning": "yellow"}.get(budget["state"])
            projected = "" if budget["projected_usd"] is None else f" · ~{usd(budget['projected_usd'])} projected"
            yield self._line("budget", f"{budget['summary']} {budget['state']}{projected}", style=style)
        if spend["unpriced"]:
            models = ", ".join(f"{m['model']} ({m['calls']})" for m in spend["unpriced"])
            yield self._line("warning", f"no price for {models} since {spend['unpriced_since']}: counted as $0; "
                                        "`nerv pricing set`", style="yellow")


def _task_cell(agent: dict) -> str:
    task = agent["task"]
    if task is None:
        return "(holds nothing)" if not agent["also_holds"] else "+" + " ".join(agent["also_holds"])
    more = f" (+{len(agent['also_holds'])})" if agent["also_holds"] else ""
    review = " [review]" if task["status"] == "review" else ""
    return f"{task['ref']}{review}{more} {task['title']}"


def _size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _database(db: dict, when) -> str:
    schema = f"schema {db['schema_version']}/{db['latest_version']}"
    return (f"{_size(db['size_bytes'])} · WAL {_size(db['wal_bytes'])} · backup "
            f"{when(db['last_backup_at'], db['last_backup_age_s'])} · {schema}")
