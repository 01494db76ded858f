"""Cluster mode (``[cluster] redis_url``): nodes that share one frontier in Redis and one
PostgreSQL database.

- `frontier`: the Scrapy settings that put a crawl's requests in Redis through scrapy-redis's
  scheduler and queue (one queue per source), and the per-crawl duplicate filter; imported by
  the crawl process only (it needs Scrapy).
- `leases`: `SourceLeases`, which node crawls a source: a lease per source, renewed while the
  crawl runs, and a marker saying when the source is due again.
- `nodes`: `join` makes this process a `Node` (its heartbeat: what it crawls, its queue
  lengths); `read_nodes` lists every node for `marsad status`, alive or lost.
- `connection`: `connect` and `Keys`, the name of every key a cluster writes.

Everything kept in Redis expires: a node that dies leaves nothing that blocks the others.
Only the errors are imported here: Redis and scrapy-redis are needed in cluster mode only.
"""

from crawler.cluster.errors import MISSING_REDIS, ClusterError, NodeAlreadyRunning

__all__ = ["MISSING_REDIS", "ClusterError", "NodeAlreadyRunning"]
