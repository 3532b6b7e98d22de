"""How values look to people and how rows fit the terminal: text and rich Text, never printed here.

By default output fits the terminal (80 columns is the design width): ids read as their first 8
characters, times as local `5m ago` / `in 20m` (within a day) or `12-01 08:10`, counts with thousands
separators, US$ with 2 decimals, statuses and priorities in colour (NO_COLOR is honoured by rich). Each
table row stays on one line: long text ends in an ellipsis and, when even that does not fit, the
low-priority columns are dropped (and named). `--utc` shows times as the stored UTC stamps, `--wide`
keeps ids and text whole and every column, letting lines run past the width.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from nerv.cli import _output

GAP = 2  # spaces between columns
MIN_FLEXIBLE = 12  # a text column is not squeezed below this (or its header) before columns are dropped
FLEXIBLE_OVER = 16  # a text column whose longest cell is longer than this shares the width left
DAY = 86400

_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")
_LONG_ID = re.compile(r"\b([0-9a-f]{8})(?:[0-9a-f]{24}|-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")
# Integers that name or rank something rather than count it: no thousands separator.
_LABEL_NUMBERS = {"number", "priority", "version", "schema_version", "line", "pid", "cycle", "level", "seq"}
STATUS_STYLES = {
    "todo": None, "in_progress": "cyan", "review": "magenta", "blocked": "red", "done": "green",
    "cancelled": "dim", "active": "cyan", "ended": "dim", "planned": None, "completed": "green",
    "pending": "yellow", "approved": "green", "denied": "red", "expired": "dim", "accepted": "green",
    "proposed": "yellow", "superseded": "dim", "rejected": "red", "ok": "green", "warning": "yellow",
    "exceeded": "bold red",
}
PRIORITY_STYLES = {0: "bold red", 1: "yellow", 3: "dim", 4: "dim"}


def wide() -> bool:
    return _output.mode.wide


def utc() -> bool:
    return _output.mode.utc


def moment(iso: str | None, *, age_s: float | None = None) -> str:
    """A stored UTC time stamp for people: `5m ago`, `in 20m`, `12-01 08:10` (local), `2025-12-01` (another
    year); the stamp itself with --utc. `age_s` is the age the caller already knows (the dashboard's)."""
    if iso is None:
        return ""
    if utc():
        return iso
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if age_s is None:
        age_s = (datetime.now(timezone.utc) - when).total_seconds()
    if 0 <= age_s < DAY:
        return f"{_output.span(age_s)} ago"
    if -DAY < age_s < 0:
        return f"in {_output.span(-age_s)}"
    local = when.astimezone()
    if local.year != datetime.now().astimezone().year:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%m-%d %H:%M")


def short_id(value: str) -> str:
    """`value` with every full id in it (32 hex digits, or a uuid: Claude's session ids) cut to its first 8."""
    return value if wide() else _LONG_ID.sub(r"\1", value)


def count(value: int) -> str:
    return f"{value:,}"


def usd(value: float | None) -> str:
    """US$ with 2 decimals; under a cent with 4, so that a small cost (a turn, a cheap call) does not read $0.00."""
    if value is None:
        return ""
    return f"${value:,.4f}" if 0 < abs(value) < 0.01 else f"${value:,.2f}"


def _is_money(column: str) -> bool:
    return "usd" in column.lower() or "US$" in column or column in ("cost", "spent", "limit")


def text(column: str, value) -> str:
    """A value as the text of its cell (`column` is its key: costs, labels and ids read differently)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value) if column in _LABEL_NUMBERS else count(value)
    if isinstance(value, float):
        if _is_money(column):
            return usd(value)
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value else "0"
    if isinstance(value, str):
        if _ISO_TIME.fullmatch(value):
            return moment(value)
        return short_id(value)
    if isinstance(value, dict):
        return " · ".join(f"{key} {text(key, item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(text(column, item) for item in value)
    return str(value)


def style(column: str, value) -> str | None:
    if column.endswith("status") or column == "state":
        return STATUS_STYLES.get(value) if isinstance(value, str) else None
    if column == "priority" and isinstance(value, int):
        return PRIORITY_STYLES.get(value)
    return None


def cell(column: str, value):
    """A rich Text for one value: its text (never read as markup: user data such as "[bold]") and style."""
    from rich.text import Text

    return Text(text(column, value), style=style(column, value) or "")


def fit(headers: list[str], rows: list[list], width: int, *, shares: dict[str, int] | None = None,
        drop: list[str] | None = None, wide_view: bool | None = None) -> tuple[list, list[str]]:
    """Rows of Text cells as one Text line each, in aligned columns under bold headers, and the headers dropped.

    Short columns are as wide as their longest cell; the flexible ones (`shares`: header -> share; by default
    every text column longer than FLEXIBLE_OVER, sharing equally) split what is left, cut with an ellipsis.
    When the short columns and the flexible ones at MIN_FLEXIBLE do not fit, columns go in `drop` order
    (default: from the right, never the first). `wide_view` (default --wide) keeps every column and cell whole.
    """
    from rich.text import Text

    wide_view = wide() if wide_view is None else wide_view
    longest = [max([len(h)] + [row[i].cell_len for row in rows]) for i, h in enumerate(headers)]
    if shares is None:
        shares = {h: 1 for i, h in enumerate(headers) if longest[i] > FLEXIBLE_OVER}
    shown = list(range(len(headers)))
    hidden: list[str] = []
    if not wide_view:
        order = [headers.index(h) for h in drop] if drop is not None else shown[:0:-1]
        while order and _needed(headers, longest, shares, shown) > width:
            column = order.pop(0)
            shown.remove(column)
            hidden.append(headers[column])
    widths = longest if wide_view else _widths(headers, longest, shares, shown, width)
    lines = [_line([Text(headers[i], style="bold") for i in shown], [widths[i] for i in shown], width, wide_view)]
    lines += [_line([row[i] for i in shown], [widths[i] for i in shown], width, wide_view) for row in rows]
    return lines, hidden


def _needed(headers, longest, shares, shown) -> int:
    sizes = [min(longest[i], max(len(headers[i]), MIN_FLEXIBLE)) if headers[i] in shares else longest[i]
             for i in shown]
    return sum(sizes) + GAP * (len(shown) - 1)


def _widths(headers, longest, shares, shown, width) -> list[int]:
    """Column widths: flexible columns take shares of what the short ones leave, never more than they need."""
    widths = list(longest)
    flexible = sorted((i for i in shown if headers[i] in shares), key=lambda i: longest[i])
    spare = width - GAP * (len(shown) - 1) - sum(longest[i] for i in shown if i not in flexible)
    total = sum(shares[headers[i]] for i in flexible)
    for i in flexible:  # narrowest first, so what one does not need goes to the others
        share = shares[headers[i]]
        widths[i] = max(len(headers[i]), min(longest[i], spare * share // total if total else 0))
        spare, total = spare - widths[i], total - share
    return widths


def _line(cells: list, widths: list[int], width: int, wide_view: bool):
    """One row; each cell is a one-style Text (as `cell` makes them), laid out as plain strings: copying and
    truncating a Text per cell costs ~10 times more."""
    from rich.cells import cell_len, set_cell_size
    from rich.text import Text

    line = Text(no_wrap=not wide_view, overflow="ellipsis")
    last = len(cells) - 1
    for index, cell_text in enumerate(cells):
        plain, size = cell_text.plain, widths[index]
        length = cell_len(plain)
        if not wide_view and length > size:
            plain, length = set_cell_size(plain, size - 1) + "…", size
        if index < last:
            plain += " " * (max(size - length, 0) + GAP)
        line.append(plain, style=cell_text.style or None)
    line.rstrip()
    if not wide_view and line.cell_len > width:
        line.truncate(width, overflow="ellipsis")  # short columns alone may outgrow a tiny terminal
    return line
