"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree
from scrapy.http import Response

from crawler.text.dates import DateOutOfRange, read_machine_date
from spiders.base import IndexParseError, SourceSpider


def entry_date(text: str | None, bad_dates: list[str] | None = None) -> datetime | None:
    """The date of a feed or sitemap entry, in UTC (a date alone is its midnight).

    A date out of range is None, and added to `bad_dates` for the crawl to report: the entry
    itself is still good.
    """
    try:
        parsed = read_machine_date(text)
    except DateOutOfRange as exc:
        if bad_dates is not None:
            bad_dates.append(str(exc))
        return None
    return parsed.value if parsed else None


# A web page, perhaps after a byte-order mark and comments.
_HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)


def parse_xml(body: bytes, expected: str = "RSS/Atom") -> etree._Element:
    """Strict first; a feed with a stray error is salvaged, one with nothing readable fails.

    A web page where the `expected` index should be (an error page, a redesigned site) is
    the source failing, not an index that lists nothing.
    """
    if _HTML_START.match(body[:1024]):
        raise NotAnIndex(expected)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    salvaged_from: str | None = None
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as strict_error:
        recovering = etree.XMLParser(
            resolve_entities=False, no_network=True, recover=True, huge_tree=False
        )
        root = etree.fromstring(body, recovering) if body.strip() else None
        if root is None or not len(root):
            raise IndexParseError(f"malformed XML: {strict_error}") from None
        salvaged_from = str(strict_error)
    if local_name(root.tag).lower() == "html":
        raise NotAnIndex(expected)
    if salvaged_from is not None:
        raise SalvagedXml(root, salvaged_from)
    return root


class NotAnIndex(IndexParseError):
    kind = "got_html"

    def __init__(self, expected: str) -> None:
        super().__init__(f"expected {expected}, got HTML")


class SalvagedXml(Exception):
    """Malformed XML that the recovering parser still read: `root` is what it kept, and the
    message is the strict parser's complaint, for the log and `sources check`."""

    def __init__(self, root: etree._Element, error: str) -> None:
        super().__init__(error)
        self.root = root


def local_name(tag: object) -> str:
    """A tag without its namespace: feeds and sitemaps declare theirs inconsistently."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def feed_entries(
    root: etree._Element, bad_dates: list[str] | None = None
) -> list[tuple[str, datetime | None]]:
    entries: list[tuple[str, datetime | None]] = []
    for node in root.iter():
        name = local_name(node.tag)
        if name not in {"item", "entry"}:
            continue
        link: str | None = None
        guid: str | None = None
        dates: dict[str, datetime | None] = {}
        for child in node:
            child_name = local_name(child.tag)
            if child_name == "link":
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    link = link or href.strip()
                elif child.text and child.text.strip():
                    link = link or child.text.strip()
            elif child_name == "guid" and child.get("isPermaLink", "true") == "true":
                if child.text and child.text.strip().startswith("http"):
                    guid = guid or child.text.strip()
            elif child_name in {"pubDate", "published", "updated", "date", "modified"}:
                dates[child_name] = entry_date(child.text, bad_dates)
        link = link or node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about") or guid
        if not link:
            continue
        # The newest date is what tells a revision apart from a known URL.
        known = [d for d in dates.values() if d is not None]
        entries.append((link, max(known) if known else None))
    return entries


class FeedSpider(SourceSpider):
    name = "feed"

    def parse_index(
        self, response: Response
    ) -> tuple[list[tuple[str, datetime | None]], list[str]]:
        try:
            root = parse_xml(response.body)
        except SalvagedXml as salvaged:
            self.count_error("parse_error", f"{response.url}: {salvaged}")
            root = salvaged.root
        bad_dates: list[str] = []
        entries = feed_entries(root, bad_dates)
        self.count_bad_dates(response, bad_dates)
        return entries, []
