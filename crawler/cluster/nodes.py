"""A node's heartbeat, and the list of nodes `marsad status` shows.

Each node keeps a key of its own that expires after three heartbeats unless renewed (alive
while present), and its last record in a shared hash (kept a day, so that a node that
disappears is shown as lost rather than simply gone). The same thread renews the node's
source leases, so a node that hangs loses its leases and its heartbeat together.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from crawler.cluster.connection import Keys, connect
from crawler.cluster.errors import ClusterError, NodeAlreadyRunning
from crawler.cluster.leases import SourceLeases
from crawler.config import ClusterConfig

log = logging.getLogger("marsad.cluster")

MISSED_HEARTBEATS = 3
# A lost node's last record is dropped from the list after this long.
FORGET_LOST_AFTER = timedelta(days=1)


@dataclass
class NodeInfo:
    name: str
    host: str
    pid: int
    started_at: str
    heartbeat_at: str
    crawling: list[str] = field(default_factory=list)
    queue_length: int = 0
    state: str = "alive"  # alive | lost


def node_name(cluster: ClusterConfig) -> str:
    return cluster.node or f"{socket.gethostname()}-{os.getpid()}"


class Node:
    """This process as a cluster node: registered, beating, and holding its sources' leases."""

    def __init__(self, cluster: ClusterConfig, client: Any) -> None:
        self.name = node_name(cluster)
        self.client = client
        self.keys = Keys(cluster.key_prefix)
        self.heartbeat = cluster.heartbeat.total_seconds()
        self.leases = SourceLeases(client, self.keys, self.name, cluster.lease)
        # Renewal comes well inside a lease's lifetime, even when heartbeats are slow.
        self.tick = min(self.heartbeat, cluster.lease.total_seconds() / 3)
        self.started_at = _now()
        self._gathered_at = -float("inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_leases_lost: Callable[[list[str]], None] = self._log_lost
        self.lease_seconds = cluster.lease.total_seconds()
        # When the leases were last renewed, and the sources whose lease another node holds now.
        self._renewed_at = time.monotonic()
        self.lost: set[str] = set()

    def info(self) -> NodeInfo:
        crawling = sorted(self.leases.held)
        queue_length = 0
        if crawling:
            pipe = self.client.pipeline(transaction=False)
            for source in crawling:
                pipe.llen(self.keys.queue(source))
            queue_length = sum(pipe.execute())
        return NodeInfo(
            name=self.name,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self.started_at,
            heartbeat_at=_now(),
            crawling=crawling,
            queue_length=queue_length,
        )

    def share(self, sources: int) -> int:
        """How many more sources this node may take now: its share of `sources` among the
        nodes alive, less those it holds. What one node leaves, another's next poll takes."""
        try:
            alive = sum(n.state == "alive" for n in read_nodes(self.client, self.keys))
        except redis.RedisError as exc:
            log.warning("cluster: cannot count the nodes: %s", exc)
            return 0
        return max(0, -(-sources // max(1, alive)) - len(self.leases.held))

    def may_gather(self) -> bool:
        """Whether the daemon may now gather the sources due soon into a batch: most that this
        node did not crawl lately are other nodes', and each costs a look in Redis, so at most
        once a heartbeat."""
        now = time.monotonic()
        if now - self._gathered_at < self.heartbeat:
            return False
        self._gathered_at = now
        return True

    def register(self) -> None:
        """Announce this node; refuses when a live node of the same name is announced."""
        record = json.dumps(asdict(self.info()))
        try:
            if not self.client.set(self.keys.node(self.name), record, nx=True, px=self._alive_ms):
                raise NodeAlreadyRunning(f"cluster node {self.name!r} is already running")
            self.client.hset(self.keys.nodes, self.name, record)
        except redis.RedisError as exc:
            raise ClusterError(f"cluster.redis_url: Redis is not reachable: {exc}") from None
        self._thread = threading.Thread(target=self._beat, name="marsad-heartbeat", daemon=True)
        self._thread.start()

    @property
    def _alive_ms(self) -> int:
        return int(self.heartbeat * MISSED_HEARTBEATS * 1000)

    def beat(self) -> None:
        started = time.monotonic()
        lost = self.leases.renew()
        self._renewed_at = started
        # A lease given back while the renewal ran (its crawl ended) was not lost.
        lost = [source for source in lost if source in self.leases.held]
        if lost:
            self.lost.update(lost)
            self.on_leases_lost(lost)
        record = json.dumps(asdict(self.info()))
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.keys.node(self.name), record, px=self._alive_ms)
        pipe.hset(self.keys.nodes, self.name, record)
        pipe.expire(self.keys.nodes, int(FORGET_LOST_AFTER.total_seconds()))
        pipe.execute()
        self._forget_long_lost()

    def may_go_on(self, sources: Iterable[str]) -> bool:
        """Whether this node may go on crawling `sources`: none of their leases went to another
        node, and none can have expired meanwhile (Redis unreachable for longer than a lease: by
        then another node may have taken them, and a source is never crawled by two)."""
        held = [s for s in sources if s in self.leases.held]
        if any(s in self.lost for s in held):
            return False
        return not held or time.monotonic() - self._renewed_at < self.lease_seconds

    def _forget_long_lost(self) -> None:
        cutoff = (datetime.now(UTC) - FORGET_LOST_AFTER).isoformat()
        for name, raw in self.client.hgetall(self.keys.nodes).items():
            if json.loads(raw).get("heartbeat_at", "") < cutoff:
                self.client.hdel(self.keys.nodes, name)

    def _beat(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.beat()
            except redis.RedisError as exc:
                log.warning("cluster heartbeat failed: %s", exc)

    @staticmethod
    def _log_lost(sources: list[str]) -> None:
        log.error(
            "[%s] lease lost while crawling (Redis unreachable for longer than the lease?)",
            ", ".join(sources),
        )

    def release(self) -> None:
        """Leave the cluster (the daemon's single-instance lock, in cluster mode): stop beating, give the leases back, and leave the list: a node stopped on purpose
        is not lost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.tick + 5)
        try:
            self.leases.release_all()
            self.client.delete(self.keys.node(self.name))
            self.client.hdel(self.keys.nodes, self.name)
        except redis.RedisError as exc:
            log.warning("leaving the cluster: %s", exc)


def join(cluster: ClusterConfig) -> Node:
    """This process as a registered node of `cluster`, beating until it is released."""
    node = Node(cluster, connect(cluster))
    node.register()
    return node


def read_nodes(client: Any, keys: Keys) -> list[NodeInfo]:
    """Every node of the cluster by name: alive while its own key lives, lost after."""
    records = client.hgetall(keys.nodes)
    names = sorted(records)
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.exists(keys.node(name))
    alive = pipe.execute()
    known = NodeInfo.__dataclass_fields__
    nodes = []
    for name, is_alive in zip(names, alive, strict=True):
        data = {k: v for k, v in json.loads(records[name]).items() if k in known}
        info = NodeInfo(**data)
        # A lost node keeps what it was crawling when it was last heard of.
        info.state = "alive" if is_alive else "lost"
        nodes.append(info)
    return nodes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
