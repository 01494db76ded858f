"""Text shown to people, the same in alerts and on the web page: stored text on one line, a
link only to an http(s) address, dates in UTC, labels in Arabic or in both languages, and text
cut into highlighted and plain pieces for a renderer that escapes each.

Everything here takes text from the open web, so none of it may let that text act: a
``javascript:`` URL is never linked, and a line break cannot start a mail header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINEBREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
_BREAK_OR_CONTROL = re.compile(r"[\r\n\u2028\u2029\x85\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def one_line(text: str | None) -> str:
    """Text with line breaks and control characters turned into single spaces."""
    if not text:
        return ""
    text = _LINEBREAKS.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def flat(text: str) -> str:
    """Line breaks and control characters as spaces, one for one: offsets into ``text`` (the
    spans of highlighted terms) still hold, and the spaces at its edges stay."""
    return _BREAK_OR_CONTROL.sub(" ", text)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL; anything else (javascript:, data:) is not linked."""
    if not url:
        return None
    url = one_line(url).replace(" ", "%20")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # "|" and ">" would end a Slack link early and "<" or quotes break out of markup;
    # percent-encoding them keeps the address the same for the server.
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def format_date(value: datetime, *, day: bool | None = None) -> str:
    """``2024-06-03 09:15 UTC``, or ``2024-06-03`` for a ``day``.

    ``day=None`` (the precision is not known) takes exactly midnight UTC for a bare date.
    """
    if value.tzinfo is None:
        # Storage keeps aware UTC; a naive value is taken as UTC rather than local time.
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if day is None:
        day = (value.hour, value.minute, value.second) == (0, 0, 0)
    return value.strftime("%Y-%m-%d" if day else "%Y-%m-%d %H:%M UTC")


Labels = Mapping[str, tuple[str, str]]


def arabic_label(labels: Labels, key: str) -> str:
    """The Arabic of an (Arabic, English) label; an unknown key keeps its own name."""
    return labels[key][0] if key in labels else key


def bilingual_label(labels: Labels, key: str, *, english_first: bool = False) -> str:
    """``عقد / Contract``, or ``Contract / عقد`` where Latin reads first (a mail subject)."""
    if key not in labels:
        return key
    ar, en = labels[key]
    return f"{en} / {ar}" if english_first else f"{ar} / {en}"


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted (start, end) spans, those that overlap or touch made one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def segments(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) pairs, for escaping renderers (Jinja2, rich)."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in merge_spans(s for s in spans if 0 <= s[0] < s[1] <= len(text)):
        if start < pos:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out
