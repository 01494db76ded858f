"""`marsad sources check`: fetch a source's index once, outside Scrapy, and say what it lists.

It refuses what a crawl would refuse (`crawler.crawl.addresses`): a source that checks as
fine must not then fail every crawl, nor may the check follow a redirect into the local network.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from parsel import Selector

from crawler.config import Config, Source
from crawler.crawl.addresses import (
    ALLOW_ALL_SETTING,
    PRIVATE_HOSTS_SETTING,
    address_settings,
    refusal,
)
from crawler.text.selectors import Selector as LinkSelector

# As many as a crawl follows (REDIRECT_MAX_TIMES in settings.py).
MAX_REDIRECTS = 5


@dataclass
class CheckResult:
    ok: bool
    status: int | None
    entries: int
    detail: str


def check_source(source: Source, config: Config) -> CheckResult:
    from spiders.base import IndexParseError
    from spiders.feed import SalvagedXml, feed_entries, parse_xml
    from spiders.sitemap import sitemap_entries

    crawl = config.crawl
    url = source.url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            refused = _refused(url, config)
            if refused is not None:
                return CheckResult(False, None, 0, f"refused: {url}: {refused}")
            response = requests.get(
                url,
                headers={"User-Agent": crawl.user_agent},
                timeout=crawl.timeout.total_seconds(),
                stream=True,
                # Followed here, each hop's host checked first.
                allow_redirects=False,
            )
            if not response.is_redirect:
                break
            url = urljoin(url, response.headers["Location"])
            response.close()
        else:
            return CheckResult(False, response.status_code, 0, "too many redirects")
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


def _refused(url: str, config: Config) -> str | None:
    """Why a crawl would refuse `url`'s host, judged on every address the name resolves to."""
    host = (urlsplit(url).hostname or "").lower()
    allowed = address_settings(config)
    if not host or allowed[ALLOW_ALL_SETTING] or host in allowed[PRIVATE_HOSTS_SETTING]:
        return None
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return None  # a name that does not resolve: the request reports it
    for info in infos:
        reason = refusal(host, str(info[4][0]))
        if reason is not None:
            return reason
    return None
