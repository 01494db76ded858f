"""An HTML section page whose article links are picked by a CSS or XPath selector."""

from __future__ import annotations

from datetime import datetime

from scrapy.http import Response, TextResponse

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
        nodes = Selector.parse(self.source.link_selector).select(response)
        hrefs = []
        for node in nodes:
            href = node.attrib.get("href") if hasattr(node, "attrib") else None
            href = href or node.xpath("@href").get() or node.xpath(".//a/@href").get()
            if href:
                hrefs.append(response.urljoin(href.strip()))
        return [(href, None) for href in hrefs], []
