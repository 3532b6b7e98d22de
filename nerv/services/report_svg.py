"""Inline SVG charts for `nerv report`: plain strings, fixed number formats, no scripts, no external references.

Each chart is a <figure class="chart" id=...> holding one <svg> (drawn shapes are <path>s with a `d`) and an
HTML legend, so a browser shows it without JavaScript and a test can find every chart in the DOM. Inline SVG in
HTML needs no xmlns, which keeps the page free of any URL.
"""

from __future__ import annotations

import math
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")
WIDTH, HEIGHT = 880, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 14, 30
X_LABELS = 8
Y_TICKS = 4
MARKED_POINTS = 62


def _n(value: float) -> str:
    """Coordinates with one decimal: enough for a screen, and the same text for the same data."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_top(value: float) -> float:
    """The smallest 1/2/2.5/5 x 10^k at or above `value` (an axis that ends on a round number)."""
    if value <= 0:
        return 1.0
    base = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * base >= value * (1 - 1e-12):
            return step * base
    return 10 * base


def axis_top(value: float, whole: bool = False) -> float:
    """The axis end: Y_TICKS round steps at or above `value`; whole-number steps for counts."""
    step = nice_top(value / Y_TICKS)
    return (max(1, math.ceil(step)) if whole else step) * Y_TICKS


def _figure(chart_id: str, title: str, svg_body: str, legend: list[tuple[str, str]], height: int = HEIGHT) -> str:
    items = "".join(f'<li><span class="swatch" style="background:{c}"></span>{escape(name)}</li>' for name, c in legend)
    legend_html = f'<ul class="legend">{items}</ul>' if legend else ""
    return (f'<figure class="chart" id="{escape(chart_id)}"><figcaption>{escape(title)}</figcaption>'
            f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{svg_body}</svg>{legend_html}</figure>')


def empty(chart_id: str, title: str) -> str:
    """A chart with nothing to draw says so instead of drawing an empty frame."""
    return (f'<figure class="chart empty" id="{escape(chart_id)}"><figcaption>{escape(title)}</figcaption>'
            '<p class="muted">no data in range</p></figure>')


def _y_axis(top: float, fmt, plot_h: float, height: int) -> str:
    parts = []
    for tick in range(Y_TICKS + 1):
        value = top * tick / Y_TICKS
        y = height - BOTTOM - plot_h * tick / Y_TICKS
        parts.append(f'<path class="grid" d="M{LEFT},{_n(y)}H{WIDTH - RIGHT}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end">{escape(fmt(value))}</text>')
    return "".join(parts)


def _x_labels(labels: list[str], xs: list[float], height: int) -> str:
    if not labels:
        return ""
    count = min(X_LABELS, len(labels))
    picks = sorted({round(k * (len(labels) - 1) / max(count - 1, 1)) for k in range(count)})
    def anchor(i: int) -> str:  # the end labels stay inside the frame
        return "start" if i == 0 and len(picks) > 1 else "end" if i == len(labels) - 1 and len(picks) > 1 else "middle"

    return "".join(f'<text class="tick" x="{_n(xs[i])}" y="{height - BOTTOM + 18}" text-anchor="{anchor(i)}">'
                   f'{escape(labels[i])}</text>' for i in picks)


def stacked_area(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list[float]]], fmt) -> str:
    """One filled band per series, stacked in the given order, over evenly spaced x labels (e.g. days)."""
    if not labels or not series or not any(v for _, values in series for v in values):
        return empty(chart_id, title)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(labels)
    xs = [LEFT + plot_w * i / (count - 1) for i in range(count)] if count > 1 else [LEFT, LEFT + plot_w]
    totals = [sum(values[i] for _, values in series) for i in range(count)]
    top = axis_top(max(totals))
    base = [0.0] * count
    body = [_y_axis(top, fmt, plot_h, HEIGHT)]
    for index, (_, values) in enumerate(series):
        upper = [b + v for b, v in zip(base, values)]
        body.append(f'<path class="area" fill="{color(index)}" d="{_band(xs, base, upper, top, plot_h)}"/>')
        base = upper
    body.append(_x_labels(labels, xs, HEIGHT))
    return _figure(chart_id, title, "".join(body), [(name, color(i)) for i, (name, _) in enumerate(series)])


def _band(xs: list[float], lower: list[float], upper: list[float], top: float, plot_h: float) -> str:
    if len(xs) > len(upper):  # one label: the band spans the plot
        lower, upper = lower * 2, upper * 2

    def y(value: float) -> str:
        return _n(HEIGHT - BOTTOM - plot_h * value / top)

    edge = [f"{_n(x)},{y(v)}" for x, v in zip(xs, upper)]
    back = [f"{_n(x)},{y(v)}" for x, v in zip(reversed(xs), reversed(lower))]
    return "M" + "L".join(edge + back) + "Z"


def lines(chart_id: str, title: str, labels: list[str], series: list[tuple[str, list[float | None]]], fmt, *,
          whole: bool = False) -> str:
    """One polyline per series over evenly spaced x labels (with a dot on each point of a short series, so a
    single day still shows); None values are gaps."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        return empty(chart_id, title)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = len(labels)
    xs = [LEFT + plot_w * i / (count - 1) for i in range(count)] if count > 1 else [LEFT + plot_w / 2]
    top = axis_top(max(values), whole)
    body = [_y_axis(top, fmt, plot_h, HEIGHT)]
    for index, (_, vs) in enumerate(series):
        points = [f"{_n(x)},{_n(HEIGHT - BOTTOM - plot_h * v / top)}" for x, v in zip(xs, vs) if v is not None]
        body.append(f'<path class="line" stroke="{color(index)}" d="M{"L".join(points)}"/>')
        if len(points) <= MARKED_POINTS:
            dots = "".join(f"M{p}m-3,0a3,3 0 1,0 6,0a3,3 0 1,0 -6,0" for p in points)
            body.append(f'<path class="dot" fill="{color(index)}" d="{dots}"/>')
    body.append(_x_labels(labels, xs, HEIGHT))
    return _figure(chart_id, title, "".join(body), [(name, color(i)) for i, (name, _) in enumerate(series)])


