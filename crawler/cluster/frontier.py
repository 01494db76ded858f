"""A crawl's requests through scrapy-redis: its scheduler, a FIFO queue per source in Redis.

The queue outlives the crawl process: what a killed or stopped crawl had not fetched yet stays
in Redis, and the next crawl of the source (on whichever node holds its lease) resumes it.

Duplicates across nodes and runs are kept out by Marsad's own seen-URL table in PostgreSQL,
checked before any article is requested (`spiders.base`), not by scrapy-redis's fingerprint
set, which grows without bound (scrapy-redis issue #144). Within one crawl Scrapy's own
in-memory filter serves the few requests that are filtered at all, and ends with the crawl.
"""

from __future__ import annotations

import warnings
from typing import Any

from scrapy import Request
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy_redis.queue import FifoQueue

from crawler.cluster.connection import Keys
from crawler.config import ClusterConfig

PREFIX_SETTING = "MARSAD_CLUSTER_PREFIX"


def frontier_settings(cluster: ClusterConfig) -> dict[str, Any]:
    # scrapy-redis 0.9 counts its queue with the `spider` argument Scrapy deprecated: a warning
    # on every crawl's log that no operator can act on.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": f"{__name__}.SourceQueue",
        # Kept when a crawl ends early, for the next crawl of the source to resume.
        "SCHEDULER_PERSIST": True,
        "DUPEFILTER_CLASS": f"{__name__}.CrawlDupeFilter",
        "REDIS_URL": cluster.redis_url,
        PREFIX_SETTING: cluster.key_prefix,
    }


class SourceQueue(FifoQueue):
    """One source's frontier, keyed by the source rather than the spider class, so that a
    node's heartbeat finds its length from the config alone. First in, first out: a backlog is
    fetched oldest first (see `spiders.base.oldest_first`)."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        keys = Keys(spider.crawler.settings.get(PREFIX_SETTING))
        super().__init__(server, spider, keys.queue(spider.source.name), serializer)


class CrawlDupeFilter(BaseDupeFilter):
    """Request fingerprints of one crawl, in memory; scrapy-redis's scheduler builds one per
    spider, and it ends with the crawl."""

    def __init__(self, fingerprinter: Any) -> None:
        self.fingerprinter = fingerprinter
        self.seen: set[bytes] = set()

    @classmethod
    def from_spider(cls, spider: Any) -> CrawlDupeFilter:
        return cls(spider.crawler.request_fingerprinter)

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        if fingerprint in self.seen:
            return True
        self.seen.add(fingerprint)
        return False

    def clear(self) -> None:
        self.seen.clear()
