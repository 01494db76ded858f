"""Download handlers."""

from __future__ import annotations

from typing import cast

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred


class HTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, closed without firing one Deferred twice.

    Scrapy gives closing the cached connections a second, then fires their Deferred itself.
    When the connections close in that same second's last moment, both fire it, and the crawl
    ends with a CRITICAL AlreadyCalledError traceback. Here the two race to a Deferred of
    our own, and the loser is ignored.
    """

    async def close(self) -> None:
        from twisted.internet import reactor as installed

        # The reactor is typed by zope interfaces, which mypy reads without their self argument;
        # every Twisted reactor is a ReactorBase.
        reactor = cast(ReactorBase, installed)
        closed: Deferred[None] = Deferred()

        def finish(_: object = None) -> None:
            if not closed.called:
                closed.callback(None)

        # Their outcome does not matter any more: the crawl is over.
        self._pool.closeCachedConnections().addBoth(finish)
        gave_up = reactor.callLater(self._disconnect_timeout, finish)
        try:
            await maybe_deferred_to_future(closed)
        finally:
            if gave_up.active():
                gave_up.cancel()
