"""Which node crawls a source: a lease per source in Redis (SET NX PX with a token).

A node takes a source's lease before its crawl, renews it while the crawl runs, and gives it
back after, leaving a marker that says the source is not due again until an interval after
this crawl began. A node that dies stops renewing: its leases expire, no marker was left, and
the next node whose job polls the source takes it over.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import redis

from crawler.cluster.connection import Keys

log = logging.getLogger("marsad.cluster")

# Renew only a lease this token still holds: a lease that expired and went to another node
# stays theirs.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# Give back a lease this token holds and, in the same step, mark the source crawled until its
# next due time, so that no other node slips in between and crawls it again at once.
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return 0
end
if tonumber(ARGV[2]) > 0 then
  redis.call('set', KEYS[2], ARGV[3], 'PX', ARGV[2])
end
return redis.call('del', KEYS[1])
"""


class SourceLeases:
    def __init__(self, client: Any, keys: Keys, node: str, ttl: timedelta) -> None:
        self.client = client
        self.keys = keys
        self.node = node
        self.ttl_ms = max(1, int(ttl.total_seconds() * 1000))
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        # source -> (token, monotonic start, interval in seconds)
        self.held: dict[str, tuple[str, float, float]] = {}

    def take(self, source: str, interval: timedelta) -> bool:
        """Take `source` if no node holds it and its last crawl began an interval ago."""
        token = f"{self.node}:{uuid.uuid4().hex}"
        if not self.client.set(self.keys.lease(source), token, nx=True, px=self.ttl_ms):
            return False
        if self.client.exists(self.keys.crawled(source)):
            self._release(
                keys=[self.keys.lease(source), self.keys.crawled(source)], args=[token, 0, ""]
            )
            return False
        self.held[source] = (token, time.monotonic(), interval.total_seconds())
        return True

    def take_due(
        self, sources: Iterable[tuple[str, timedelta]], limit: int | None = None
    ) -> list[str]:
        """The sources of `sources` this node now holds (at most `limit`); none while Redis
        is unreachable (a source no node can lease is crawled by none, rather than by all)."""
        taken: list[str] = []
        try:
            for name, interval in self._free(list(sources)):
                if limit is not None and len(taken) >= limit:
                    break
                if self.take(name, interval):
                    taken.append(name)
        except redis.RedisError as exc:
            log.warning("cluster: cannot take source leases: %s", exc)
        return taken

    def _free(self, sources: list[tuple[str, timedelta]]) -> list[tuple[str, timedelta]]:
        """The sources neither leased nor crawled lately, read in one round trip: most
        candidates a node looks at are other nodes' (taking each would cost two)."""
        pipe = self.client.pipeline(transaction=False)
        for name, _ in sources:
            pipe.exists(self.keys.lease(name), self.keys.crawled(name))
        return [s for s, busy in zip(sources, pipe.execute(), strict=True) if not busy]

    def renew(self) -> list[str]:
        """Renew every lease held; returns the sources whose lease was lost meanwhile."""
        lost = []
        for source, (token, _, _) in list(self.held.items()):
            if not self._renew(keys=[self.keys.lease(source)], args=[token, self.ttl_ms]):
                lost.append(source)
        return lost

    def release(self, source: str) -> None:
        held = self.held.pop(source, None)
        if held is None:
            return
        token, started, interval = held
        not_due_ms = int((started + interval - time.monotonic()) * 1000)
        try:
            self._release(
                keys=[self.keys.lease(source), self.keys.crawled(source)],
                args=[token, max(0, not_due_ms), self.node],
            )
        except redis.RedisError as exc:
            # The lease expires by itself; the source is due again at once after that.
            log.warning("[%s] cluster: cannot give the lease back: %s", source, exc)

    def release_all(self) -> None:
        for source in list(self.held):
            self.release(source)
