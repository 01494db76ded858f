"""The Redis connection and the names of every key a cluster writes."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from crawler.cluster.errors import ClusterError
from crawler.config import ClusterConfig

# A Redis that does not answer within this long is down, not slow: the caller logs and goes on.
SOCKET_TIMEOUT_SECONDS = 5.0


def connect(cluster: ClusterConfig) -> redis.Redis:
    try:
        return redis.Redis.from_url(
            cluster.redis_url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
    except ValueError as exc:
        raise ClusterError(f"cluster.redis_url: {exc}") from None


@dataclass(frozen=True)
class Keys:
    prefix: str

    def queue(self, source: str) -> str:
        """A source's frontier: the scrapy-redis request queue its crawls share."""
        return f"{self.prefix}:queue:{source}"

    def lease(self, source: str) -> str:
        return f"{self.prefix}:lease:{source}"

    def crawled(self, source: str) -> str:
        """Present while the source's last crawl is less than an interval old."""
        return f"{self.prefix}:crawled:{source}"

    def node(self, name: str) -> str:
        """Present while the node's heartbeat is fresh."""
        return f"{self.prefix}:node:{name}"

    @property
    def nodes(self) -> str:
        """Every node's last heartbeat record, kept after the node is lost (shown as lost)."""
        return f"{self.prefix}:nodes"
