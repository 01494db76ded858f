"""An HTML section page whose article links are picked by a CSS or XPath selector."""

from __future__ import annotations

from datetime import datetime

from scrapy.http import Response, TextResponse

from spiders.base import IndexParseError, SourceSpider


class ListingSpider(SourceSpider):
    name = "listing"

    def parse_index(
        self, response: Response
    ) -> tuple[list[tuple[str, datetime | None]], list[str]]:
        if not isinstance(response, TextResponse):
            raise IndexParseError("the listing page is not HTML")
        selector = self.source.link_selector or ""
        kind, _, expression = selector.partition(":")
        nodes = response.css(expression) if kind == "css" else response.xpath(expression)
        hrefs = []
        for node in nodes:
            href = node.attrib.get("href") if hasattr(node, "attrib") else None
            href = href or node.xpath("@href").get() or node.xpath(".//a/@href").get()
            if href:
                hrefs.append(response.urljoin(href.strip()))
        return [(href, None) for href in hrefs], []
