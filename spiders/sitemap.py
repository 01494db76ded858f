"""Sitemaps, sitemap indexes and Google News sitemaps.

Scrapy's SitemapSpider drops ``<news:publication_date>``, which is the best date a news
sitemap has, so the XML is read here directly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.feed import SalvagedXml, entry_date, local_name, parse_xml


def sitemap_entries(
    root: etree._Element,
    bad_dates: list[str] | None = None,
    child_dates: dict[str, datetime | None] | None = None,
) -> tuple[list[tuple[str, datetime | None]], list[str]]:
    """([(article URL, its date)], [child sitemap URLs]); `child_dates` collects each child's
    lastmod."""
    entries: list[tuple[str, datetime | None]] = []
    children: list[str] = []
    is_index = local_name(root.tag) == "sitemapindex"
    for node in root:
        if local_name(node.tag) not in {"url", "sitemap"}:
            continue
        loc, dates = None, []
        for child in node.iter():
            name = local_name(child.tag)
            if name == "loc" and child.text and loc is None:
                loc = child.text.strip()
            elif name in {"lastmod", "publication_date"}:
                dates.append(entry_date(child.text, bad_dates))
        if not loc:
            continue
        known = [d for d in dates if d is not None]
        if is_index or local_name(node.tag) == "sitemap":
            children.append(loc)
            if child_dates is not None:
                child_dates[loc] = max(known) if known else None
        else:
            entries.append((loc, max(known) if known else None))
    return entries, children


class SitemapSpider(SourceSpider):
    name = "sitemap"

    def parse_index(
        self, response: Response
    ) -> tuple[list[tuple[str, datetime | None]], list[str]]:
        body = response.body
        if response.url.endswith(".gz") or body[:2] == b"\x1f\x8b":
            from scrapy.utils.gz import gunzip

            body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            root = parse_xml(body, "a sitemap")
        except SalvagedXml as salvaged:
            self.count_error("parse_error", f"{response.url}: {salvaged}")
            root = salvaged.root
        bad_dates: list[str] = []
        child_dates: dict[str, datetime | None] = {}
        entries, children = sitemap_entries(root, bad_dates, child_dates)
        self.count_bad_dates(response, bad_dates)
        if children:
            # Remembered so that when this index answers 304 the children are still asked
            # (conditionally): an index's own validators need not change when a child does.
            self.res.store.remember_index_children(self.source.name, children)
        since = self.backfill_since
        if since is not None:
            # A backfill goes back to its date (its articles are filtered as they are listed):
            # a nested sitemap last modified before it lists nothing newer.
            stale = {c for c in children if (when := child_dates.get(c)) and when < since}
            self.crawler.stats.inc_value("marsad/skipped_old_sitemaps", len(stale))
            children = [c for c in children if c not in stale]
        elif self.source.max_age is not None:
            oldest = datetime.now(UTC) - self.source.max_age
            old = [e for e in entries if e[1] is not None and e[1] < oldest]
            self.crawler.stats.inc_value("marsad/skipped_old", len(old))
            entries = [e for e in entries if e[1] is None or e[1] >= oldest]
        return entries, children

    def children_when_not_modified(self, url: str) -> list[str]:
        return self.res.store.index_children(self.source.name)
