"""The one place that prints. JSON envelope for scripts, rich rendering for people.

Contract (docs/cli.md): with --json or NERV_JSON=1, stdout carries exactly one document
{"schema_version": 1, "data": ...}; errors go to stderr as {"schema_version": 1, "error": {...}}.
rich is imported only when something is rendered for a person.
"""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Sequence

SCHEMA_VERSION = 1


class _Mode:
    json = False
    debug = False
    utc = False  # times as the stored UTC stamps (nerv/cli/_layout.py)
    wide = False  # ids and text whole, every column


mode = _Mode()


def configure(*, json_flag: bool, debug_flag: bool, utc_flag: bool = False, wide_flag: bool = False) -> None:
    mode.json = json_flag or os.environ.get("NERV_JSON", "").lower() in ("1", "true", "yes")
    mode.debug = debug_flag or os.environ.get("NERV_DEBUG", "").lower() in ("1", "true", "yes")
    mode.utc, mode.wide = utc_flag, wide_flag


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, default=str)


_console = None
_err_console = None


def console():
    global _console
    if _console is None:
        from rich.console import Console

        # Never emoji codes (a title `:smile:`) nor highlighting: user text prints as it is.
        _console = Console(highlight=False, soft_wrap=False, emoji=False)
    return _console


def err_console():
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(stderr=True, highlight=False, emoji=False)
    return _err_console


def emit(data: Any, human: Callable[[Any], None] | None = None) -> None:
    """Print a command's result: the JSON envelope, or `human(data)` (default: a key/value view)."""
    if mode.json:
        sys.stdout.write(_dumps({"schema_version": SCHEMA_VERSION, "data": data}) + "\n")
        return
    if human is not None:
        human(data)
    elif isinstance(data, dict):
        kv(data)
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        table(data)
    elif data is not None:
        message(str(data))


