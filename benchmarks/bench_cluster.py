"""Cluster throughput: one Marsad node against two, side by side in one run (issue 18).

Serves a generated web (``benchmarks.sitegen``'s articles over eight outlets on 127.0.0.1-8,
each answering every request after ``--latency`` seconds, 50 ms by default, as real sites do),
then crawls all of it twice, each time on a fresh PostgreSQL schema and a fresh Redis key
prefix, with real nodes (``marsad run`` in cluster mode, one sitemap source per outlet):

- ``1 node``: one daemon takes every source;
- ``2 nodes``: two daemons share the sources through their leases and the frontier in Redis.

Pages/second counts article pages over the window from the first request the server sees to
the end of the last one, so interpreter start-up is left out. The stored rows of the two runs
are compared (URL, source, title, content hash, original, topics, countries).

Then Redis and PostgreSQL alone: the frontier's queue operations (scrapy-redis ``FifoQueue``
push and pop of real serialized requests) and lease take/release, and the store's inserts
(``Store.store_article``) and the outbox's claims (``Dispatcher.claim``), each from one and from
several clients; and from the Redis commands and stored articles per page measured in the
1-node crawl, how many nodes each would carry, projected to 10 and 50 nodes.

    python -m benchmarks.bench_cluster                    # 5,000 pages, 50 ms latency
    python -m benchmarks.bench_cluster --latency 0.5      # slow sites: nodes wait, not compute
    python -m benchmarks.bench_cluster --skip-crawl       # Redis and PostgreSQL alone
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the repo root holds tests/ and crawler/
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_crawl import (  # noqa: E402
    PG_URL,
    _machine_cpu,
    is_index_path,
    pg_schema_url,
    prepare_database,
)

REDIS_URL = os.environ.get("MARSAD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DEFAULT_PAGES = 5000
OUTLETS = 8
TEMPLATES = ("modern", "classic", "legacy")
TARGET_RATIO = 1.8


# --- the web ---------------------------------------------------------------------------------


def build_slow_web(n: int, latency: float) -> Any:
    """A FixtureWeb (not started) of `n` generated articles over OUTLETS outlets, each request
    answered after `latency` seconds (in the server's handler thread, as a far site would)."""
    from benchmarks.sitegen import generate_specs
    from tests.fixtureweb.server import FixtureWeb, Outlet

    class SlowWeb(FixtureWeb):
        def _route(self, outlet: Any, path: str, query: str) -> Any:
            time.sleep(latency)
            return super()._route(outlet, path, query)

    outlets = [
        Outlet(
            name=f"outlet{i}",
            display_name=f"منفذ {i}",
            template=TEMPLATES[i % len(TEMPLATES)],
            host=f"127.0.0.{i + 1}",
            feed_limit=None,
        )
        for i in range(OUTLETS)
    ]
    web = SlowWeb(outlets)
    web.publish_many(generate_specs(n, 1, [o.name for o in outlets]))
    return web


# --- nodes -----------------------------------------------------------------------------------


def write_node_config(path: Path, db_url: str, web: Any, prefix: str, node: str) -> Path:
    lines = [
        "[database]",
        f'url = "{db_url}"',
        "",
        "[crawl]",
        "download_delay = 0",
        "robots_txt = false",
        'timeout = "30s"',
        "max_articles_per_run = 100000",
        'hard_timeout = "60m"',
        "",
        "[cluster]",
        f'redis_url = "{REDIS_URL}"',
        f'key_prefix = "{prefix}"',
        f'node = "{node}"',
        'lease = "10s"',
        'heartbeat = "3s"',
        "",
    ]
    for outlet in web.outlets.values():
        lines += [
            "[[sources]]",
            f'name = "{outlet.name}"',
            'kind = "sitemap"',
            f'url = "{outlet.base_url}/news-sitemap.xml"',
            'interval = "1h"',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def finished_runs(db_url: str) -> int:
    from sqlalchemy import func, select

    from crawler.storage.db import open_database
    from crawler.storage.models import CrawlRun

    db = open_database(db_url, migrate=False)
    try:
        with db.read() as session:
            return session.scalar(
                select(func.count()).select_from(CrawlRun).where(CrawlRun.status != "running")
            )
    finally:
        db.dispose()


def redis_commands() -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


def crawl_with_nodes(web: Any, count: int, workdir: Path) -> dict[str, Any]:
    """Crawl the whole web with `count` nodes on a fresh schema and prefix; their figures."""
    prefix = f"marsad-bench-{uuid.uuid4().hex[:10]}"
    with pg_schema_url() as db_url:
        prepare_database(db_url)
        configs = [
            write_node_config(workdir / f"{prefix}-n{i}.toml", db_url, web, prefix, f"n{i}")
            for i in range(count)
        ]
        start_index = len(web.requests)
        commands_before, cpu_before = redis_commands(), _machine_cpu()
        logs = [(workdir / f"{c.stem}.log").open("w", encoding="utf-8") for c in configs]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "--config", str(c), "run"],
                cwd=ROOT,
                stderr=log,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
            for c, log in zip(configs, logs, strict=True)
        ]
        try:
            while finished_runs(db_url) < len(web.outlets):
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"a node exited early; see {workdir}")
                time.sleep(0.5)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            for log in logs:
                log.close()
        cpu = _machine_cpu() - cpu_before
        commands = redis_commands() - commands_before
        records = web.requests[start_index:]
        pages = [r for r in records if r.status == 200 and not is_index_path(r.path)]
        window = max(r.time + r.duration for r in records) - min(r.time for r in records)
        rows = stored_rows(db_url)
        by_node = crawled_by_node(db_url)
    _forget_prefix(prefix)
    return {
        "nodes": count,
        "pages": len(pages),
        "window": window,
        "rate": len(pages) / window,
        "cpu": cpu,
        "redis_commands": commands,
        "rows": rows,
        "by_node": by_node,
    }


