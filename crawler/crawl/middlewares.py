"""Downloader middlewares."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from sqlalchemy.exc import SQLAlchemyError

from crawler.crawl.resources import resources_for
from crawler.storage.models import RobotsCache, utcnow
from crawler.storage.seen import upsert

log = logging.getLogger(__name__)

# robots.txt changes rarely; re-reading it once a day keeps an unchanged web's re-crawl to
# one conditional request per feed.
ROBOTS_TTL = timedelta(hours=24)


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with each site's robots.txt kept in the database."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        # Hosts whose robots.txt could not be read this crawl, with the cause.
        self._unreadable: dict[str, str] = {}

    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        site = f"{url.scheme}://{url.netloc}"
        if url.netloc not in self._parsers:
            try:
                cached = self._cached(site)
            except SQLAlchemyError as exc:
                log.warning("could not read cached %s/robots.txt: %s", site, exc)
                cached = None
            if cached is not None:
                self._stats.inc_value("robotstxt/cache_hit")
                self._parsers[url.netloc] = build_from_crawler(
                    self._parserimpl, self.crawler, cached
                )
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            raise RobotsError(f"HTTP {response.status}")
        try:
            self._store(f"{urlparse_cached(request).scheme}://{netloc}", response)
        except SQLAlchemyError as exc:
            # The robots.txt just read still applies; the cache only saves a request next time.
            log.warning("could not cache %s/robots.txt: %s", netloc, exc)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        # Scrapy lets every request to the host through after any robots.txt error. A host that
        # answered with a server error has rules we cannot read, so this crawl fetches nothing
        # from it (RFC 9309, 2.3.1.4). A host we could not reach at all is left alone: its feed
        # request fails by itself, with that cause, in the source's one log line.
        if isinstance(exc, RobotsError):
            cause = str(exc)
            self._unreadable[netloc] = cause
            self._stats.inc_value("marsad/robots_unreadable")
            log.warning(
                "robots.txt of %s unreadable (%s): skipping the host this crawl", netloc, cause
            )
        super()._robots_error(exc, netloc)

    def process_request_2(self, rp: Any, request: Request) -> None:
        cause = self._unreadable.get(urlparse_cached(request).netloc)
        if cause is not None:
            self._stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest(f"robots.txt unreadable: {cause}")
        super().process_request_2(rp, request)

    def _cached(self, site: str) -> bytes | None:
        db = resources_for(self.crawler).database
        with db.read() as session:
            row = session.get(RobotsCache, site)
            if row is None or utcnow() - row.fetched_at > ROBOTS_TTL:
                return None
            # A missing robots.txt (4xx) allows everything, as Scrapy treats it.
            return row.body if row.status == 200 else b""

    def _store(self, site: str, response: Response) -> None:
        db = resources_for(self.crawler).database
        body = response.body if response.status == 200 else b""
        values = {"status": response.status, "body": body, "fetched_at": utcnow()}
        with db.write() as session:
            upsert(session, RobotsCache, {"site": site}, values)


class RobotsError(Exception):
    """A robots.txt answered with a server error: the host's rules are unknown."""