def emit_error(code: str, message_text: str, hint: str | None = None, details: Any = None) -> None:
    if mode.json:
        error = {"code": code, "message": message_text, "hint": hint}
        if details is not None:
            error["details"] = details
        sys.stderr.write(_dumps({"schema_version": SCHEMA_VERSION, "error": error}) + "\n")
        return
    # Plain text: a user error must not pay for rich, and must read well when piped into a log.
    sys.stderr.write(f"error: {message_text}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


def warn(text: str) -> None:
    """A side note for people (never in JSON mode's stdout)."""
    sys.stderr.write(f"warning: {text}\n")


def note(text: str) -> None:
    """A line for people on stderr, when stdout carries a document that must stay parseable."""
    sys.stderr.write(f"{text}\n")


# ---- renderers for people -------------------------------------------------------------------------

def message(text: str, style: str | None = None, *, wrap: bool = True) -> None:
    """One line for people; `wrap=False` keeps it on one line whatever the width (a line per item, greppable).
    A line that names a path is never broken either: the path is copied and pasted."""
    console().print(text, style=style, markup=False, soft_wrap=not wrap or _names_path(text))


_names_path = re.compile(r"(?:^|\s)~?/[^\s/]+/").search


def table(rows: Sequence[dict], columns: Sequence[str] | None = None, *, title: str | None = None,
          headers: dict[str, str] | None = None, empty: str = "nothing to show", total: int | None = None,
          limit: int | None = None, drop: Sequence[str] | None = None) -> None:
    """`rows` (dicts) as aligned columns fitted to the terminal (nerv/cli/_layout.py); `columns` picks and
    orders the keys, `drop` the order in which they give way on a narrow terminal. `total`, when more rows
    matched than were fetched, adds the line that says how many more and how to see them; `limit`, the
    --limit the rows were fetched with when the total is not known, says there may be more."""
    if not rows:
        message(empty, style="dim")
        return
    from nerv.cli import _layout

    columns = list(columns or rows[0].keys())
    names = [(headers or {}).get(col, col.replace("_", " ")) for col in columns]
    cells = [[_layout.cell(col, row.get(col)) for col in columns] for row in rows]
    lines, hidden = _layout.fit(names, cells, console().width,
                                drop=None if drop is None else [names[columns.index(col)] for col in drop])
    if title:
        console().print(title, style="bold", markup=False)
    _print_block(_layout.as_text(lines))
    if hidden:
        message(f"(not shown at this width: {', '.join(hidden)}; --wide shows every column)", style="dim")
    if total is not None and total > len(rows):
        message(f"{total - len(rows):,} more, use --limit {total} (or --json) to see them all", style="dim")
    elif limit is not None and len(rows) >= limit > 0:
        message(f"the first {len(rows):,} shown; there may be more: use --limit", style="dim")


def _print_block(text) -> None:
    """A Text of many lines, never re-wrapped. Piped, it has no styles to draw: written as is, since rich's
    rendering costs ~0.2 ms a line (a 10,000-row list: 2 s of its 2.5 s)."""
    if console().is_terminal:
        console().print(text, soft_wrap=True)
    else:
        console().file.write(text.plain + "\n")


def kv(data: dict, *, title: str | None = None, keys: Iterable[str] | None = None) -> None:
    """A key/value panel for one object: labels in bold, values as in tables (short ids, local times),
    long text wrapped at words within the width; paths are cut with an ellipsis instead (--wide: whole)."""
    from rich.table import Table
    from rich.text import Text

    from nerv.cli import _layout

    view = Table.grid(padding=(0, 2))
    view.add_column(style="bold", no_wrap=True)
    view.add_column()
    for key in keys or data.keys():
        if data.get(key) in (None, "", [], {}):
            continue  # a panel shows what is known; --json has every field
        plain, style = _layout.cell(str(key), data.get(key))
        value = Text(plain, style=style or "")
        if value.plain.startswith("/") and not mode.wide:
            value.no_wrap, value.overflow = True, "ellipsis"
        view.add_row(Text(str(key).replace("_", " ")), value)
    if title:
        console().print(title, style="bold underline", markup=False)
    console().print(view)


@contextmanager
def progress(total: int | None, description: str):
    """A progress bar on a terminal; silent when piped, in JSON mode or in CI. Yields advance(n)."""
    if mode.json or not sys.stderr.isatty() or os.environ.get("CI"):
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console(), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def columns(headers: Sequence[str], cells: Sequence[Sequence[tuple[str, str | None]]]) -> None:
    """Side-by-side columns sharing the terminal width equally, cells (text, style); long lines end in an
    ellipsis (kanban board). No borders: at 80 columns each of five columns keeps 15 characters."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    view = Table(expand=True, show_lines=False, header_style="bold", padding=(0, 1), box=box.SIMPLE_HEAD,
                 show_edge=False)
    for header in headers:
        view.add_column(Text(header), ratio=1, no_wrap=True, overflow="ellipsis")
    depth = max((len(c) for c in cells), default=0)
    for index in range(depth):
        # Text, not str: a task title like "[bold]" must be shown, not read as rich markup.
        view.add_row(*(Text(column[index][0], style=column[index][1] or "") if index < len(column) else Text("")
                       for column in cells))
    console().print(view)


def csv_rows(rows: Sequence[dict], columns: Sequence[str]) -> None:
    """Comma-separated values with a header line, for spreadsheets (plain stdout, no rich)."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(col) is None else row.get(col) for col in columns])


def bars(rows: Sequence[tuple[str, float]], *, title: str | None = None) -> None:
    """Horizontal bars of US$ amounts scaled to the largest one (cost charts)."""
    from rich.table import Table
    from rich.text import Text

    from nerv.cli import _layout

    if title:
        console().print(title, style="bold", markup=False)
    if not rows:
        message("nothing to show", style="dim")
        return
    width = max(10, min(60, console().width - 40))
    peak = max((value for _, value in rows), default=0) or 1
    view = Table.grid(padding=(0, 1))
    view.add_column(overflow="ellipsis", no_wrap=True, max_width=30)
    view.add_column()
    view.add_column(justify="right")
    for label, value in rows:
        view.add_row(Text(_layout.short_id(str(label))), Text("█" * max(0, round(value / peak * width)), style="cyan"),
                     _layout.usd(value))
    console().print(view)


def document(data: Any) -> None:
    """A JSON document for people to read or pipe (indented): written as is, never through rich, which
    would hard-wrap long lines at the terminal width and break the JSON."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def completions(answer: str) -> None:
    """A shell completion answer, in the shell's own format (nerv/cli/_complete.py)."""
    sys.stdout.write(answer + "\n")


def document_stream():
    """stdout for a command whose output *is* a document (e.g. `nerv export` without --output)."""
    return sys.stdout


def span(seconds: float) -> str:
    """A duration in its largest whole unit: 45s, 5m, 3h, 2d (ages and time left, to fit narrow columns)."""
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def render(renderable) -> None:
    """Print a rich renderable built by a command's view module (the dashboard)."""
    console().print(renderable)


def live(frame: Callable[[], Any], interval: float) -> None:
    """Show `frame()` full screen, redrawn every `interval` seconds and at once when the terminal is resized,
    until `q` or Ctrl-C; the terminal (mode, screen, cursor) is restored on the way out."""
    import select
    import signal

    from rich.live import Live

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    previous = signal.signal(signal.SIGWINCH, lambda *_: _poke(wake_write))
    try:
        with _keys_unbuffered() as keys, Live(frame(), console=console(), screen=True, auto_refresh=False,
                                              redirect_stdout=False, redirect_stderr=False) as view:
            while True:
                ready, _, _ = select.select([fd for fd in (keys, wake_read) if fd is not None], [], [], interval)
                if wake_read in ready:
                    os.read(wake_read, 64)
                if keys is not None and keys in ready and _quit_key(keys):
                    return
                view.update(frame(), refresh=True)
    except KeyboardInterrupt:
        return
    finally:
        signal.signal(signal.SIGWINCH, previous)
        os.close(wake_read)
        os.close(wake_write)


def _poke(fd: int) -> None:
    try:
        os.write(fd, b"!")
    except OSError:
        pass  # the pipe is full: a redraw is already due


def _quit_key(fd: int) -> bool:
    data = os.read(fd, 64)
    return not data or b"q" in data.lower()


@contextmanager
def _keys_unbuffered():
    """stdin's descriptor in cbreak mode (keys arrive one by one, Ctrl-C still interrupts), or None when
    stdin is not a terminal (then only Ctrl-C stops the view)."""
    fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else None
    if fd is None:
        yield None
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
