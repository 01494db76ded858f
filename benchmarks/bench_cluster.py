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

    python -m benchmarks.bench_cluster                    # 5,000 pages, 50 ms, 1 and 2 nodes twice
    python -m benchmarks.bench_cluster --latency 0.5      # slow sites: nodes wait, not compute
    python -m benchmarks.bench_cluster --skip-crawl       # Redis and PostgreSQL alone
    python -m benchmarks.bench_cluster --cores-per-node 1 --unpinned-rounds 1
                                     # a core per node, as on machines of their own; and unpinned
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
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
from benchmarks.proc_cpu import TreeCpu, cpu_of, read_stat  # noqa: E402

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
        # The generated web is on loopback, which a crawl refuses unless told.
        "allow_private_addresses = true",
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


def node_cores(count: int, cores_per_node: int) -> list[list[int] | None]:
    """The cores each of `count` nodes is pinned to, node i on the i-th `cores_per_node` of the
    cores this process may use; no pinning (None each) when `cores_per_node` is 0."""
    if not cores_per_node:
        return [None] * count
    usable = sorted(os.sched_getaffinity(0))
    if count * cores_per_node > len(usable):
        raise SystemExit(
            f"{count} nodes x {cores_per_node} core(s) need more than the {len(usable)} cores here"
        )
    return [usable[i * cores_per_node : (i + 1) * cores_per_node] for i in range(count)]


def start_node(config: Path, log: Any, cores: list[int] | None) -> subprocess.Popen[bytes]:
    """`marsad run` in a session of its own; pinned, through taskset, before the interpreter
    starts, so its crawl children and their page workers inherit the cores (PostgreSQL, Redis
    and the served web stay unpinned, as services a node's machine does not hold)."""
    command = [sys.executable, "-m", "crawler.cli", "--config", str(config), "run"]
    if cores is not None:
        command = ["taskset", "--cpu-list", ",".join(map(str, cores)), *command]
    return subprocess.Popen(
        command, cwd=ROOT, stderr=log, stdout=subprocess.DEVNULL, start_new_session=True
    )


def service_cpu() -> dict[str, float]:
    """CPU seconds so far of PostgreSQL (every backend, through the postmaster's reaped
    children), Redis and this process (the served web's threads, and the polling of the
    database and /proc beside them)."""
    own = read_stat(os.getpid())
    return {
        "postgres": cpu_of(lambda p: p.comm == "postgres"),
        "redis": cpu_of(lambda p: p.comm == "redis-server"),
        "web": own.own if own else 0.0,
    }


def crawl_with_nodes(
    web: Any, count: int, workdir: Path, cores_per_node: int = 0
) -> dict[str, Any]:
    """Crawl the whole web with `count` nodes on a fresh schema and prefix; their figures."""
    prefix = f"marsad-bench-{uuid.uuid4().hex[:10]}"
    load_before = os.getloadavg()[0]
    with pg_schema_url() as db_url:
        prepare_database(db_url)
        configs = [
            write_node_config(workdir / f"{prefix}-n{i}.toml", db_url, web, prefix, f"n{i}")
            for i in range(count)
        ]
        start_index = len(web.requests)
        commands_before, cpu_before = redis_commands(), _machine_cpu()
        services_before = service_cpu()
        logs = [(workdir / f"{c.stem}.log").open("w", encoding="utf-8") for c in configs]
        cores = node_cores(count, cores_per_node)
        procs = [
            start_node(c, log, pinned) for c, log, pinned in zip(configs, logs, cores, strict=True)
        ]
        nodes_cpu = TreeCpu({p.pid: i for i, p in enumerate(procs)})
        loads = []
        try:
            while finished_runs(db_url) < len(web.outlets):
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"a node exited early; see {workdir}")
                nodes_cpu.sample()
                loads.append(os.getloadavg()[0])
                time.sleep(0.5)
            nodes_cpu.sample()
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
        services_after = service_cpu()
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
        "cores_per_node": cores_per_node,
        "pages": len(pages),
        "window": window,
        "rate": len(pages) / window,
        "cpu": cpu,
        "node_cpu": nodes_cpu.by_node(),
        "service_cpu": {k: services_after[k] - v for k, v in services_before.items()},
        "load": (load_before, max(loads, default=load_before)),
        "redis_commands": commands,
        "rows": rows,
        "by_node": by_node,
    }


