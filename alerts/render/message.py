"""The alert message a transport renders, and what its Slack and mail renderings share: labels,
captions, the header line, the footer, and which characters of the evidence are highlighted.

Every piece of article text (headline, outlet, evidence, countries, notes) comes from the open
web; each rendering escapes it for its own format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from crawler.analysis.country_names import arabic_country_name
from crawler.text.display import bilingual_label, one_line
from crawler.vocab import ALERT_KIND_LABELS, TOPIC_LABELS, AlertKind

# Field captions, Arabic first as in the topic labels.
CAPTIONS = {
    "outlet": "المصدر / Outlet",
    "date": "التاريخ / Date",
    "countries": "الدول / Countries",
    "topics": "المواضيع / Topics",
    "evidence": "الدليل / Evidence",
    "amounts": "المبالغ / Amounts",
    "coverage": "التغطية / Coverage",
    "outlets": "نشرته / Outlets",
    "marsad": "افتح في مرصد / Open in Marsad",
}
NOTHING_NEW = "لا جديد / Nothing new"
# Headlines longer than this are junk extraction; keep messages readable.
HEADLINE_LIMIT = 300

_LIST_KINDS = frozenset({AlertKind.DIGEST, AlertKind.SUMMARY, AlertKind.SPIKE})
_NOTE_KINDS = frozenset({AlertKind.SOURCE_HEALTH, AlertKind.TEST})
REPORT_KINDS = frozenset({AlertKind.NEW, AlertKind.FOLLOW_UP})


class Amount(NamedTuple):
    """A sum of money as the article wrote it, and its value in a currency (ISO 4217; None
    when the article names none)."""

    text: str
    value: float | None = None
    currency: str | None = None


class Coverage(NamedTuple):
    """How widely a development ran: its independent reports, the copies of them, and the
    outlets (display names) that ran either, first first."""

    reports: int
    copies: int
    outlets: Sequence[str] = ()


class DigestItem(NamedTuple):
    """One line of a digest, summary or spike; a plain (headline, url, outlet, topics) tuple
    works too."""

    headline: str
    url: str | None = None
    outlet: str | None = None
    topics: Sequence[str] = ()
    published_at: datetime | None = None
    marsad_url: str | None = None
    coverage: Coverage | None = None
    countries: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class AlertMessage:
    """Everything a transport needs to render one alert; built by the dispatcher from a row."""

    kind: str
    headline: str = ""
    topics: list[str] = field(default_factory=list)
    alert_id: int | None = None
    development_id: int | None = None
    url: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    countries: list[str] = field(default_factory=list)
    evidence: str | None = None
    # (start, end) spans inside ``evidence``, or term strings to find in it.
    highlight_terms: list[tuple[int, int] | str] = field(default_factory=list)
    thread_key: str | None = None
    amounts: list[Amount] = field(default_factory=list)
    coverage: Coverage | None = None
    # The article's page on the review site, when `web.base_url` is set.
    marsad_url: str | None = None
    items: list[DigestItem | tuple[Any, ...]] = field(default_factory=list)
    note: str | None = None

    @property
    def layout(self) -> Literal["list", "note", "report"]:
        """A digest or summary lists items, a source-health or test message is one note, and
        the rest report an article."""
        if self.kind in _LIST_KINDS:
            return "list"
        if self.kind in _NOTE_KINDS:
            return "note"
        return "report"

    def digest_items(self) -> list[DigestItem]:
        return [i if isinstance(i, DigestItem) else DigestItem(*i) for i in self.items]


def topic_label(topic: str) -> str:
    """ "عقد / Contract"; an unknown topic keeps its own name."""
    return bilingual_label(TOPIC_LABELS, topic)


def countries_text(countries: Iterable[str]) -> str:
    """The countries in Arabic, as the gazetteer names them: "تركيا، روسيا"."""
    return "، ".join(one_line(arabic_country_name(c)) for c in countries)


def amount_text(amount: Amount) -> str:
    """``2.5 مليار دولار (USD 2,500,000,000)``: the article's words, then currency and value.

    The code comes first so that the figure reads the same in right-to-left text: after Latin
    letters the digits join their left-to-right run, where after Arabic they would be moved
    before the code."""
    words = one_line(amount.text)
    if amount.value is None:
        return words
    value = f"{amount.value:,.0f}" if amount.value == int(amount.value) else f"{amount.value:,.2f}"
    currency = one_line(amount.currency)
    figure = f"{currency} {value}" if currency else f"{value} — عملة غير مذكورة / no currency"
    return f"{words} ({figure})" if words else figure


def amounts_text(amounts: Iterable[Amount]) -> str:
    return "؛ ".join(amount_text(a) for a in amounts)


def coverage_text(coverage: Coverage) -> str:
    """``التقارير: 2 · النسخ: 3``: counts as "label: number", which needs no Arabic plural."""
    return f"التقارير: {coverage.reports} · النسخ: {coverage.copies}"


def outlets_text(coverage: Coverage) -> str:
    return "، ".join(one_line(o) for o in coverage.outlets)


def kind_label(kind: str) -> str:
    return bilingual_label(ALERT_KIND_LABELS, kind)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def header_text(msg: AlertMessage) -> str:
    """The message's first line: its topics (a follow-up says so), else its kind.

    Only our own labels go into it, never article text: Slack shows it as plain text."""
    topics = " · ".join(topic_label(t) for t in msg.topics)
    if msg.kind in REPORT_KINDS and topics:
        return f"{kind_label('follow-up')} · {topics}" if msg.kind == "follow-up" else topics
    return kind_label(msg.kind)


def footer_text(msg: AlertMessage) -> str:
    parts = ["Marsad مرصد"]
    if msg.alert_id is not None:
        parts.append(f"alert #{msg.alert_id}")
    if msg.development_id is not None:
        parts.append(f"development #{msg.development_id}")
    return " · ".join(parts)


def highlight_spans(
    evidence: str, highlights: Iterable[tuple[int, int] | str]
) -> list[tuple[int, int]]:
    """(start, end) spans of ``evidence`` to highlight: the given spans, and every occurrence
    of a given term (in any case)."""
    spans: list[tuple[int, int]] = []
    folded = evidence.casefold()
    # Casefolding can change the length ("ß" -> "ss"); then offsets only hold unfolded.
    same_length = len(folded) == len(evidence)
    for h in highlights:
        if isinstance(h, str):
            if not h:
                continue
            haystack, needle = (folded, h.casefold()) if same_length else (evidence, h)
            start = haystack.find(needle)
            while start >= 0:
                spans.append((start, start + len(needle)))
                start = haystack.find(needle, start + len(needle))
        else:
            start, end = max(0, h[0]), min(len(evidence), h[1])
            if start < end:
                spans.append((start, end))
    return spans
