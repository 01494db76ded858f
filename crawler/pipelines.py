"""Item pipelines, in order: validate, analyze, deduplicate, store.

Every page that leaves the chain early is dropped with a :class:`Rejected` that carries a
counted reason and the seen-URL status to remember it by, so it is never fetched again.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.logformatter import LogFormatter
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.analysis import Analyzer
from crawler.arabic import normalize
from crawler.dedup import band_keys, content_hash, signature
from crawler.resources import resources_for
from crawler.store import ArticleRecord, Fingerprint, SeenEntry, Store, StoreResult

log = logging.getLogger(__name__)

_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
MIN_TEXT_CHARS = 80
SEEN_BATCH = 50
MIN_ARABIC_SHARE = 0.5


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


class ValidatePipeline:
    """Drops pages with no main text, or whose text is not Arabic."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        text = item.get("text") or ""
        if len(text.strip()) < MIN_TEXT_CHARS:
            self._reject("empty")
        arabic = len(_ARABIC_LETTER.findall(text))
        latin = len(_LATIN_LETTER.findall(text))
        if arabic < MIN_ARABIC_SHARE * (arabic + latin):
            self._reject("not_arabic")
        return item

    def _reject(self, reason: str) -> None:
        self.stats.inc_value(f"marsad/dropped/{reason}")
        raise Rejected(reason, "invalid")


class AnalyzePipeline:
    """Matches the watchlist on title and main text, and classifies relevant pages."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AnalyzePipeline:
        return cls(crawler)

    @property
    def analyzer(self) -> Analyzer:
        # Built on the first page, not when the spider opens: compiling the watchlist and
        # lexicons costs most of a second, and most scheduled crawls find nothing new.
        return resources_for(self.crawler).analyzer

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        analysis = self.analyzer.analyze(item.get("title") or "", item.get("text") or "")
        if not analysis.relevant:
            self.stats.inc_value("marsad/dropped/irrelevant")
            raise Rejected("irrelevant", "irrelevant")
        self.stats.inc_value("marsad/relevant")
        item["analysis"] = analysis
        return item


class DedupPipeline:
    """Fingerprints the main text; the store pipeline looks it up inside its transaction."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        normalized = normalize(item["text"])
        item["fingerprint"] = Fingerprint(
            normalized=normalized,
            content_hash=content_hash(normalized),
            band_keys=band_keys(signature(normalized)),
        )
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

    def close_spider(self) -> Any:
        return self._flush_seen()

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
        return deferToThread(self.store.mark_seen_many, batch).addErrback(
            self._log_failure, {"source": batch[0].source, "url": f"{len(batch)} pages"}
        )

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        # The transaction may wait on SQLite's write lock; keep it off the reactor thread.
        result = await maybe_deferred_to_future(deferToThread(self._store, item))
        return self._count(result, item)

    def _store(self, item: dict[str, Any]) -> StoreResult:
        assert self.store is not None
        analysis = item["analysis"]
        record = ArticleRecord(
            source=item["source"],
            url=item["url"],
            requested_url=item.get("requested_url"),
            title=item.get("title") or "",
            text=item["text"],
            fetched_at=item["fetched_at"],
            published_at=item.get("published_at"),
            published_precision=item.get("published_precision"),
            listed_at=item.get("listed_at"),
            author=item.get("author"),
            terms=analysis.terms_json(),
            topics=analysis.topics,
            countries=analysis.countries,
            evidence=analysis.evidence,
            amounts=analysis.amounts,
        )
        return self.store.store_article(record, item["fingerprint"])

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