def stored_rows(db_url: str) -> set[tuple[Any, ...]]:
    """Every stored article by what identifies it, ids (which differ run to run) left out."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from crawler.storage.db import open_database
    from crawler.storage.models import Article

    original = aliased(Article)
    db = open_database(db_url, migrate=False)
    try:
        with db.read() as session:
            result = session.execute(
                select(
                    Article.url,
                    Article.source,
                    Article.title,
                    Article.content_hash,
                    original.url,
                    Article.topics,
                    Article.countries,
                ).outerjoin(original, Article.duplicate_of == original.id)
            ).all()
    finally:
        db.dispose()
    return {(*r[:5], tuple(r[5] or ()), tuple(r[6] or ())) for r in result}


def crawled_by_node(db_url: str) -> dict[int, list[str]]:
    """Sources by the pid of the crawl process that took them."""
    from sqlalchemy import select

    from crawler.storage.db import open_database
    from crawler.storage.models import CrawlRun

    db = open_database(db_url, migrate=False)
    try:
        with db.read() as session:
            runs = session.execute(select(CrawlRun.pid, CrawlRun.source)).all()
    finally:
        db.dispose()
    out: dict[int, list[str]] = {}
    for pid, source in runs:
        out.setdefault(pid or 0, []).append(source)
    return out


def _forget_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


# --- Redis and PostgreSQL alone --------------------------------------------------------------


def rate(work: Callable[[int], int], clients: int, seconds: float = 3.0) -> float:
    """Operations per second of `work(i)` (one call does some operations and returns how
    many) run by `clients` threads at once for about `seconds`."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        while time.monotonic() < stop:
            done[i] += work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def redis_alone(clients: Sequence[int]) -> dict[str, dict[int, float]]:
    import redis
    from scrapy import Request, Spider
    from scrapy_redis.queue import FifoQueue

    class Probe(Spider):
        name = "probe"

        def parse_article(self, response: Any) -> None:
            pass

    spider = Probe()
    prefix = f"marsad-bench-{uuid.uuid4().hex[:10]}"
    request = Request(
        "http://127.0.0.1:1/news/2026/12/01/a-story-about-something.html",
        callback=spider.parse_article,
        meta={"listed_at": None, "requested_url": "http://127.0.0.1:1/news/a"},
        dont_filter=True,
    )
    from crawler.cluster.connection import Keys
    from crawler.cluster.leases import SourceLeases

    figures: dict[str, dict[int, float]] = {"push+pop": {}, "lease take+release": {}}
    for n in clients:
        conns = [redis.Redis.from_url(REDIS_URL) for _ in range(n)]
        queues = [FifoQueue(c, spider, f"{prefix}:queue:{i}") for i, c in enumerate(conns)]

        def push_pop(i: int, queues: list[Any] = queues) -> int:
            queues[i].push(request)
            queues[i].pop()
            return 2

        figures["push+pop"][n] = rate(push_pop, n)
        leases = [
            SourceLeases(
                redis.Redis.from_url(REDIS_URL, decode_responses=True),
                Keys(prefix),
                f"node{i}",
                timedelta(seconds=30),
            )
            for i in range(n)
        ]

        def take_release(i: int, leases: list[SourceLeases] = leases) -> int:
            source = f"s{i}"
            leases[i].take(source, timedelta(milliseconds=1))
            leases[i].release(source)
            return 1

        figures["lease take+release"][n] = rate(take_release, n)
        for c in conns:
            c.close()
    _forget_prefix(prefix)
    return figures


