"""What every Marsad spider shares: the source, conditional index requests, the seen-URL
check before any article request, article extraction, and error accounting per source.

A spider crawls one configured source. It fetches the source's index (a feed, a sitemap or a
listing page) with If-None-Match / If-Modified-Since, turns it into (URL, listed date) pairs,
drops the URLs already seen, and requests the rest.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.analysis.extract import decode_html
from crawler.config import Source
from crawler.crawl.addresses import AddressRefused
from crawler.crawl.resources import Resources, resources_for
from crawler.text.dates import FUTURE_TOLERANCE
from crawler.text.urls import canonicalize_url

log = logging.getLogger(__name__)

INDEX_META = "marsad_index"
# Set on a request for a child sitemap known from an earlier run (its index answered 304).
REMEMBERED_META = "marsad_remembered"


def oldest_first(urls: Iterable[str], listed: Mapping[str, datetime | None]) -> list[str]:
    """`urls` in the order to fetch them: earliest listed first, undated last.

    A backlog fetched in publication order meets each story's first report before the agency
    copies of it, so the copies are stored as copies at once: fetched newest first, each first
    report would arrive last and re-point the copies stored before it (and the story's alert
    would first name a copy). The scheduler's queue is first in, first out (settings.py).
    """

    def key(url: str) -> tuple[bool, datetime]:
        when = listed[url]
        if when is None:
            return (True, datetime.min.replace(tzinfo=UTC))
        return (False, when if when.tzinfo else when.replace(tzinfo=UTC))

    return sorted(urls, key=key)


def error_kind(failure: Failure) -> str:
    """A short, stable name for why a request failed, used in counters and `status`."""
    from scrapy import exceptions as scrapy_errors
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.defer import CancelledError
    from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

    exc = failure.value
    if isinstance(exc, AddressRefused):
        return "refused"
    kinds: list[tuple[tuple[type[BaseException], ...], str]] = [
        ((TimeoutError, TCPTimedOutError, scrapy_errors.DownloadTimeoutError), "timeout"),
        ((DNSLookupError, scrapy_errors.CannotResolveHostError), "dns"),
        (
            (ConnectionRefusedError, scrapy_errors.DownloadConnectionRefusedError),
            "connection_refused",
        ),
        # Scrapy cancels a download that goes past DOWNLOAD_MAXSIZE.
        ((CancelledError, scrapy_errors.DownloadCancelledError), "too_large"),
        (
            (ResponseNeverReceived, ResponseFailed, scrapy_errors.ResponseDataLossError),
            "connection_lost",
        ),
    ]
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    for classes, kind in kinds:
        if isinstance(exc, classes):
            return kind
    if isinstance(exc, scrapy_errors.IgnoreRequest):
        return "redirect_loop" if "redirect" in str(exc).lower() else "ignored"
    return type(exc).__name__


class SourceSpider(scrapy.Spider):
    """Base class; subclasses implement :meth:`parse_index`."""

    kind = ""
    # Set in from_crawler: what the crawl process shares, and the cap on article requests.
    res: Resources
    max_articles: int

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(name=f"{self.name}:{source.name}", **kwargs)
        self.source = source
        self.scheduled = 0
        self.article_errors = 0
        # Validators are saved only after a clean run: if an article failed or the crawl died,
        # the next run must see the full index again rather than a 304.
        self.new_validators: dict[str, tuple[str | None, str | None]] = {}
        # Index URLs requested in this run: a sitemap index that lists itself (or two that list
        # each other) must not loop, since index requests bypass the duplicate filter.
        self.requested_indexes: set[str] = set()
        self.item_errors = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        from scrapy import signals

        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.res = resources_for(crawler)
        spider.max_articles = crawler.settings.getint("MARSAD_MAX_ARTICLES_PER_RUN", 500)
        crawler.signals.connect(spider._on_item_error, signal=signals.item_error)
        crawler.signals.connect(spider._on_spider_error, signal=signals.spider_error)
        return spider

    def _on_item_error(self, *args: Any, **kwargs: Any) -> None:
        # A page that failed in a pipeline (say, the database) is neither stored nor marked seen;
        # saving the feed's validators now would hide it behind a 304 until the feed changes.
        self.item_errors += 1

    def _on_spider_error(self, failure: Failure, response: Response | Failure, spider: Any) -> None:
        # An exception in a callback would otherwise end a run with no error counted and its
        # cause only in a log line; one in the index's callback is the source failing.
        if spider is not self:
            return
        # An errback that raised is handed its own failure in place of a response.
        request = response.request if isinstance(response, Response) else _request_of(response)
        exc = failure.value
        if request is None:  # a response built outside a download has no request
            self.count_error(type(exc).__name__, str(exc))
            return
        self.count_error(
            type(exc).__name__, f"{request.url}: {exc}", index=INDEX_META in request.meta
        )

    # --- index ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        yield self.index_request(self.source.url)

    @property
    def backfill_since(self) -> datetime | None:
        """Set when this crawl is a backfill: indexes are read in full, and what they date
        before this is left alone."""
        return self.res.backfill_since

    def index_request(self, url: str, *, remembered: bool = False) -> Request:
        self.requested_indexes.add(url)
        # A backfill reads every index in full: an unchanged one still lists older articles.
        etag, last_modified = (
            (None, None) if self.backfill_since else self.res.store.feed_validators(url)
        )
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return Request(
            url,
            headers=headers,
            callback=self._on_index,
            errback=self.on_index_error,
            dont_filter=True,
            meta={INDEX_META: url, REMEMBERED_META: remembered, "handle_httpstatus_list": [304]},
        )

    def _on_index(self, response: Response) -> Iterator[Any]:
        self.crawler.stats.inc_value("marsad/index_requests")
        if response.status == 304:
            self.crawler.stats.inc_value("marsad/index_not_modified")
            self.crawler.stats.inc_value("marsad/index_ok")
            for url in self.children_when_not_modified(response.meta[INDEX_META]):
                if url not in self.requested_indexes:
                    yield self.index_request(url, remembered=True)
            return
        try:
            entries, follow = self.parse_index(response)
        except IndexParseError as exc:
            self.count_error(exc.kind, f"{response.url}: {exc}", index=True)
            return
        self.crawler.stats.inc_value("marsad/index_ok")
        self.new_validators[response.meta[INDEX_META]] = (
            _header(response, "ETag"),
            _header(response, "Last-Modified"),
        )
        for url in follow:
            if url not in self.requested_indexes:
                yield self.index_request(url)
        yield from self.article_requests(entries)

    def parse_index(
        self, response: Response
    ) -> tuple[list[tuple[str, datetime | None]], list[str]]:
        """Return ([(article URL, listed date)], [further index URLs])."""
        raise NotImplementedError

    def children_when_not_modified(self, url: str) -> list[str]:
        """Index URLs to request (conditionally) when `url` answered 304; none by default."""
        return []

    def on_index_error(self, failure: Failure) -> None:
        from scrapy.spidermiddlewares.httperror import HttpError

        request = _request_of(failure)
        exc = failure.value
        if (
            request.meta.get(REMEMBERED_META)
            and isinstance(exc, HttpError)
            and exc.response.status in {404, 410}
        ):
            # A child sitemap remembered from an earlier run is gone; its index has dropped it.
            self.res.store.forget_index_child(request.url)
            log.info(
                "[%s] forgot child sitemap %s (%s)",
                self.source.name,
                request.url,
                exc.response.status,
            )
            return
        self.count_error(error_kind(failure), f"{request.url}: {exc}", index=True)

    # --- articles ---------------------------------------------------------------------------

    def article_requests(self, entries: Iterable[tuple[str, datetime | None]]) -> Iterator[Request]:
        # Keyed by canonical URL, the seen-URL key; each is requested as the index published
        # it, since a server may route on the raw path (a decoded %3A, a re-sorted query: 404).
        listed: dict[str, datetime | None] = {}
        published: dict[str, str] = {}
        for raw_url, listed_at in entries:
            if not raw_url.startswith(("http://", "https://")):
                continue
            key = canonicalize_url(raw_url)
            if key not in listed:
                listed[key], published[key] = listed_at, raw_url
        stats = self.crawler.stats
        if self.backfill_since is not None:
            since = self.backfill_since
            old = {url for url, when in listed.items() if when is not None and when < since}
            stats.inc_value("marsad/skipped_old", len(old))
            listed = {url: when for url, when in listed.items() if url not in old}
        stats.inc_value("marsad/listed", len(listed))
        now = datetime.now(UTC)
        future = {
            url
            for url, when in listed.items()
            if when is not None and when > now + FUTURE_TOLERANCE
        }
        if future:
            stats.inc_value("marsad/future_dates_clamped", len(future))
        # A date in the future is no revision: clamped to each fetch time, it would look newer
        # on every run.
        fetch = self.res.store.urls_to_fetch(
            {url: None if url in future else when for url, when in listed.items()}
        )
        listed.update(dict.fromkeys(future, now))
        stats.inc_value("marsad/skipped_seen", len(listed) - len(fetch))
        room = max(0, self.max_articles - self.scheduled)
        if len(fetch) > room:
            stats.inc_value("marsad/deferred_to_next_run", len(fetch) - room)
            fetch = fetch[:room]
        self.scheduled += len(fetch)
        self.res.workers.expect(len(fetch))
        for url in oldest_first(fetch, listed):
            yield Request(
                published[url],
                callback=self.parse_article,
                errback=self.on_article_error,
                meta={"listed_at": listed[url], "requested_url": url},
                # Listed URLs are unique already; with the duplicate filter on, a redirect loop
                # would vanish silently instead of ending as a counted "redirect_loop" error.
                dont_filter=True,
            )

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        # Extraction and analysis are CPU work for the item pipelines (and their worker
        # processes); the spider only hands the page on.
        self.crawler.stats.inc_value("marsad/pages")
        yield {
            "source": self.source.name,
            "url": canonicalize_url(response.url),
            "page_url": response.url,
            "html": decode_html(response.body, _header(response, "Content-Type"))
            if isinstance(response, TextResponse)
            else "",
            "requested_url": response.meta.get("requested_url"),
            "listed_at": response.meta.get("listed_at"),
            "fetched_at": datetime.now(UTC),
        }

    def on_article_error(self, failure: Failure) -> None:
        self.article_errors += 1
        self.count_error(error_kind(failure), f"{_request_of(failure).url}: {failure.value}")

    def closed(self, reason: str) -> None:
        stats = self.crawler.stats
        deferred = stats.get_value("marsad/deferred_to_next_run", 0)
        index_errors = stats.get_value("marsad/index_errors", 0)
        if reason != "finished" or self.article_errors or self.item_errors or deferred:
            return
        if self.backfill_since is not None:
            # A backfill skipped what its date excludes; the next crawl must not get a 304.
            return
        if index_errors:
            # A child sitemap failed: a 304 on its index next time would skip it.
            return
        for url, (etag, last_modified) in self.new_validators.items():
            if etag or last_modified:
                self.res.store.save_feed_validators(url, etag, last_modified)

    # --- accounting -------------------------------------------------------------------------

    def count_bad_dates(self, response: Response, bad_dates: list[str]) -> None:
        """Entries whose date is out of range: kept undated, each counted against the source."""
        for message in bad_dates:
            self.count_error("bad_date", f"{response.url}: {message}")

    def count_error(self, kind: str, message: str, *, index: bool = False) -> None:
        stats = self.crawler.stats
        stats.inc_value("marsad/errors")
        stats.inc_value(f"marsad/error/{kind}")
        stats.set_value("marsad/last_error", f"{kind}: {message}"[:500])
        if index:
            # The source itself failed (not one of its pages): this feeds the error streak.
            stats.inc_value("marsad/index_errors")
        # The run's summary line reports the source with its error count and last error.
        log.debug("[%s] %s: %s", self.source.name, kind, message)


class IndexParseError(Exception):
    """The feed, sitemap or listing could not be read at all."""

    kind = "parse_error"


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _request_of(failure: Failure) -> Request:
    # Scrapy sets it on the failures it hands to errbacks; Failure does not declare it.
    return failure.request  # type: ignore[attr-defined]
