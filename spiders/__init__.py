"""Scrapy spiders, one per kind of source."""

from __future__ import annotations

from spiders.base import SourceSpider
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider
from spiders.sitemap import SitemapSpider

SPIDER_FOR_KIND: dict[str, type[SourceSpider]] = {
    "rss": FeedSpider,
    "sitemap": SitemapSpider,
    "listing": ListingSpider,
}
