"""Downloader middlewares."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from sqlalchemy.exc import SQLAlchemyError

from crawler.crawl.resources import resources_for
from crawler.storage.models import RobotsCache, utcnow

log = logging.getLogger(__name__)

# robots.txt changes rarely; re-reading it once a day keeps an unchanged web's re-crawl to
# one conditional request per feed.
ROBOTS_TTL = timedelta(hours=24)


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with each site's robots.txt kept in the database."""

    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        site = f"{url.scheme}://{url.netloc}"
        if url.netloc not in self._parsers:
            cached = self._cached(site)
            if cached is not None:
                self._stats.inc_value("robotstxt/cache_hit")
                self._parsers[url.netloc] = build_from_crawler(
                    self._parserimpl, self.crawler, cached
                )
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        try:
            self._store(f"{urlparse_cached(request).scheme}://{netloc}", response)
        except SQLAlchemyError as exc:
            # Scrapy would log this as a failed robots.txt download, which the logs leave out
            # (crawler.logs); the cache only saves a request next time.
            log.warning("could not cache %s/robots.txt: %s", netloc, exc)
        await super()._parse_robots(response, netloc, request)

    def _cached(self, site: str) -> bytes | None:
        db = resources_for(self.crawler).database
        with db.read() as session:
            row = session.get(RobotsCache, site)
            if row is None or utcnow() - row.fetched_at > ROBOTS_TTL:
                return None
            # A missing robots.txt (4xx) allows everything, as Scrapy treats it.
            return row.body if row.status == 200 else b""

    def _store(self, site: str, response: Response) -> None:
        if response.status >= 500:
            return
        db = resources_for(self.crawler).database
        body = response.body if response.status == 200 else b""
        with db.write() as session:
            row = session.get(RobotsCache, site)
            if row is None:
                session.add(RobotsCache(site=site, status=response.status, body=body))
            else:
                row.status, row.body, row.fetched_at = response.status, body, utcnow()