def postgres_alone(clients: Sequence[int]) -> dict[str, dict[int, float]]:
    from alerts.outbox import Dispatcher
    from benchmarks.sitegen import generate_specs
    from crawler.analysis.analyzer import Analyzer
    from crawler.config import parse_config
    from crawler.storage.db import open_database
    from crawler.storage.dedup import fingerprint
    from crawler.storage.outbox import queue
    from crawler.storage.store import ArticleRecord, Store
    from crawler.vocab import AlertKind

    analyzer = Analyzer()
    specs = [s for s in generate_specs(3000, 7, ["a", "b", "c"]) if s.expected.relevant]
    prepared = []
    for spec in specs:
        body = "\n".join(spec.paragraphs)
        analysis = analyzer.analyze(spec.title, body)
        prepared.append((spec, body, analysis, fingerprint(body)))
    figures: dict[str, dict[int, float]] = {"store_article": {}, "outbox claim": {}}
    for n in clients:
        with pg_schema_url() as db_url:
            dbs = [open_database(db_url) for _ in range(n)]
            stores = [Store(db) for db in dbs]
            cursor = iter(range(10**9))
            lock = threading.Lock()

            def store_one(
                i: int,
                stores: list[Store] = stores,
                lock: threading.Lock = lock,
                cursor: Iterator[int] = cursor,
            ) -> int:
                with lock:
                    k = next(cursor)
                spec, body, analysis, fp = prepared[k % len(prepared)]
                record = ArticleRecord(
                    source=spec.outlet,
                    url=f"http://127.0.0.1/{k}/{spec.slug}",
                    title=spec.title,
                    text=body,
                    fetched_at=spec.published,
                    published_at=spec.published,
                    published_precision="second",
                    terms=analysis.terms_json(),
                    topics=analysis.topics,
                    countries=analysis.countries,
                    evidence=analysis.evidence,
                )
                stores[i].store_article(record, fp)
                return 1

            figures["store_article"][n] = rate(store_one, n)
            config = parse_config(f'[database]\nurl = "{db_url}"\n', "bench")
            with dbs[0].write() as session:
                for k in range(20000):
                    queue(session, key=f"bench:{k}", kind=AlertKind.TEST, channels=["log"])
            dispatchers = [Dispatcher(db, config, {}) for db in dbs]

            def claim(i: int, dispatchers: list[Dispatcher] = dispatchers) -> int:
                return len(dispatchers[i].claim(limit=1))

            figures["outbox claim"][n] = rate(claim, n)
            for db in dbs:
                db.dispose()
    return figures


# --- report ----------------------------------------------------------------------------------


