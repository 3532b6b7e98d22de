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
_HASH = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{52}\b")  # a sha256 in hex, shown as its first 12 like git
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


def short_hashes(value):
    """`value` (text, or a dict or list of them) with every sha256 hex digest in it cut to its first 12
    characters (--wide: whole)."""
    if wide():
        return value
    if isinstance(value, str):
        return _HASH.sub(r"\1", value)
    if isinstance(value, dict):
        return {key: short_hashes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [short_hashes(item) for item in value]
    return value


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
    if isinstance(value, (int, float)) and _is_money(column):
        return usd(value)  # a sum of no rows is the integer 0
    if isinstance(value, int):
        return str(value) if column in _LABEL_NUMBERS else count(value)
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value else "0"
    if isinstance(value, str):
        # Cheap tests first: most cells are short titles and names, neither a time stamp nor an id.
        if len(value) >= 16 and value[4:5] == "-" and _ISO_TIME.fullmatch(value):
            return moment(value)
        return short_id(value) if len(value) >= 32 else value
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


def cell(column: str, value) -> tuple[str, str | None]:
    """One value as a table cell: its text and style (text is never read as rich markup: a title "[bold]")."""
    return text(column, value), style(column, value)


def fit(headers: list[str], rows: list[list], width: int, *, shares: dict[str, int] | None = None,
        drop: list[str] | None = None, wide_view: bool | None = None) -> tuple[list, list[str]]:
    """Rows of cells ((text, style), or one-style rich Text) as one line each, in aligned columns under bold
    headers: ([(plain, spans)] with the header line first, the headers dropped). `as_text` makes them Text.

    Short columns are as wide as their longest cell; the flexible ones (`shares`: header -> share; by default
    every text column longer than FLEXIBLE_OVER, sharing equally) split what is left, cut with an ellipsis.
    When the short columns and the flexible ones at MIN_FLEXIBLE do not fit, columns go in `drop` order
    (default: from the right, never the first). `wide_view` (default --wide) keeps every column and cell whole.
    """
    wide_view = wide() if wide_view is None else wide_view
    rows = [[_pair(c) for c in row] for row in rows]
    sizes = [[_cells(plain) for plain, _ in row] for row in rows]
    longest = [max([len(h)] + [row[i] for row in sizes]) for i, h in enumerate(headers)]
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
    columns = [widths[i] for i in shown]
    lines = [_line([(headers[i], "bold") for i in shown], [len(headers[i]) for i in shown], columns, wide_view)]
    lines += [_line([row[i] for i in shown], [size[i] for i in shown], columns, wide_view)
              for row, size in zip(rows, sizes)]
    if not wide_view:  # short columns alone may outgrow a tiny terminal
        lines = [_cut(line, width) for line in lines]
    return lines, hidden


def as_text(lines: list, wide_view: bool | None = None):
    """Lines from `fit` as one rich Text (rendered in one pass: ~10 times cheaper than a Text a line)."""
    from rich.text import Span, Text

    wide_view = wide() if wide_view is None else wide_view
    spans, offset = [], 0
    for plain, line_spans in lines:
        spans += [Span(start + offset, end + offset, style) for start, end, style in line_spans]
        offset += len(plain) + 1
    return Text("\n".join(plain for plain, _ in lines), spans=spans, no_wrap=not wide_view, overflow="ellipsis")


def _pair(cell) -> tuple[str, str | None]:
    return cell if isinstance(cell, tuple) else (cell.plain, str(cell.style) or None)


def _cells(plain: str) -> int:
    if plain.isascii():
        return len(plain)
    from rich.cells import cell_len

    return cell_len(plain)


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


def _line(cells: list, sizes: list[int], widths: list[int], wide_view: bool) -> tuple[str, list]:
    """One row as (plain, [(start, end, style)]): cut to each column's width with an ellipsis, padded."""
    parts, spans, offset, last = [], [], 0, len(cells) - 1
    for index, ((plain, style_name), length) in enumerate(zip(cells, sizes)):
        size = widths[index]
        if not wide_view and length > size:
            plain, length = _truncate(plain, size), size
        if style_name and plain:
            spans.append((offset, offset + len(plain), style_name))
        if index < last:
            plain += " " * (max(size - length, 0) + GAP)
        parts.append(plain)
        offset += len(plain)
    return "".join(parts).rstrip(), spans


def _truncate(plain: str, size: int) -> str:
    if plain.isascii():
        return plain[:max(size - 1, 0)] + "…"
    from rich.cells import set_cell_size

    return set_cell_size(plain, max(size - 1, 0)) + "…"


def _cut(line: tuple[str, list], width: int) -> tuple[str, list]:
    plain, spans = line
    if _cells(plain) <= width:
        return line
    plain = _truncate(plain, width)
    return plain, [(start, min(end, len(plain)), style) for start, end, style in spans if start < len(plain)]
