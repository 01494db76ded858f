"""Cluster mode's parts against the test Redis: the config, source leases, node heartbeats and
`marsad status`. The nodes as real processes are in test_cluster_nodes.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from crawler.cluster.connection import Keys
from crawler.cluster.leases import SourceLeases
from crawler.cluster.nodes import Node, NodeAlreadyRunning, read_nodes
from crawler.config import ClusterConfig, ConfigError, parse_config
from tests.conftest import REDIS_URL, write_config
from tests.helpers import invoke_marsad

PG = "postgresql://postgres@127.0.0.1:5432/marsad"


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield connection
    connection.close()


def cluster_toml(prefix: str, **extra: str) -> str:
    lines = [f'redis_url = "{REDIS_URL}"', f'key_prefix = "{prefix}"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    return "[cluster]\n" + "\n".join(lines) + "\n"


def cluster_config(prefix: str, **extra: str) -> ClusterConfig:
    config = parse_config(f'[database]\nurl = "{PG}"\n\n{cluster_toml(prefix, **extra)}', "test")
    assert config.cluster is not None
    return config.cluster


# --- config ------------------------------------------------------------------------------------


def test_cluster_mode_needs_postgresql_and_names_the_key() -> None:
    text = f'[database]\nurl = "sqlite:///m.db"\n\n{cluster_toml("p")}'
    with pytest.raises(ConfigError, match=r"cluster\.redis_url: cluster mode needs a PostgreSQL"):
        parse_config(text, "test")
    assert parse_config(text.replace("sqlite:///m.db", PG), "test").cluster is not None
    # Absent, the node runs alone, as before.
    assert parse_config('[database]\nurl = "sqlite:///m.db"\n', "test").cluster is None


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('redis_url = "http://127.0.0.1:6379"', "cluster.redis_url"),
        ('redis_url = "redis://h"\nkey_prefix = "a b%"', "cluster.key_prefix"),
        ('redis_url = "redis://h"\nlease = "soon"', "cluster.lease"),
        ('redis_url = "redis://h"\nnodes = 3', "cluster.nodes"),
    ],
)
def test_cluster_mistakes_name_their_key(line: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"{key}: "):
        parse_config(f'[database]\nurl = "{PG}"\n\n[cluster]\n{line}\n', "test")


# --- leases ------------------------------------------------------------------------------------


def test_a_source_is_leased_to_one_node_until_its_lease_expires(
    client: redis.Redis, redis_prefix: str
) -> None:
    keys = Keys(redis_prefix)
    a = SourceLeases(client, keys, "a", timedelta(milliseconds=600))
    b = SourceLeases(client, keys, "b", timedelta(milliseconds=600))
    assert a.take("sawt", timedelta(hours=1))
    assert not b.take("sawt", timedelta(hours=1))
    # Renewed, the lease outlives its first lifetime.
    time.sleep(0.4)
    assert a.renew() == []
    time.sleep(0.4)
    assert not b.take("sawt", timedelta(hours=1))
    # Not renewed (the node died), it expires, and another node takes the source.
    time.sleep(0.8)
    assert b.take("sawt", timedelta(hours=1))
    assert a.renew() == ["sawt"]
    # A release by the node that lost the lease leaves the new holder's lease alone.
    a.release("sawt")
    assert client.get(keys.lease("sawt")).startswith("b:")


def test_a_crawled_source_is_not_due_again_until_an_interval_after_its_crawl_began(
    client: redis.Redis, redis_prefix: str
) -> None:
    keys = Keys(redis_prefix)
    a = SourceLeases(client, keys, "a", timedelta(seconds=30))
    b = SourceLeases(client, keys, "b", timedelta(seconds=30))
    assert a.take_due([("sawt", timedelta(seconds=1.2)), ("bayraq", timedelta(seconds=1.2))]) == [
        "sawt",
        "bayraq",
    ]
    a.release("sawt")
    assert client.get(keys.lease("sawt")) is None
    assert b.take_due([("sawt", timedelta(seconds=1.2)), ("bayraq", timedelta(seconds=1.2))]) == []
    time.sleep(1.3)
    assert b.take_due([("sawt", timedelta(seconds=1.2))]) == ["sawt"]
    # Every key the leases write expires.
    assert all(client.pttl(key) > 0 for key in client.scan_iter(match=f"{redis_prefix}:*"))


def test_leases_taken_while_redis_is_down_are_none(redis_prefix: str) -> None:
    down = redis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    leases = SourceLeases(down, Keys(redis_prefix), "a", timedelta(seconds=5))
    assert leases.take_due([("sawt", timedelta(minutes=10))]) == []


# --- nodes -------------------------------------------------------------------------------------


def test_nodes_beat_and_a_silent_one_is_shown_as_lost(
    client: redis.Redis, redis_prefix: str
) -> None:
    cluster = cluster_config(redis_prefix, node="n1", heartbeat="0.2s", lease="3s")
    node = Node(cluster, client)
    node.register()
    with pytest.raises(NodeAlreadyRunning, match="n1"):
        Node(cluster, client).register()
    assert node.leases.take("sawt", timedelta(hours=1))
    client.rpush(Keys(redis_prefix).queue("sawt"), "r1", "r2", "r3")
    time.sleep(0.5)
    [seen] = read_nodes(client, Keys(redis_prefix))
    assert (seen.name, seen.state, seen.crawling, seen.queue_length) == ("n1", "alive", ["sawt"], 3)
    # The node stops beating without leaving (killed): three heartbeats later it is lost, and
    # it is still listed with what it was crawling.
    node._stop.set()
    time.sleep(0.9)
    [lost] = read_nodes(client, Keys(redis_prefix))
    assert (lost.state, lost.crawling) == ("lost", ["sawt"])


def test_a_node_that_leaves_gives_its_leases_back_and_is_not_listed(
    client: redis.Redis, redis_prefix: str
) -> None:
    cluster = cluster_config(redis_prefix, node="n2", heartbeat="1s")
    node = Node(cluster, client)
    node.register()
    node.leases.take("sawt", timedelta(hours=1))
    node.release()
    assert read_nodes(client, Keys(redis_prefix)) == []
    assert client.get(Keys(redis_prefix).lease("sawt")) is None


def test_a_node_goes_on_crawling_only_while_its_leases_are_its_own(
    client: redis.Redis, redis_prefix: str
) -> None:
    cluster = cluster_config(redis_prefix, node="n3", heartbeat="5s", lease="1s")
    node = Node(cluster, client)
    node.leases.take("sawt", timedelta(hours=1))
    node.leases.take("nafitha", timedelta(hours=1))
    node.beat()
    assert node.may_go_on(["sawt", "nafitha"])
    # A lease another node took meanwhile is lost for good; the others go on.
    client.set(Keys(redis_prefix).lease("sawt"), "other:token", px=60_000)
    node.beat()
    assert not node.may_go_on(["sawt"])
    assert node.may_go_on(["nafitha"])
    # Sources it does not hold are not its business.
    assert node.may_go_on(["bayraq"])
    # No renewal for longer than a lease (Redis unreachable): another node may hold them by
    # now, even before a renewal can tell.
    time.sleep(1.1)
    assert not node.may_go_on(["nafitha"])


def test_a_lease_given_back_during_a_renewal_is_not_lost(
    client: redis.Redis, redis_prefix: str, monkeypatch
) -> None:
    cluster = cluster_config(redis_prefix, node="n4", heartbeat="5s")
    node = Node(cluster, client)
    assert node.leases.take("sawt", timedelta(hours=1))
    # The renewal read "sawt" as held, then the crawl gave it back before its turn came.
    monkeypatch.setattr(node.leases, "renew", lambda: ["sawt"])
    node.leases.release("sawt")
    node.beat()
    assert node.lost == set()


def test_status_lists_the_nodes(
    tmp_path: Path, pg_schema_url: str, client: redis.Redis, redis_prefix: str
) -> None:
    config = write_config(
        tmp_path / "marsad.toml", pg_schema_url, cluster_toml(redis_prefix, heartbeat="0.2s")
    )
    alive = Node(cluster_config(redis_prefix, node="alive", heartbeat="0.2s"), client)
    alive.register()
    gone = Node(cluster_config(redis_prefix, node="gone", heartbeat="0.2s"), client)
    gone.register()
    gone._stop.set()
    time.sleep(0.9)
    try:
        result = invoke_marsad("status", "--format", "json", config=config)
        nodes = {n["name"]: n for n in json.loads(result.stdout)["nodes"]}
        assert {name: n["state"] for name, n in nodes.items()} == {"alive": "alive", "gone": "lost"}
        assert nodes["alive"]["heartbeat_at"] > nodes["gone"]["heartbeat_at"]
        table = invoke_marsad("status", config=config)
        assert "alive\talive\t" in table.stdout and "gone\tlost\t" in table.stdout
    finally:
        alive.release()


def test_status_reports_an_unreachable_redis(tmp_path: Path, pg_schema_url: str) -> None:
    body = '[cluster]\nredis_url = "redis://127.0.0.1:9/0"\n'
    config = write_config(tmp_path / "marsad.toml", pg_schema_url, body)
    result = invoke_marsad("status", "--format", "json", config=config)
    assert result.returncode == 1
    assert json.loads(result.stdout)["nodes"] == []


def test_a_node_takes_its_share_of_the_sources(client: redis.Redis, redis_prefix: str) -> None:
    first = Node(cluster_config(redis_prefix, node="s1", heartbeat="5s"), client)
    second = Node(cluster_config(redis_prefix, node="s2", heartbeat="5s"), client)
    first.register()
    second.register()
    try:
        due = [(f"source{i}", timedelta(hours=1)) for i in range(5)]
        # Five sources over two nodes: three for the first, the other two for the second.
        assert first.leases.take_due(due, first.share(5)) == ["source0", "source1", "source2"]
        assert first.share(5) == 0
        assert second.leases.take_due(due, second.share(5)) == ["source3", "source4"]
    finally:
        first.release()
        second.release()
    # Alone, a node may take them all.
    alone = Node(cluster_config(redis_prefix, node="s3", heartbeat="5s"), client)
    alone.register()
    assert alone.share(5) == 5
    alone.release()
