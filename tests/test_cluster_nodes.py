"""Cluster mode with real nodes: `marsad run` processes sharing one PostgreSQL schema and one
Redis key prefix, against the fixture web and a fake Slack."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from crawler.cluster.connection import Keys
from crawler.storage.db import open_database
from crawler.storage.models import Alert, Article, CrawlRun, utcnow
from tests.conftest import REDIS_URL, write_config
from tests.fakes.slack import FakeSlack
from tests.fixtureweb import ArticleSpec, Expected, FixtureWeb
from tests.helpers import invoke_marsad, stored_articles
from tests.test_dedup_crawl import by_key

pytestmark = pytest.mark.slow

LEASE = 2.0


def node_config(
    tmp_path: Path, name: str, db_url: str, prefix: str, web: FixtureWeb, slack: FakeSlack
) -> Path:
    body = f"""[alerts]
dispatch_interval = "0.5s"
retry_backoff = "1s"
dispatch_lease = "3s"

[alerts.slack]
webhook_url = "{slack.webhook_url}"

[cluster]
redis_url = "{REDIS_URL}"
key_prefix = "{prefix}"
node = "{name}"
lease = "{LEASE:g}s"
heartbeat = "0.5s"

{web.sources_toml(["rss"], interval="1h")}"""
    return write_config(tmp_path / f"{name}.toml", db_url, body)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


def rows(db_url: str) -> tuple[list[CrawlRun], list[Alert], list[Article]]:
    db = open_database(db_url, migrate=False)
    try:
        with db.read() as session:
            return (
                list(session.scalars(select(CrawlRun).order_by(CrawlRun.id))),
                list(session.scalars(select(Alert).order_by(Alert.id))),
                list(session.scalars(select(Article))),
            )
    finally:
        db.dispose()


def settled(db_url: str, sources: set[str]) -> bool:
    """Every source crawled to the end, and no alert waiting to be sent (follow-ups parked for
    the digest aside)."""
    try:
        runs, alerts, _ = rows(db_url)
    except Exception:
        return False  # the schema is being created
    done = {r.source for r in runs if r.status == "ok"}
    return done >= sources and any(a.status == "sent" for a in alerts) and not pending(alerts)


def run_states(db_url: str, source: str) -> set[str]:
    try:
        runs = rows(db_url)[0]
    except Exception:
        return set()  # the schema is being created
    return {r.status for r in runs if r.source == source}


def pending(alerts: list[Alert]) -> list[Alert]:
    """Alerts due to be sent, or failed: a follow-up parked for the digest is due years away."""
    soon = utcnow() + timedelta(days=1)
    return [
        a
        for a in alerts
        if a.status == "failed" or (a.status == "pending" and a.next_attempt_at < soon)
    ]


def assert_each_story_stored_once(web: FixtureWeb, config: Path, db_url: str) -> None:
    # by_key fails on a second row for one page.
    stored = by_key(web, stored_articles(config))
    assert {s.key for s in web.articles() if s.expected.relevant} <= set(stored)
    originals = [a for a in rows(db_url)[2] if a.duplicate_of is None]
    assert len({a.content_hash for a in originals}) == len(originals)


def posts_by_alert(slack: FakeSlack, db_url: str) -> Counter[str]:
    """How many times each distinct Slack message was posted; there is one per alert row."""
    posts = Counter(json.dumps(p.payload, ensure_ascii=False, sort_keys=True) for p in slack.posts)
    slack_rows = [a for a in rows(db_url)[1] if a.channel == "slack" and a.status == "sent"]
    assert len(posts) == len(slack_rows)
    return posts


def test_three_nodes_crawl_each_source_once_and_send_each_alert_once(
    web: FixtureWeb, pg_schema_url: str, redis_prefix: str, tmp_path: Path, daemons
) -> None:
    sources = {s["name"] for s in web.sources(["rss"])}
    with FakeSlack() as slack:
        daemons = [
            daemons(
                node_config(tmp_path, name, pg_schema_url, redis_prefix, web, slack),
                tmp_path / f"{name}.log",
            )
            for name in ("n1", "n2", "n3")
        ]
        for daemon in daemons:
            daemon.wait_log("cluster node")
        status = invoke_marsad("status", "--format", "json", config=daemons[0].config)
        listed = {n["name"]: n["state"] for n in json.loads(status.stdout)["nodes"]}
        assert listed == {"n1": "alive", "n2": "alive", "n3": "alive"}
        wait_until(lambda: settled(pg_schema_url, sources), 45, "all crawled and alerted")
        # A lease period and more passes: a node whose job polls a source again finds it crawled.
        time.sleep(1.5 * LEASE)
        # Stopped together, as a deploy stops them; each gives its leases back and leaves.
        for daemon in daemons:
            assert daemon.proc is not None
            daemon.proc.send_signal(signal.SIGTERM)
        for daemon in daemons:
            assert daemon.proc is not None and daemon.proc.wait(30) == 0, daemon.log[-3000:]
        runs, alerts, _ = rows(pg_schema_url)
        # Each source was crawled once in its interval, by one of the three nodes.
        assert Counter(r.source for r in runs) == dict.fromkeys(sources, 1)
        for daemon in daemons:
            for bad in ("Traceback", "IntegrityError", "deadlock"):
                assert bad not in daemon.log, daemon.log[-3000:]
        # Each alert was claimed by one node and sent once.
        sent = [a for a in alerts if a.status == "sent"]
        assert sent and not pending(alerts)
        assert all(a.attempts == 1 for a in sent)
        assert set(posts_by_alert(slack, pg_schema_url).values()) == {1}
    assert_each_story_stored_once(web, daemons[0].config, pg_schema_url)
    # Nodes that stopped on purpose leave the list, and their leases.
    status = invoke_marsad("status", "--format", "json", config=daemons[0].config)
    assert json.loads(status.stdout)["nodes"] == []
    client = redis.Redis.from_url(REDIS_URL)
    assert not list(client.scan_iter(match=f"{redis_prefix}:lease:*"))
    client.close()


def filler(i: int) -> ArticleSpec:
    """A page about something else: fetched and set aside, never stored."""
    return ArticleSpec(
        slug=f"weather-{i}",
        outlet="sawt",
        title=f"نشرة الطقس: أمطار متفرقة على المرتفعات الغربية ({i})",
        paragraphs=[
            "توقعت دائرة الأرصاد الجوية هطول أمطار متفرقة على المرتفعات الغربية خلال الأيام المقبلة.",
            f"ودعت الدائرة السائقين إلى الحذر على الطرق الجبلية في الصباح الباكر، في النشرة رقم {i}.",
        ],
        published=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2, minutes=i),
        expected=Expected(relevant=False),
    )


def test_a_killed_node_loses_nothing(
    web: FixtureWeb, pg_schema_url: str, redis_prefix: str, tmp_path: Path, daemons
) -> None:
    keys = Keys(redis_prefix)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    # More pages than one crawl takes off the queue at once, all slow: when the node dies,
    # some requests are in flight and the rest wait in Redis.
    web.publish_many([filler(i) for i in range(30)])
    for spec in web.articles("sawt"):
        web.set_fault(web.outlet("sawt").path_for(spec), "slow", outlet="sawt", delay=30)
    sources = {s["name"] for s in web.sources(["rss"])}
    with FakeSlack() as slack:
        first = daemons(
            node_config(tmp_path, "n1", pg_schema_url, redis_prefix, web, slack),
            tmp_path / "n1.log",
        )
        wait_until(lambda: client.llen(keys.queue("sawt")) > 0, 30, "sawt's requests queued")
        assert (client.get(keys.lease("sawt")) or "").startswith("n1:")
        second = daemons(
            node_config(tmp_path, "n2", pg_schema_url, redis_prefix, web, slack),
            tmp_path / "n2.log",
        )
        second.wait_log("cluster node")
        # n1 dies with its crawl child, as a machine that goes down: nothing of it says goodbye.
        [child_pid] = {
            r.pid for r in rows(pg_schema_url)[0] if r.status == "running" and r.source == "sawt"
        }
        assert first.proc is not None
        os.killpg(first.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(child_pid), signal.SIGKILL)
        left_in_queue = client.llen(keys.queue("sawt"))
        assert left_in_queue > 0
        web.clear_fault()

        # n1's lease expires, n2 takes sawt and resumes its queue from Redis.
        wait_until(lambda: settled(pg_schema_url, sources), 45, "all crawled and alerted")
        runs, alerts, _ = rows(pg_schema_url)
        sawt_runs = [r for r in runs if r.source == "sawt"]
        assert [r.status for r in sawt_runs][-1] == "ok"
        assert sawt_runs[-1].pid != child_pid
        # The lost node's run is closed by the node that took its source, on any host.
        assert {r.status for r in sawt_runs if r.pid == child_pid} == {"abandoned"}
        assert client.llen(keys.queue("sawt")) == 0
        status = invoke_marsad("status", "--format", "json", config=second.config)
        listed = {n["name"]: n for n in json.loads(status.stdout)["nodes"]}
        assert listed["n1"]["state"] == "lost" and listed["n2"]["state"] == "alive"
        assert second.terminate() == 0, second.log[-3000:]
        # Every alert went out; one n1 was sending when it died at most once more.
        assert not pending(alerts)
        assert set(posts_by_alert(slack, pg_schema_url).values()) <= {1, 2}
        assert 1 in set(posts_by_alert(slack, pg_schema_url).values())
    assert_each_story_stored_once(web, second.config, pg_schema_url)
    client.close()


def test_a_node_whose_lease_is_taken_stops_that_crawl(
    web: FixtureWeb, pg_schema_url: str, redis_prefix: str, tmp_path: Path, daemons
) -> None:
    """Redis out for longer than a lease: when it is back, another node may hold the source. The
    node that crawled it stops that crawl rather than crawl it beside the other."""
    keys = Keys(redis_prefix)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    for spec in web.articles("sawt"):
        web.set_fault(web.outlet("sawt").path_for(spec), "slow", outlet="sawt", delay=30)
    with FakeSlack() as slack:
        node = daemons(
            node_config(tmp_path, "n1", pg_schema_url, redis_prefix, web, slack),
            tmp_path / "n1.log",
        )
        wait_until(
            lambda: (
                (client.get(keys.lease("sawt")) or "").startswith("n1:")
                and "running" in run_states(pg_schema_url, "sawt")
            ),
            30,
            "n1 crawling sawt",
        )
        # Another node's lease where n1's was, as after an outage longer than the lease.
        client.set(keys.lease("sawt"), "n2:elsewhere", px=60_000)
        node.wait_log("crawl stopped: its lease was lost", timeout=15)
        wait_until(lambda: "stopped" in run_states(pg_schema_url, "sawt"), 20, "sawt's run stopped")
        # The other node's lease is left alone.
        assert client.get(keys.lease("sawt")) == "n2:elsewhere"
        web.clear_fault()
        assert node.terminate() == 0, node.log[-3000:]
    client.close()
