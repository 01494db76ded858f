"""Charts as inline SVG, drawn on the server: no script, no web font, no charting library.

Right to left like the page: time runs from the right (the oldest month) to the left, labels
sit on the right and are laid out right to left. Every value is escaped as it goes in (outlet
names come from the config and the stored data), and the only styling is SVG presentation
attributes: the page's Content-Security-Policy forbids inline ``style``. The markup is built as
plain strings, each value through :func:`_e`: ``Markup.format`` costs ten times as much, and a
chart has a thousand elements.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from crawler.review.charts import MAX_MONTHS, MonthlyCounts, OutletCount
from crawler.text.datewords import STANDARD_MONTHS
from crawler.text.plurals import count_of

WIDTH = 960
ACCENT = "#0b5d6b"
COPY_COLOUR = "#8cc7d1"
GRID = "#dde2e7"
MUTED = "#5b6672"


def month_label(month: str) -> str:
    """``2025-05`` as ``مايو 2025``."""
    return f"{STANDARD_MONTHS[int(month[5:7])]} {month[:4]}"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def _e(value: object) -> str:
    """``value`` escaped for an attribute or text."""
    return str(escape(value))


def _text(content: object, x: float, y: float, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{_e(content)}</text>'


def _label(content: str, x: float, y: float, css_class: str = "") -> str:
    """Text whose start is at (x, y) and which runs right to left, whatever script it is in."""
    extra = ' direction="rtl" text-anchor="start" unicode-bidi="embed"'
    if css_class:
        extra += f' class="{_e(css_class)}"'
    return _text(content, x, y, extra)


def _svg(title: str, height: float, body: Sequence[str], css_class: str) -> Markup:
    return Markup(
        f'<svg class="chart {_e(css_class)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" font-size="13" fill="#1d232a">'
        f"<title>{_e(title)}</title>{''.join(body)}</svg>"
    )


def _axis(value: int) -> tuple[int, int]:
    """A whole-number axis for counts up to ``value``: (top, step), the step 1, 2 or 5 times a
    power of ten, at most five steps to the top."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= 5 * step * factor:
                top = max(math.ceil(value / (step * factor)), 1) * step * factor
                return top, step * factor
        step *= 10


def _month_axis(
    months: list[str], x_of: Callable[[int], float], slot: float, y: float
) -> list[str]:
    """Month names under the bars, every ``k``-th where they would collide; the year under
    each January and the first month."""
    every = max(1, math.ceil(48 / slot))
    small = f' text-anchor="middle" font-size="11" fill="{MUTED}"'
    out = []
    for i, m in enumerate(months):
        x = x_of(i)
        if i % every == 0:
            out.append(_text(STANDARD_MONTHS[int(m[5:7])], x, y, small))
        if i == 0 or m.endswith("-01"):
            out.append(_text(m[:4], x, y + 15, small + ' font-weight="700"'))
    return out


def stacked_months(data: MonthlyCounts, series: list[Series], title: str, noun: str) -> Markup:
    """Bars per month, stacked by series, the oldest month on the right.

    ``noun`` names what one unit is in a bar's tooltip (a key of ``plurals.NOUNS``).
    """
    return _months_chart(data, series, title, noun, stacked=True)


def month_grid(data: MonthlyCounts, series: list[Series], title: str, noun: str) -> Markup:
    """A row per series (a country), a cell per month shaded by its count."""
    return _months_chart(data, series, title, noun, stacked=False)


