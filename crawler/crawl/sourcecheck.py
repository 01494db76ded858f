"""`marsad sources check`: fetch a source's index once, outside Scrapy, and say what it lists."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from parsel import Selector

from crawler.config import CrawlConfig, Source
from crawler.text.selectors import Selector as LinkSelector


@dataclass
class CheckResult:
    ok: bool
    status: int | None
    entries: int
    detail: str


def check_source(source: Source, crawl: CrawlConfig) -> CheckResult:
    from spiders.base import IndexParseError
    from spiders.feed import SalvagedXml, feed_entries, parse_xml
    from spiders.sitemap import sitemap_entries

    try:
        response = requests.get(
            source.url,
            headers={"User-Agent": crawl.user_agent},
            timeout=crawl.timeout.total_seconds(),
            stream=True,
        )
        body = response.raw.read(crawl.max_page_bytes + 1, decode_content=True)
    except requests.RequestException as exc:
        return CheckResult(False, None, 0, f"{type(exc).__name__}: {exc}")
    if len(body) > crawl.max_page_bytes:
        return CheckResult(False, response.status_code, 0, "larger than max_page_bytes")
    if response.status_code != 200:
        return CheckResult(False, response.status_code, 0, f"HTTP {response.status_code}")
    try:
        if source.kind == "listing":
            page = Selector(text=body.decode(response.encoding or "utf-8", "replace"))
            found = LinkSelector.parse(source.link_selector or "").select(page)
            return CheckResult(
                bool(found), 200, len(found), "links found" if found else "selector matched nothing"
            )
        try:
            root = parse_xml(body, "a sitemap" if source.kind == "sitemap" else "RSS/Atom")
            note = ""
        except SalvagedXml as salvaged:
            root, note = salvaged.root, f" (malformed XML salvaged: {salvaged})"
        if source.kind == "sitemap":
            entries, children = sitemap_entries(root)
            count = len(entries) + len(children)
        else:
            count = len(feed_entries(root))
    except IndexParseError as exc:
        return CheckResult(False, 200, 0, str(exc))
    return CheckResult(count > 0, 200, count, ("entries listed" if count else "no entries") + note)
