"""What one crawl process shares between its crawlers: config, database, analyzer, store.

The crawl child builds one :class:`Resources` and hands it to every crawler through the
``MARSAD_RESOURCES`` setting, so the expensive parts (compiled matcher, lexicons, engine) are
built once per process and closed when the process ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from crawler.config import Config
from crawler.storage.db import Database

if TYPE_CHECKING:
    from crawler.analysis.analyzer import Analyzer
    from crawler.crawl.workers import PageWorkers
    from crawler.storage.store import Store


@dataclass
class Resources:
    config: Config
    database: Database
    extras: dict[str, Any] = field(default_factory=dict)
    # Set for `marsad backfill`: nothing published before it is stored, and nothing alerts.
    backfill_since: datetime | None = None

    @cached_property
    def analyzer(self) -> Analyzer:
        from crawler.analysis.analyzer import Analyzer

        return Analyzer.from_config(self.config)

    @cached_property
    def store(self) -> Store:
        from crawler.storage.grouping import DevelopmentRecorder
        from crawler.storage.store import Store

        recorder = DevelopmentRecorder(self.config, alerting=self.backfill_since is None)
        return Store(self.database, recorder, oldest=self.backfill_since)

    @cached_property
    def workers(self) -> PageWorkers:
        from crawler.crawl.workers import PageWorkers, worker_count

        return PageWorkers(
            self.config,
            lambda: self.analyzer,
            lambda: self.store,
            processes=worker_count(self.config.crawl.workers),
            min_pages=self.config.crawl.workers_min_pages,
            backfill_since=self.backfill_since,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Resources:
        # Scrapy deep-copies settings for each crawler; these are meant to be shared, not copied.
        return self

    def close(self) -> None:
        if "workers" in self.__dict__:
            self.workers.close()
        self.database.dispose()


def resources_for(crawler: Any) -> Resources:
    resources = crawler.settings.get("MARSAD_RESOURCES")
    if resources is None:
        raise RuntimeError("this crawl was started without MARSAD_RESOURCES")
    return resources
