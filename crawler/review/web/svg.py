"""Charts as inline SVG, drawn on the server: no script, no web font, no charting library.

Right to left like the page: time runs from the right (the oldest month) to the left, labels
sit on the right and are laid out right to left. Every label is escaped (outlet names come
from the config and the stored data), and the only styling is SVG presentation attributes: the
page's Content-Security-Policy forbids inline ``style``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from crawler.review.charts import MonthlyCounts, OutletCount
from crawler.text.plurals import count_of

MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
WIDTH = 960
# Past this many months the chart shows the most recent ones: bars narrower than this get
# unreadable.
MAX_MONTHS = 36
ACCENT = "#0b5d6b"
COPY_COLOUR = "#8cc7d1"
GRID = "#dde2e7"
MUTED = "#5b6672"


def month_label(month: str) -> str:
    """``2025-05`` as ``مايو 2025``."""
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


def _attrs(**attrs: object) -> Markup:
    return Markup("").join(
        Markup(' {}="{}"').format(name.rstrip("_").replace("_", "-"), value)
        for name, value in attrs.items()
        if value is not None
    )


def _text(content: str, **attrs: object) -> Markup:
    return Markup("<text{}>{}</text>").format(_attrs(**attrs), content)


def _label(content: str, x: float, y: float, **attrs: object) -> Markup:
    """Text whose start is at (x, y) and which runs right to left, whatever script it is in."""
    return _text(
        content,
        x=f"{x:.1f}",
        y=f"{y:.1f}",
        direction="rtl",
        text_anchor="start",
        unicode_bidi="embed",
        **attrs,
    )


def _svg(title: str, height: float, body: Sequence[Markup], css_class: str) -> Markup:
    return Markup(
        '<svg class="chart {}" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {} {:.0f}" width="100%" font-size="13" fill="{}">'
        "<title>{}</title>{}</svg>"
    ).format(css_class, WIDTH, height, "#1d232a", title, Markup("").join(body))


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
) -> list[Markup]:
    """Month names under the bars, every ``k``-th where they would collide; the year under
    each January and the first month."""
    every = max(1, math.ceil(48 / slot))
    out = []
    for i, m in enumerate(months):
        x = x_of(i)
        if i % every == 0:
            out.append(
                _text(
                    MONTHS[int(m[5:7]) - 1],
                    x=f"{x:.1f}",
                    y=f"{y:.1f}",
                    text_anchor="middle",
                    font_size="11",
                    fill=MUTED,
                )
            )
        if i == 0 or m.endswith("-01"):
            out.append(
                _text(
                    m[:4],
                    x=f"{x:.1f}",
                    y=f"{y + 15:.1f}",
                    text_anchor="middle",
                    font_size="11",
                    font_weight="700",
                    fill=MUTED,
                )
            )
    return out


def stacked_months(data: MonthlyCounts, series: list[Series], title: str, noun: str) -> Markup:
    """Bars per month, stacked by series, the oldest month on the right.

    ``noun`` names what one unit is in a bar's tooltip (a label maker, e.g. "3 تطورات").
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

    body: list[Markup] = []
    if stacked:
        peak, step = _axis(max((data.month_total(m) for m in months), default=0))
        for value in range(0, peak + 1, step):
            y = top + plot_h - plot_h * value / peak
            body.append(
                Markup('<line x1="{}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}" stroke="{}"/>').format(
                    left, WIDTH - right, y, y, GRID
                )
            )
            body.append(
                _text(
                    str(value),
                    x=f"{WIDTH - right + 8:.1f}",
                    y=f"{y + 4:.1f}",
                    font_size="11",
                    fill=MUTED,
                )
            )
        bar_w = max(slot * 0.7, 1)
        for i, m in enumerate(months):
            base = float(top + plot_h)
            for s in series:
                n = data.counts.get((m, s.key), 0)
                if not n:
                    continue
                h = plot_h * n / peak
                base -= h
                tip = f"{month_label(m)} · {s.label}: {count_of(n, noun)}"
                body.append(
                    Markup(
                        '<rect class="bar" data-key="{}" data-month="{}" data-count="{}" '
                        'x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                        "<title>{}</title></rect>"
                    ).format(s.key, m, n, x_of(i) - bar_w / 2, base, bar_w, h, s.colour, tip)
                )
    else:
        peak = max((data.counts.get((m, s.key), 0) for m in months for s in series), default=0)
        for r, s in enumerate(series):
            y = top + r * row_h
            body.append(_label(s.label, WIDTH - 8, y + row_h * 0.68))
            for i, m in enumerate(months):
                n = data.counts.get((m, s.key), 0)
                cell = Markup(
                    '<rect class="cell" data-key="{}" data-month="{}" data-count="{}" '
                    'x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" '
                    'fill-opacity="{:.2f}"><title>{}</title></rect>'
                ).format(
                    s.key,
                    m,
                    n,
                    x_of(i) - slot / 2 + 1,
                    y + 1,
                    slot - 2,
                    row_h - 2,
                    ACCENT if n else "#f3f5f7",
                    0.15 + 0.85 * n / peak if n and peak else 1,
                    f"{month_label(m)} · {s.label}: {count_of(n, noun)}",
                )
                body.append(cell)
                if n and slot >= 22:
                    body.append(
                        _text(
                            str(n),
                            x=f"{x_of(i):.1f}",
                            y=f"{y + row_h * 0.68:.1f}",
                            text_anchor="middle",
                            font_size="11",
                            fill="#fff" if n / peak > 0.45 else "#1d232a",
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
    body: list[Markup] = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        body.append(
            _label(labels(r.source), WIDTH - 8, y + row_h * 0.68, **{"class": "outlet-label"})
        )
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
            tip = f"{labels(r.source)}: {count_of(n, noun)}"
            body.append(
                Markup(
                    '<rect class="bar {}" data-source="{}" data-count="{}" x="{:.1f}" '
                    'y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}</title></rect>'
                ).format(part, r.source, n, x, y + 4, w, row_h - 8, colour, tip)
            )
        body.append(
            _text(
                str(r.reports),
                x=f"{x - 6:.1f}",
                y=f"{y + row_h * 0.68:.1f}",
                text_anchor="end",
                font_size="12",
                fill=MUTED,
            )
        )
    return _svg(title, height, body, "outlets")


def swatch(colour: str) -> Markup:
    """A small coloured square for a legend written in HTML (so its text flows right to left)."""
    return Markup(
        '<svg class="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">'
        '<rect width="12" height="12" rx="2" fill="{}"/></svg>'
    ).format(colour)
