"""The item pipeline: each downloaded page examined and, when relevant, stored, in one pass
(`crawler.crawl.pages`), in a worker process on a big crawl.

Every page set aside is dropped with a :class:`Rejected` that carries a counted reason and the
seen-URL status to remember it by, so it is never fetched again; those are recorded in batches.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.crawl.pages import TOO_OLD, Page
from crawler.crawl.resources import resources_for
from crawler.storage.seen import SeenEntry, SeenStatus

log = logging.getLogger(__name__)

SEEN_BATCH = 50


class Rejected(DropItem):
    """A page the crawl looked at and set aside; `status` is what the seen-URL table records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = SeenStatus.IRRELEVANT if reason == "irrelevant" else SeenStatus.INVALID


class QuietLogFormatter(LogFormatter):
    """Dropped pages are routine (irrelevant news); log them at DEBUG, without the item."""

    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        entry["msg"] = "Dropped %(exception)s: %(url)s"
        entry["args"] = {"exception": exception, "url": item.get("url") if item else None}
        return entry


class PagePipeline:
    """Examines each page and stores it when relevant (:meth:`PageWorkers.handle`); remembers
    every page set aside (empty, not_arabic or irrelevant) as seen."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.set_aside: list[SeenEntry] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PagePipeline:
        if crawler.settings.get("MARSAD_RESOURCES") is None:
            raise NotConfigured("no Marsad resources configured for this crawl")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        resources = resources_for(self.crawler)
        source = resources.config.source(item["source"])
        page = Page(
            url=item.pop("page_url", item["url"]),
            html=item.pop("html", ""),
            source=item["source"],
            fetched_at=item["fetched_at"],
            requested_url=item.get("requested_url"),
            listed_at=item.get("listed_at"),
            timezone=source.timezone,
            selectors=dict(source.selectors.items()) if source.selectors else None,
        )
        outcome = await resources.workers.handle(page)
        if outcome.url is not None:
            item.update(url=outcome.url, title=outcome.title, published_at=outcome.published_at)
        if outcome.rejected is not None:
            self.stats.inc_value(f"marsad/dropped/{outcome.rejected}")
            raise Rejected(outcome.rejected)
        self.stats.inc_value("marsad/relevant")
        assert outcome.stored is not None, "a relevant page is stored"
        self.stats.inc_value(f"marsad/store/{outcome.stored.status}")
        if outcome.stored.alerts:
            self.stats.inc_value("marsad/alerts_queued", outcome.stored.alerts)
        item["stored"] = outcome.stored
        return item

    def item_dropped(self, item: Any, response: Response, exception: BaseException) -> None:
        if isinstance(exception, Rejected) and exception.reason != TOO_OLD:
            urls = [item.get("url"), item.get("requested_url")]
            self.set_aside.append(
                SeenEntry(urls, item["source"], exception.status, None, item.get("listed_at"))
            )
            if len(self.set_aside) >= SEEN_BATCH:
                self._flush_seen()

    async def close_spider(self) -> None:
        pending = self._flush_seen()
        if pending is not None:
            await maybe_deferred_to_future(pending)

    def _flush_seen(self) -> Any:
        # Most pages of a crawl are set aside (irrelevant news); one transaction per batch of
        # them, not per page. A crash loses at most one batch: those pages are fetched again.
        batch, self.set_aside = self.set_aside, []
        if not batch:
            return None
        store = resources_for(self.crawler).store
        return deferToThread(store.mark_seen, batch).addErrback(
            self._log_failure, batch[0].source, f"{len(batch)} pages"
        )

    def _log_failure(self, failure: Any, source: str, what: str) -> None:
        log.error("[%s] could not record %s: %s", source, what, failure.value)
