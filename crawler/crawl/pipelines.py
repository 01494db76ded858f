"""Item pipelines, in order: examine (extract, validate, analyze, fingerprint), then store.

Every page that leaves the chain early is dropped with a :class:`Rejected` that carries a
counted reason and the seen-URL status to remember it by, so it is never fetched again.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.logformatter import LogFormatter
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.crawl.pages import Origin, Page, Verdict, article_record
from crawler.crawl.resources import resources_for
from crawler.storage.seen import SeenEntry
from crawler.storage.store import Store, StoreResult

log = logging.getLogger(__name__)

SEEN_BATCH = 50


class Rejected(DropItem):
    """A page the crawl looked at and set aside; `status` is what the seen-URL table records."""

    def __init__(self, reason: str, status: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class QuietLogFormatter(LogFormatter):
    """Dropped pages are routine (irrelevant news); log them at DEBUG, without the item."""

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict:
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        entry["msg"] = "Dropped %(exception)s: %(url)s"
        entry["args"] = {"exception": exception, "url": item.get("url") if item else None}
        return entry


class ExaminePipeline:
    """Extracts, validates, matches and classifies each page; only relevant pages go on.

    The work is :func:`crawler.crawl.pages.examine`, run in worker processes on a big crawl
    (`crawler.crawl.workers`); a page set aside here says why: empty, not_arabic or irrelevant.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExaminePipeline:
        if crawler.settings.get("MARSAD_RESOURCES") is None:
            raise NotConfigured("no Marsad resources configured for this crawl")
        return cls(crawler)

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        resources = resources_for(self.crawler)
        source = resources.config.source(item["source"])
        page = Page(
            url=item.pop("page_url", item["url"]),
            html=item.pop("html", ""),
            timezone=source.timezone,
            listed_at=item.get("listed_at"),
            selectors=source.selectors,
        )
        origin = Origin(item["source"], item["fetched_at"], item.get("requested_url"))
        verdict = await resources.workers.examine(page, store_as=origin)
        extracted = verdict.extracted
        if extracted is not None:
            item.update(
                url=extracted.canonical_url,
                title=extracted.title,
                published_at=extracted.published_at,
            )
        if verdict.rejected is not None:
            self.stats.inc_value(f"marsad/dropped/{verdict.rejected}")
            status = "irrelevant" if verdict.rejected == "irrelevant" else "invalid"
            raise Rejected(verdict.rejected, status)
        self.stats.inc_value("marsad/relevant")
        item["verdict"] = verdict
        item["origin"] = origin
        return item


class StorePipeline:
    """Stores the article or copy, and remembers every URL the crawl set aside."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store: Store | None = None
        self.set_aside: list[SeenEntry] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        if crawler.settings.get("MARSAD_RESOURCES") is None:
            raise NotConfigured("no Marsad database configured for this crawl")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        self.store = resources_for(self.crawler).store

    async def close_spider(self) -> None:
        pending = self._flush_seen()
        if pending is not None:
            await maybe_deferred_to_future(pending)

    def item_dropped(self, item: Any, response: Response, exception: BaseException) -> None:
        if isinstance(exception, Rejected) and self.store is not None:
            urls = [item.get("url"), item.get("requested_url")]
            self.set_aside.append(
                SeenEntry(urls, item["source"], exception.status, None, item.get("listed_at"))
            )
            if len(self.set_aside) >= SEEN_BATCH:
                self._flush_seen()

    def _flush_seen(self) -> Any:
        # Most pages of a crawl are set aside (irrelevant news); one transaction per batch of
        # them, not per page. A crash loses at most one batch: those pages are fetched again.
        batch, self.set_aside = self.set_aside, []
        if not batch or self.store is None:
            return None
        return deferToThread(self.store.mark_seen, batch).addErrback(
            self._log_failure, {"source": batch[0].source, "url": f"{len(batch)} pages"}
        )

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        verdict: Verdict = item.pop("verdict")
        result = verdict.stored
        if result is None:
            record = article_record(verdict, item["origin"], item.get("listed_at"))
            assert verdict.fingerprint is not None
            workers = resources_for(self.crawler).workers
            result = await workers.store(record, verdict.fingerprint)
        return self._count(result, item)

    def _count(self, result: StoreResult, item: dict[str, Any]) -> dict[str, Any]:
        self.stats.inc_value(f"marsad/store/{result.status}")
        if result.alerts:
            self.stats.inc_value("marsad/alerts_queued", result.alerts)
        item["stored"] = result
        return item

    def _log_failure(self, failure: Any, item: dict[str, Any]) -> None:
        log.error(
            "[%s] could not record %s: %s", item.get("source"), item.get("url"), failure.value
        )
