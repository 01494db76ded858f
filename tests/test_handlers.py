"""crawler.crawl.handlers: closing the HTTP handler when the connections close at the last moment."""

from __future__ import annotations

from typing import Any

import pytest
import twisted.internet
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock, deferLater

import crawler.crawl.handlers
from crawler.crawl.handlers import HTTPDownloadHandler


class _PoolClosingAt:
    """A connection pool whose cached connections finish closing at `when` on `clock`."""

    def __init__(self, clock: Clock, when: float) -> None:
        self.clock, self.when = clock, when

    def closeCachedConnections(self) -> Deferred[None]:  # noqa: N802 - Twisted's name
        closing: Deferred[None] = Deferred()
        self.clock.callLater(self.when, closing.callback, None)
        return closing


@pytest.mark.parametrize("closes_at", [0.2, 1.0, 3.0])
def test_close_fires_once_whichever_comes_first(
    monkeypatch: pytest.MonkeyPatch, closes_at: float
) -> None:
    # At 1.0 the connections close in the moment the give-up is due: Scrapy 2.15's own
    # HTTP11DownloadHandler.close raises AlreadyCalledError there.
    closed, clock = _close_with_clock(monkeypatch, HTTPDownloadHandler, closes_at)
    clock.advance(max(closes_at, 1.0))  # both the connections and the give-up are due
    clock.advance(5)
    assert closed.called and closed.result is None
    assert not clock.getDelayedCalls(), "nothing is left scheduled"


def _close_with_clock(
    monkeypatch: pytest.MonkeyPatch, handler_class: type[HTTP11DownloadHandler], closes_at: float
) -> tuple[Any, Clock]:
    clock = Clock()
    monkeypatch.setattr(twisted.internet, "reactor", clock, raising=False)

    def resumed_on_a_later_call(d: Deferred[Any]) -> Deferred[Any]:
        # As under asyncio, the awaiting coroutine resumes on a later loop call, not at once:
        # a timer due in the same moment runs first.
        return d.addCallback(lambda result: deferLater(clock, 0, lambda: result))

    monkeypatch.setattr(crawler.crawl.handlers, "maybe_deferred_to_future", resumed_on_a_later_call)
    # Only close() is under test: no reactor, no crawler, just what close() reads.
    handler = handler_class.__new__(handler_class)
    handler._disconnect_timeout = 1
    handler._pool = _PoolClosingAt(clock, closes_at)  # type: ignore[assignment]
    return Deferred.fromCoroutine(handler.close()), clock
