"""The baseline for the crawl benchmark: download article pages and extract them, nothing else.

Run as a child process (the Twisted reactor cannot be restarted, and the baseline must pay the
same interpreter start-up as the full pipeline's child)::

    python -m benchmarks.bare_spider --sitemap URL [--sitemap URL ...] --per-host 8

It reads each news sitemap, requests every listed URL, and runs trafilatura on each page:
no item pipelines, no database, no seen-URL check, no robots.txt, no delay. Scrapy settings are
Marsad's own ``settings.py`` with the pipelines and extensions removed, so that the only
difference from ``python -m crawler.crawl.run`` is Marsad's work. One crawler per sitemap, in one
``CrawlerProcess``, as the full crawl runs one crawler per source.

``--extractor trafilatura`` (default) calls ``trafilatura.bare_extraction`` with the options
Marsad passes (fast mode, no metadata); ``--extractor marsad`` calls
``crawler.analysis.extract.extract_article``, Marsad's extraction (trafilatura plus box pruning, title,
date and author), which isolates the cost of the pipelines from the cost of extraction.

The last line on stdout is a JSON summary: pages, extracted, seconds (spider open to close).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import scrapy
from scrapy.http import Request, Response, TextResponse


def _trafilatura_extract(html: str, url: str) -> bool:
    import trafilatura

    from crawler.analysis.extract.maintext import TRAFILATURA_OPTIONS

    doc = trafilatura.bare_extraction(html, url=url, fast=True, **TRAFILATURA_OPTIONS)
    return bool(doc is not None and getattr(doc, "text", None))


def _marsad_extract(html: str, url: str) -> bool:
    from crawler.analysis.extract import extract_article

    return extract_article(html, url) is not None


EXTRACTORS = {"trafilatura": _trafilatura_extract, "marsad": _marsad_extract}


class BareSitemapSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, sitemap: str, extractor: str = "trafilatura", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap = sitemap
        self.extract = EXTRACTORS[extractor]
        self.pages = 0
        self.extracted = 0
        self.errors = 0

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.sitemap, callback=self.parse_sitemap, dont_filter=True)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        from lxml import etree

        root = etree.fromstring(response.body)
        for loc in root.iterfind("{*}url/{*}loc"):
            if loc.text:
                yield Request(loc.text.strip(), callback=self.parse_article, errback=self.failed)

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        self.pages += 1
        if isinstance(response, TextResponse) and self.extract(response.text, response.url):
            self.extracted += 1
        return iter(())

    def failed(self, failure: Any) -> None:
        self.errors += 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_spider")
    parser.add_argument("--sitemap", action="append", required=True)
    parser.add_argument("--per-host", type=int, default=8)
    parser.add_argument("--extractor", choices=sorted(EXTRACTORS), default="trafilatura")
    args = parser.parse_args(argv)

    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.setdict(
        {
            "ROBOTSTXT_OBEY": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {},
            "LOG_LEVEL": "WARNING",
            "MARSAD_ALLOW_PRIVATE_ADDRESSES": True,
        },
        priority="cmdline",
    )
    # Importing the extractor (and its lexicons) is start-up, not crawl time.
    EXTRACTORS[args.extractor]("<html><body><p>تجربة</p></body></html>", "http://127.0.0.1/")
    process = CrawlerProcess(settings, install_root_handler=False)
    crawlers = []
    for url in args.sitemap:
        crawler = process.create_crawler(BareSitemapSpider)
        crawlers.append(crawler)
        process.crawl(crawler, sitemap=url, extractor=args.extractor)
    started = time.perf_counter()
    process.start()
    elapsed = time.perf_counter() - started
    spiders = [c.spider for c in crawlers]
    summary = {
        "pages": sum(s.pages for s in spiders),
        "extracted": sum(s.extracted for s in spiders),
        "errors": sum(s.errors for s in spiders),
        "seconds": round(elapsed, 3),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