def _months_chart(
    data: MonthlyCounts, series: list[Series], title: str, noun: str, *, stacked: bool
) -> Markup:
    months = data.months[-MAX_MONTHS:]
    label_w = 0 if stacked else 150
    right, left, top = 48 + label_w, 12, 14
    plot_w = WIDTH - right - left
    slot = plot_w / max(len(months), 1)
    row_h = 26
    plot_h = 220 if stacked else row_h * len(series)
    height = top + plot_h + 44

    def x_of(i: int) -> float:
        # Month i (oldest first) from the right edge of the plot.
        return WIDTH - right - slot * (i + 0.5)

    def tip(m: str, s: Series, n: int) -> str:
        return _e(f"{month_label(m)} · {s.label}: {count_of(n, noun)}")

    body: list[str] = []
    if stacked:
        peak, step = _axis(max((data.month_total(m) for m in months), default=0))
        for value in range(0, peak + 1, step):
            y = top + plot_h - plot_h * value / peak
            body.append(
                f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{GRID}"/>'
            )
            body.append(_text(value, WIDTH - right + 8, y + 4, f' font-size="11" fill="{MUTED}"'))
        bar_w = max(slot * 0.7, 1)
        for i, m in enumerate(months):
            base = float(top + plot_h)
            for s in series:
                n = data.counts.get((m, s.key), 0)
                if not n:
                    continue
                h = plot_h * n / peak
                base -= h
                body.append(
                    f'<rect class="bar" data-key="{_e(s.key)}" data-month="{_e(m)}" '
                    f'data-count="{n}" x="{x_of(i) - bar_w / 2:.1f}" y="{base:.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}" fill="{_e(s.colour)}">'
                    f"<title>{tip(m, s, n)}</title></rect>"
                )
    else:
        peak = max((data.counts.get((m, s.key), 0) for m in months for s in series), default=0)
        for r, s in enumerate(series):
            y = top + r * row_h
            body.append(_label(s.label, WIDTH - 8, y + row_h * 0.68))
            for i, m in enumerate(months):
                n = data.counts.get((m, s.key), 0)
                shade = 0.15 + 0.85 * n / peak if n and peak else 1
                body.append(
                    f'<rect class="cell" data-key="{_e(s.key)}" data-month="{_e(m)}" '
                    f'data-count="{n}" x="{x_of(i) - slot / 2 + 1:.1f}" y="{y + 1:.1f}" '
                    f'width="{slot - 2:.1f}" height="{row_h - 2:.1f}" '
                    f'fill="{ACCENT if n else "#f3f5f7"}" fill-opacity="{shade:.2f}">'
                    f"<title>{tip(m, s, n)}</title></rect>"
                )
                if n and slot >= 22:
                    ink = "#fff" if n / peak > 0.45 else "#1d232a"
                    body.append(
                        _text(
                            n,
                            x_of(i),
                            y + row_h * 0.68,
                            f' text-anchor="middle" font-size="11" fill="{ink}"',
                        )
                    )
    body += _month_axis(months, x_of, slot, top + plot_h + 16)
    return _svg(title, height, body, "months" if stacked else "grid")


def outlet_bars(rows: list[OutletCount], title: str, labels: Callable[[str], str]) -> Markup:
    """A bar per outlet, its name on the right, originals then copies growing leftwards."""
    row_h = 26
    label_w = 170
    top = 6
    height = top + row_h * max(len(rows), 1) + 8
    plot_right = WIDTH - label_w
    plot_w = plot_right - 60
    peak = max((r.reports for r in rows), default=0) or 1
    body: list[str] = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        body.append(_label(labels(r.source), WIDTH - 8, y + row_h * 0.68, "outlet-label"))
        x = float(plot_right)
        parts = (
            ("originals", r.originals, ACCENT, "original"),
            ("copies", r.copies, COPY_COLOUR, "copy"),
        )
        for part, n, colour, noun in parts:
            if not n:
                continue
            w = plot_w * n / peak
            x -= w
            body.append(
                f'<rect class="bar {part}" data-source="{_e(r.source)}" data-count="{n}" '
                f'x="{x:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="{row_h - 8:.1f}" '
                f'fill="{colour}"><title>{_e(labels(r.source))}: {_e(count_of(n, noun))}'
                "</title></rect>"
            )
        body.append(
            _text(
                r.reports,
                x - 6,
                y + row_h * 0.68,
                f' text-anchor="end" font-size="12" fill="{MUTED}"',
            )
        )
    return _svg(title, height, body, "outlets")


def swatch(colour: str) -> Markup:
    """A small coloured square for a legend written in HTML (so its text flows right to left)."""
    return Markup(
        '<svg class="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">'
        f'<rect width="12" height="12" rx="2" fill="{_e(colour)}"/></svg>'
    )