def report_crawls(one: dict[str, Any], two: dict[str, Any]) -> None:
    print(f"\n{'crawl':<10} {'pages':>6} {'window s':>9} {'pages/s':>8} {'machine cpu s':>14}")
    for f in (one, two):
        print(
            f"{f['nodes']} node{'s' if f['nodes'] > 1 else '':<4} {f['pages']:>6} "
            f"{f['window']:>9.1f} {f['rate']:>8.1f} {f['cpu']:>14.1f}"
        )
        print(f"    sources by crawl process: {sorted(map(sorted, f['by_node'].values()))}")
    ratio = two["rate"] / one["rate"]
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"2 nodes / 1 node: {ratio:.2f}x (goal >= {TARGET_RATIO}: {verdict})")
    same = one["rows"] == two["rows"]
    print(
        f"stored rows identical: {same} ({len(one['rows'])} vs {len(two['rows'])} articles"
        + ("" if same else f", {len(one['rows'] ^ two['rows'])} differ")
        + ")"
    )
    print(
        f"per page, 1 node: {one['redis_commands'] / one['pages']:.1f} Redis commands, "
        f"{len(one['rows']) / one['pages']:.2f} articles stored, "
        f"{one['cpu'] / one['pages'] * 1000:.1f} ms machine CPU"
    )


def report_alone(name: str, figures: dict[str, dict[int, float]]) -> None:
    for op, by_clients in figures.items():
        cells = ", ".join(
            f"{n} client{'s' if n > 1 else ''}: {r:,.0f}/s" for n, r in by_clients.items()
        )
        print(f"{name} {op}: {cells}")


def project(
    per_node_rate: float,
    commands_per_page: float,
    stored_per_page: float,
    redis_ops: float,
    store_ops: float,
    claim_ops: float,
) -> None:
    print("\nprojection (each node at the 1-node rate above):")
    print(
        f"{'nodes':>6} {'pages/s':>8} {'Redis ops/s':>12} {'of capacity':>12} "
        f"{'stores/s':>9} {'of capacity':>12}"
    )
    for nodes in (1, 2, 10, 50):
        pages = nodes * per_node_rate
        redis_load = pages * commands_per_page
        stores = pages * stored_per_page
        print(
            f"{nodes:>6} {pages:>8.0f} {redis_load:>12,.0f} {redis_load / redis_ops:>11.0%} "
            f"{stores:>9,.0f} {stores / store_ops:>11.0%}"
        )
    print(
        f"Redis carries about {redis_ops / (per_node_rate * commands_per_page):.0f} nodes, "
        f"PostgreSQL's store about {store_ops / (per_node_rate * stored_per_page):.0f}; "
        f"outbox claims ({claim_ops:,.0f}/s) are far beyond any alert rate."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=DEFAULT_PAGES, help="articles to serve")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--skip-crawl", action="store_true", help="Redis and PostgreSQL only")
    args = parser.parse_args(argv)

    clients = (1, 8)
    crawls: list[dict[str, Any]] = []
    if not args.skip_crawl:
        web = build_slow_web(args.n, args.latency)
        web.start()
        print(
            f"serving {args.n} articles over {OUTLETS} outlets, {args.latency * 1000:.0f} ms per "
            f"request; PostgreSQL {PG_URL}, Redis {REDIS_URL}; {os.cpu_count()} CPUs",
            flush=True,
        )
        try:
            with tempfile.TemporaryDirectory(prefix="marsad-bench-cluster-") as tmp:
                for count in (1, 2):
                    crawls.append(crawl_with_nodes(web, count, Path(tmp)))
                    print(f"{count} node(s): {crawls[-1]['rate']:.1f} pages/s", flush=True)
        finally:
            web.stop()
        report_crawls(*crawls)
    redis_figures = redis_alone(clients)
    report_alone("Redis", redis_figures)
    pg_figures = postgres_alone((1, 4))
    report_alone("PostgreSQL", pg_figures)
    if crawls:
        one = crawls[0]
        project(
            one["rate"],
            one["redis_commands"] / one["pages"],
            len(one["rows"]) / one["pages"],
            # Per-page Redis work is mostly the frontier's queue and its length checks.
            redis_figures["push+pop"][max(clients)],
            pg_figures["store_article"][4],
            pg_figures["outbox claim"][4],
        )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
