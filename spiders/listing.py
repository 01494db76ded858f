"""An HTML section page whose article links are picked by a CSS or XPath selector.

A backfill follows the page's `next_selector` link (older articles) page after page, until a
page lists no article, one of the articles fetched so far was published before the backfill's
date, or there is no next link.
"""

from __future__ import annotations

from datetime import datetime

from scrapy.http import Response, TextResponse

from crawler.crawl.pages import TOO_OLD
from crawler.text.selectors import Selector
from spiders.base import IndexParseError, SourceSpider


class ListingSpider(SourceSpider):
    name = "listing"

    def parse_index(
        self, response: Response
    ) -> tuple[list[tuple[str, datetime | None]], list[str]]:
        if not isinstance(response, TextResponse):
            raise IndexParseError("the listing page is not HTML")
        if not self.source.link_selector:  # the config refuses such a listing source
            raise IndexParseError("the listing source has no link_selector")
        hrefs = _links(response, self.source.link_selector)
        return [(href, None) for href in hrefs], self._next_pages(response, hrefs)

    def _next_pages(self, response: TextResponse, hrefs: list[str]) -> list[str]:
        if not self.source.next_selector or not hrefs or self.backfill_since is None:
            return []
        # The pipeline counts the pages it found too old to store; the pages further on are
        # older still.
        if self.crawler.stats.get_value(f"marsad/dropped/{TOO_OLD}", 0):
            return []
        self.crawler.stats.inc_value("marsad/backfill_pages")
        return _links(response, self.source.next_selector)[:1]


def _links(response: TextResponse, spec: str) -> list[str]:
    hrefs = []
    for node in Selector.parse(spec).select(response):
        href = node.attrib.get("href") if hasattr(node, "attrib") else None
        href = href or node.xpath("@href").get() or node.xpath(".//a/@href").get()
        if href:
            hrefs.append(response.urljoin(href.strip()))
    return hrefs