def bars(chart_id: str, title: str, labels: list[str], values: list[float], fmt, *, whole: bool = False) -> str:
    """Vertical bars, one per label, each with its value above it."""
    if not labels or not any(values):
        return empty(chart_id, title)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = axis_top(max(values), whole)
    slot = plot_w / len(labels)
    width = max(slot * 0.7, 1.0)
    body = [_y_axis(top, fmt, plot_h, HEIGHT)]
    centres = []
    for index, value in enumerate(values):
        x = LEFT + slot * index + (slot - width) / 2
        h = plot_h * value / top
        y = HEIGHT - BOTTOM - h
        centres.append(x + width / 2)
        body.append(f'<path class="bar" fill="{color(0)}" d="M{_n(x)},{_n(HEIGHT - BOTTOM)}v{_n(-h)}h{_n(width)}'
                    f'v{_n(h)}Z"/><text class="value" x="{_n(x + width / 2)}" y="{_n(y - 3)}" '
                    f'text-anchor="middle">{escape(fmt(value))}</text>')
    body.append(_x_labels(labels, centres, HEIGHT))
    return _figure(chart_id, title, "".join(body), [])


def hbars(chart_id: str, title: str, labels: list[str], values: list[float], fmt) -> str:
    """Horizontal bars, one row per label (for long names such as tools or statuses)."""
    if not labels or not any(values):
        return empty(chart_id, title)
    row, label_w = 24, 200
    height = TOP + BOTTOM + row * len(labels)
    plot_w = WIDTH - label_w - RIGHT - 90
    top = max(values)
    body = []
    for index, (label, value) in enumerate(zip(labels, values)):
        y = TOP + row * index
        w = plot_w * value / top if top else 0
        body.append(f'<text class="tick" x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
                    f'<path class="bar" fill="{color(index)}" d="M{label_w},{y + 4}h{_n(max(w, 1.0))}v16h'
                    f'{_n(-max(w, 1.0))}Z"/><text class="value" x="{_n(label_w + max(w, 1.0) + 6)}" y="{y + 16}">'
                    f'{escape(fmt(value))}</text>')
    return _figure(chart_id, title, "".join(body), [], height=height)
