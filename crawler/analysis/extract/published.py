"""When an article was published: the page's metadata, the feed's own date, or a date written
on the page, in that order of trust.

A "today's date" in the site header is not the article's, and bylines often give the date only
in Arabic words; dates themselves are read by `crawler.text.dates`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from crawler.analysis.extract.page import Head, in_chrome, select, squash, text_of
from crawler.text.dates import (
    FUTURE_TOLERANCE,
    ParsedDate,
    find_arabic_dates,
    local_date,
    parse_arabic_date,
    parse_machine_date,
)

_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "cxenseparse:recs:publishtime",
    "date",
)
_NEWS_TYPES = re.compile(r"article|posting|report", re.IGNORECASE)


def _metadata_value(value: str, tz: str) -> ParsedDate | None:
    """A date from the page's metadata: machine-written, or now and then in Arabic words."""
    return parse_machine_date(value, tz) or parse_arabic_date(value, tz)


def _json_ld_dates(head: Head) -> list[str]:
    found: list[tuple[int, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            value = node.get("datePublished")
            if isinstance(value, str):
                kind = node.get("@type", "")
                kind = " ".join(kind) if isinstance(kind, list) else str(kind)
                found.append((0 if _NEWS_TYPES.search(kind) else 1, value))
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                if key in node:
                    walk(node[key])

    walk(head.json_ld)
    return [value for _rank, value in sorted(found, key=lambda item: item[0])]


_TIME_ELEMENTS = etree.XPath("//time[@datetime] | //*[@itemprop='datePublished']")
_IN_LINK = etree.XPath("boolean(ancestor::a)")


def _time_elements(tree: lxml_html.HtmlElement) -> list[str]:
    marked, plain = [], []
    for element in _TIME_ELEMENTS(tree):
        value = element.get("datetime") or element.get("content")
        if not value or in_chrome(element) or _IN_LINK(element):
            continue
        marks = f"{element.get('itemprop') or ''} {element.get('class') or ''}".lower()
        if element.get("pubdate") is not None or "publish" in marks or "datepublished" in marks:
            marked.append(value)
        else:
            plain.append(value)
    return marked + plain


def _plausible(parsed: ParsedDate | None, now: datetime) -> ParsedDate | None:
    if parsed is None:
        return None
    if parsed.value > now + FUTURE_TOLERANCE or parsed.value.year < 1995:
        return None
    return parsed


def _metadata_date(
    tree: lxml_html.HtmlElement, head: Head, tz: str, now: datetime, *, with_htmldate: bool
) -> ParsedDate | None:
    candidates = [
        *head.values(*_META_DATE_KEYS[:5]),
        *_json_ld_dates(head),
        *head.values(*_META_DATE_KEYS[5:]),
        *_time_elements(tree),
    ]
    for value in candidates:
        parsed = _plausible(_metadata_value(value, tz), now)
        if parsed is not None:
            return parsed
    if not with_htmldate:
        return None
    try:
        from htmldate import find_date

        # Given a tree, htmldate prunes its own copy instead of parsing the page again.
        day = find_date(tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, etree.LxmlError):
        day = None
    if day:
        return _plausible(_metadata_value(day, tz), now)
    return None


_DATE_MARKS_RE = re.compile(r"date|time|publish|posted|byline|meta|info|تاريخ", re.IGNORECASE)
_PUBLISHED_WORD_RE = re.compile(r"نشر|تاريخ\s+النشر|بتاريخ|published|posted", re.IGNORECASE)


def _text_date(
    tree: lxml_html.HtmlElement, title: str, body: str, tz: str, now: datetime
) -> ParsedDate | None:
    """An Arabic date written on the page: a byline, a date label, a "نُشر في" line."""
    # 1. Elements marked as dates or bylines, outside the site's header and sidebars
    #    (a header often shows today's date, which is not the article's).
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "script", "style"):
            continue
        marks = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('itemprop') or ''}"
        if not _DATE_MARKS_RE.search(marks):
            continue
        text = text_of(element)
        if not text or len(text) > 200 or in_chrome(element):
            continue
        parsed = _plausible(parse_arabic_date(text, tz, now=now), now)
        if parsed is not None:
            return parsed
    # 2. A line of the page that says it was published on a date.
    body_root = tree.find("body")
    if body_root is None:
        return None
    lines = []
    for element in body_root.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        for chunk in (element.text, element.tail):
            if chunk and chunk.strip():
                lines.append((in_chrome(element), squash(chunk)))
    for chrome, line in lines:
        if not chrome and _PUBLISHED_WORD_RE.search(line):
            for parsed in find_arabic_dates(line, tz):
                if _plausible(parsed, now):
                    return parsed
    # 3. The first date between the headline and the article's first paragraph.
    first_line = body.split("\n", 1)[0][:60] if body else ""
    started = not title
    for chrome, line in lines:
        if title and title in line:
            started = True
            continue
        if first_line and line.startswith(first_line[:30]):
            break
        if started and not chrome:
            for parsed in find_arabic_dates(line, tz):
                if _plausible(parsed, now):
                    return parsed
    return None


def published(
    tree: lxml_html.HtmlElement,
    head: Head,
    html: str,
    *,
    title: str,
    text: str,
    tz: str,
    now: datetime,
    listed_at: datetime | None,
    date_selector: str | None,
) -> ParsedDate | None:
    """When the article was published: the source's date selector, then the page's metadata
    (or the feed's moment on the day the page gives), the feed's date (`listed_at`), and a
    date written on the page."""
    parsed: ParsedDate | None = None
    if date_selector:
        for node in select(html, date_selector):
            raw = (
                node.attrib.get("datetime") or node.attrib.get("content")
                if hasattr(node, "attrib")
                else None
            )
            value = raw or squash(node.xpath("string()").get() or "")
            parsed = _plausible(
                _metadata_value(value, tz) if raw else parse_arabic_date(value, tz, now=now), now
            )
            if parsed is not None:
                break
    if parsed is None:
        listed = ParsedDate.moment(listed_at, tz) if listed_at is not None else None
        # Past the page's own metadata, htmldate reads dates written in the text, which
        # come after the feed's date; with a feed date it would only cost time or
        # override it.
        parsed = _metadata_date(tree, head, tz, now, with_htmldate=listed is None)
        if parsed is None:
            parsed = listed
        elif (
            parsed.precision == "day"
            and listed is not None
            and local_date(listed.value, tz) == parsed.value.date()
        ):
            # The page gives the day, the feed gives the moment on that day.
            parsed = listed
    if parsed is None:
        parsed = _text_date(tree, title, text, tz, now)
    return parsed