def stored_rows(db_url: str) -> dict[str, tuple[Any, ...]]:
    """Every stored article by URL: source, title, content hash, its original's URL, topics and
    countries (ids, which differ run to run, left out)."""
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
    return {r[0]: (*r[1:5], tuple(r[5] or ()), tuple(r[6] or ())) for r in result}


FIELDS = ("source", "title", "content_hash", "original", "topics", "countries")


def stories(rows: dict[str, tuple[Any, ...]]) -> set[frozenset[str]]:
    """The articles grouped by story: an original with its copies."""
    groups: dict[str, set[str]] = {}
    for url, row in rows.items():
        groups.setdefault(row[3] or url, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def compare_rows(one: dict[str, tuple[Any, ...]], two: dict[str, tuple[Any, ...]]) -> None:
    same_urls = one.keys() == two.keys()
    print(f"stored URLs identical: {same_urls} ({len(one)} vs {len(two)} articles)")
    both = one.keys() & two.keys()
    for i, name in enumerate(FIELDS):
        differ = sum(one[u][i] != two[u][i] for u in both)
        print(f"    {name:<13} differs on {differ} of {len(both)}")
    a, b = stories(one), stories(two)
    print(f"stories identical: {a == b} ({len(a)} vs {len(b)}; {len(a ^ b)} groupings differ)")


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


def redis_server_capacity() -> dict[str, float]:
    """The Redis server's own rate for the frontier's queue operations, from `redis-benchmark`
    (a C client, 50 connections): what one Python process cannot show. Runs on a database of
    its own (15) and deletes its one key after."""
    import redis

    try:
        out = subprocess.run(
            [
                "redis-benchmark",
                "-q",
                "-n",
                "200000",
                "-c",
                "50",
                "--dbnum",
                "15",
                "-t",
                "lpush,rpop",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    figures = {}
    for line in out.replace("\r", "\n").splitlines():
        name, _, rest = line.partition(":")
        if "requests per second" in rest:
            figures[name.strip()] = float(rest.split()[0])
    client = redis.Redis.from_url(REDIS_URL, db=15)
    client.delete("mylist")
    client.close()
    return figures


def _prepared_records(seed: int) -> list[tuple[Any, ...]]:
    from benchmarks.sitegen import generate_specs
    from crawler.analysis.analyzer import Analyzer
    from crawler.storage.dedup import fingerprint

    analyzer = Analyzer()
    out = []
    for spec in generate_specs(600, seed, ["a", "b", "c"]):
        if spec.expected.relevant:
            body = "\n".join(spec.paragraphs)
            out.append((spec, body, analyzer.analyze(spec.title, body), fingerprint(body)))
    return out


def _store_worker(db_url: str, worker: int, start_at: float, seconds: float) -> float:
    """Stores prepared articles (their analysis done beforehand) from `start_at` for `seconds`;
    returns articles stored per second."""
    from crawler.storage.db import open_database
    from crawler.storage.store import ArticleRecord, Store

    prepared = _prepared_records(worker + 7)
    db = open_database(db_url, migrate=False)
    store = Store(db)
    time.sleep(max(0.0, start_at - time.time()))
    done, k = 0, 0
    while time.time() < start_at + seconds:
        spec, body, analysis, fp = prepared[k % len(prepared)]
        record = ArticleRecord(
            source=spec.outlet,
            url=f"http://127.0.0.1/{worker}/{k}/{spec.slug}",
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
        store.store_article(record, fp)
        done, k = done + 1, k + 1
    elapsed = time.time() - start_at
    db.dispose()
    return done / elapsed


def _claim_worker(db_url: str, worker: int, start_at: float, seconds: float) -> float:
    """Claims outbox rows one at a time from `start_at` for `seconds`; returns claims per
    second."""
    from alerts.outbox import Dispatcher
    from crawler.config import parse_config
    from crawler.storage.db import open_database

    db = open_database(db_url, migrate=False)
    dispatcher = Dispatcher(db, parse_config(f'[database]\nurl = "{db_url}"\n', "bench"), {})
    time.sleep(max(0.0, start_at - time.time()))
    done = 0
    while time.time() < start_at + seconds:
        done += len(dispatcher.claim(limit=1))
    elapsed = time.time() - start_at
    db.dispose()
    return done / elapsed


def postgres_alone(clients: Sequence[int], seconds: float = 5.0) -> dict[str, dict[int, float]]:
    """The store's inserts and the outbox's claims, from `clients` processes at once (threads
    would measure Python's lock, not PostgreSQL)."""
    from concurrent.futures import ProcessPoolExecutor

    from crawler.storage.db import open_database
    from crawler.storage.outbox import queue
    from crawler.vocab import AlertKind

    figures: dict[str, dict[int, float]] = {"store_article": {}, "outbox claim": {}}
    for n in clients:
        with pg_schema_url() as db_url, ProcessPoolExecutor(n) as pool:
            db = open_database(db_url)
            with db.write() as session:
                for k in range(10000):
                    queue(session, key=f"bench:{k}", kind=AlertKind.TEST, channels=["log"])
            db.dispose()
            for name, work, lead in (
                ("store_article", _store_worker, 15.0),
                ("outbox claim", _claim_worker, 5.0),
            ):
                start_at = time.time() + lead  # after every worker has prepared
                runs = [pool.submit(work, db_url, i, start_at, seconds) for i in range(n)]
                figures[name][n] = sum(r.result() for r in runs)
    return figures


# --- report ----------------------------------------------------------------------------------


def mode(crawl: dict[str, Any]) -> str:
    nodes = f"{crawl['nodes']} node{'s' if crawl['nodes'] > 1 else ''}"
    cores = crawl["cores_per_node"]
    return f"{nodes}, {f'{cores} core(s) each' if cores else 'unpinned'}"


def report_crawls(crawls: list[dict[str, Any]]) -> None:
    """Each crawl with where its CPU went, the median rate by mode, and every crawl's stored
    rows against the first one's (two 1-node crawls differ too where storing depends on arrival
    order)."""
    print(
        f"\n{'crawl':<26} {'pages':>6} {'window s':>9} {'pages/s':>8} {'load':>9} "
        f"{'node cpu s':>14} {'ms/page':>8} {'pg s':>6} {'redis s':>8} {'web s':>6} "
        f"{'machine s':>10}"
    )
    for f in crawls:
        node_cpu = f["node_cpu"]
        services = f["service_cpu"]
        print(
            f"{mode(f):<26} {f['pages']:>6} {f['window']:>9.1f} {f['rate']:>8.1f} "
            f"{f['load'][0]:>4.1f}-{f['load'][1]:<4.1f} "
            f"{' + '.join(f'{v:.1f}' for v in node_cpu.values()):>14} "
            f"{sum(node_cpu.values()) / f['pages'] * 1000:>8.1f} {services['postgres']:>6.1f} "
            f"{services['redis']:>8.1f} {services['web']:>6.1f} {f['cpu']:>10.1f}"
        )
        print(f"    sources by crawl process: {sorted(map(sorted, f['by_node'].values()))}")
    for cores in dict.fromkeys(f["cores_per_node"] for f in crawls):
        same = [f for f in crawls if f["cores_per_node"] == cores]
        medians = {
            n: statistics.median(f["rate"] for f in same if f["nodes"] == n)
            for n in sorted({f["nodes"] for f in same})
        }
        label = f"{cores} core(s) per node" if cores else "unpinned"
        print(
            f"{label}: median pages/s "
            + ", ".join(f"{n} node(s) {r:.1f}" for n, r in medians.items())
        )
        if 1 in medians and 2 in medians:
            ratio = medians[2] / medians[1]
            verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
            print(f"{label}: 2 nodes / 1 node: {ratio:.2f}x (goal >= {TARGET_RATIO}: {verdict})")
    first = crawls[0]
    for i, f in enumerate(crawls[1:], 2):
        print(f"crawl {i} ({mode(f)}) against crawl 1 ({mode(first)}):")
        print(f"  stored rows identical: {first['rows'] == f['rows']}")
        compare_rows(first["rows"], f["rows"])
    print(
        f"per page, crawl 1: {first['redis_commands'] / first['pages']:.1f} Redis commands, "
        f"{len(first['rows']) / first['pages']:.2f} articles stored, "
        f"{first['cpu'] / first['pages'] * 1000:.1f} ms machine CPU"
    )


def schedule(
    counts: Sequence[int], rounds: int, cores: int, unpinned_rounds: int
) -> list[tuple[int, int]]:
    """(node count, cores per node) of each crawl: the node counts take turns, and the pinned
    rounds take turns with the unpinned ones, so that the machine's drift falls on all."""
    out: list[tuple[int, int]] = []
    for r in range(max(rounds, unpinned_rounds if cores else 0)):
        if r < rounds:
            out += [(n, cores) for n in counts]
        if cores and r < unpinned_rounds:
            out += [(n, 0) for n in counts]
    return out


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
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="times the node counts take turns (the machine drifts)",
    )
    parser.add_argument("--skip-alone", action="store_true", help="the crawls only")
    parser.add_argument(
        "--nodes",
        type=int,
        action="append",
        help="node counts to compare (default: 1 and 2; --nodes 1 --nodes 1 shows run-to-run noise)",
    )
    parser.add_argument(
        "--cores-per-node",
        type=int,
        default=0,
        help="pin each node's processes to cores of its own, as if on a machine of its own "
        "(node i on the i-th N cores; 0: unpinned)",
    )
    parser.add_argument(
        "--unpinned-rounds",
        type=int,
        default=0,
        help="with --cores-per-node, also this many unpinned rounds, taking turns with the pinned",
    )
    args = parser.parse_args(argv)

    clients = (1, 4)
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
                for count, cores in schedule(
                    args.nodes or [1, 2], args.rounds, args.cores_per_node, args.unpinned_rounds
                ):
                    crawls.append(crawl_with_nodes(web, count, Path(tmp), cores))
                    print(f"{mode(crawls[-1])}: {crawls[-1]['rate']:.1f} pages/s", flush=True)
        finally:
            web.stop()
        report_crawls(crawls)
    if args.skip_alone:
        return 0
    redis_figures = redis_alone(clients)
    report_alone("Redis (Python client)", redis_figures)
    server = redis_server_capacity()
    print(
        "Redis server (redis-benchmark, 50 connections): "
        + ", ".join(f"{op} {r:,.0f}/s" for op, r in server.items())
    )
    pg_figures = postgres_alone((1, 2, 4))
    report_alone("PostgreSQL", pg_figures)
    if crawls:
        one = crawls[0]
        # The 1-node rate for each node: the median of the first mode's 1-node crawls.
        ones = [
            f for f in crawls if f["nodes"] == 1 and f["cores_per_node"] == one["cores_per_node"]
        ]
        one = {**one, "rate": statistics.median(f["rate"] for f in ones)}
        project(
            one["rate"],
            one["redis_commands"] / one["pages"],
            len(one["rows"]) / one["pages"],
            # Per-page Redis work is the frontier's queue and its length checks: list commands.
            min(server.values()) if server else max(redis_figures["push+pop"].values()),
            max(pg_figures["store_article"].values()),
            max(pg_figures["outbox claim"].values()),
        )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
