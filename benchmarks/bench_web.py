"""How long the review page takes to render its charts over N stored articles (default 100k).

    python -m benchmarks.bench_web [--articles 100000] [--requests 20]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--only sqlite|postgres]

Fills a fresh database (through the real migrations) with generated articles spread over about
two years, from the search benchmark's phrase bank, bulk inserted with SQLAlchemy core: about a
third of them start a development, the rest join a recent one as a follow-up or as a copy of its
first report. Then times ``GET /charts`` through the ASGI app (Starlette's test client, no
network): p50 and p95 over ``--requests`` requests after one warm-up, unfiltered and with
filters, and each of the three aggregate queries alone. PostgreSQL runs in a schema of its own,
dropped afterwards, when a URL is given (``--pg-url`` or ``$MARSAD_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from benchmarks.bench_crawl import pg_schema_url
from benchmarks.bench_search import generate, percentile
from crawler.review.charts import developments_by_country, developments_by_topic, reports_by_outlet
from crawler.review.queries import ArticleFilter
from crawler.storage.db import Database, open_database
from crawler.storage.models import Article, Development

# Share of articles that start a development; of the rest, the share that are copies.
NEW_DEVELOPMENT = 0.35
COPY = 0.5
# A report joins one of the most recent developments.
OPEN_DEVELOPMENTS = 40
FILTERED = [{"country": "India"}, {"topic": "sanction"}, {"source": "outlet7"}]


def rows(n: int, seed: int = 17) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(developments, articles), with ids, in the order they can be inserted."""
    rng = random.Random(seed)
    articles = sorted(generate(n), key=lambda a: a["published_at"])
    developments: list[dict[str, Any]] = []
    recent: list[dict[str, Any]] = []
    for article_id, article in enumerate(articles, start=1):
        article["id"] = article_id
        if not recent or rng.random() < NEW_DEVELOPMENT:
            dev = {
                "id": len(developments) + 1,
                "topic": article["topics"][0],
                "topics": article["topics"],
                "countries": article["countries"],
                "evidence": article["title"],
                "first_article_id": article_id,
                "first_published_at": article["published_at"],
                "last_report_at": article["published_at"],
                "report_count": 1,
                "created_at": article["fetched_at"],
            }
            developments.append(dev)
            recent = [*recent[-(OPEN_DEVELOPMENTS - 1) :], dev]
            article.update(development_id=dev["id"], duplicate_of=None)
            continue
        dev = rng.choice(recent)
        dev["report_count"] += 1
        dev["last_report_at"] = article["published_at"]
        article.update(
            development_id=dev["id"],
            topics=dev["topics"],
            countries=dev["countries"],
            duplicate_of=dev["first_article_id"] if rng.random() < COPY else None,
        )
        if article["duplicate_of"] is not None:
            # A copy's text is its original's; only originals are unique by hash.
            article["content_hash"] = f"copy-{article_id:058x}"
    return developments, articles


def fill(db: Database, n: int, batch: int = 2000) -> tuple[float, int]:
    began = time.perf_counter()
    developments, articles = rows(n)
    with db.engine.begin() as conn:
        for i in range(0, len(developments), batch):
            conn.execute(insert(Development), developments[i : i + batch])
        for i in range(0, len(articles), batch):
            conn.execute(insert(Article), articles[i : i + batch])
        if db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
    if not db.is_sqlite:
        # What autovacuum does to a table after a bulk load: statistics, and the visibility map
        # that lets PostgreSQL answer from an index alone.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE articles")
            conn.exec_driver_sql("VACUUM ANALYZE developments")
    if db.is_sqlite:
        # Fold the bulk load's write-ahead log into the database, as a running install's
        # checkpoints do: reads through a log of half a gigabyte are several times slower.
        path = make_url(db.url).database
        assert path
        with contextlib.closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - began, len(developments)


def timed(call: Callable[[], Any], rounds: int) -> list[float]:
    call()  # warm-up: page cache, compiled statements
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(label: str, values: list[float]) -> str:
    return (
        f"  {label:<34} p50 {percentile(values, 50):7.1f} ms   "
        f"p95 {percentile(values, 95):7.1f} ms   ({len(values)} runs)"
    )


def measure(name: str, db: Database, n: int, rounds: int) -> None:
    load, devs = fill(db, n)
    print(f"\n{name}: {n} articles, {devs} developments, loaded in {load:.1f} s")
    # Read as `marsad web` does: through a read-only connection of its own.
    reader = open_database(db.url, read_only=True)
    try:
        _time_page(reader, rounds)
    finally:
        reader.dispose()


def _time_page(db: Database, rounds: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from crawler.review.web.app import create_app

    with TestClient(create_app(db)) as client:

        def get(params: dict[str, str]) -> Callable[[], Any]:
            def call() -> None:
                resp = client.get("/charts", params=params)
                assert resp.status_code == 200 and "<svg" in resp.text, resp.text[:300]

            return call

        print(line("GET /charts", timed(get({}), rounds)))
        for params in FILTERED:
            label = "GET /charts?" + "&".join(f"{k}={v}" for k, v in params.items())
            print(line(label, timed(get(params), max(5, rounds // 2))))
    queries: list[tuple[str, Callable[..., Any]]] = [
        ("query: developments by topic", developments_by_topic),
        ("query: developments by country", developments_by_country),
        ("query: reports by outlet", reports_by_outlet),
    ]
    with db.read() as session:
        for label, query in queries:
            print(line(label, timed(lambda q=query: q(session, ArticleFilter()), rounds)))


def run_sqlite(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            measure("SQLite", db, n, rounds)
        finally:
            db.dispose()


def run_postgres(url: str, n: int, rounds: int) -> None:
    with pg_schema_url(url) as schema_url:
        db = open_database(schema_url)
        try:
            measure("PostgreSQL", db, n, rounds)
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per view")
    parser.add_argument("--pg-url", default=os.environ.get("MARSAD_TEST_DATABASE_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args(argv)
    print(f"web benchmark: {args.articles} articles, {args.requests} timed requests of /charts")
    if args.only != "postgres":
        run_sqlite(args.articles, args.requests)
    if args.only != "sqlite":
        if args.pg_url:
            run_postgres(args.pg_url, args.articles, args.requests)
        else:
            print("\nPostgreSQL: skipped (no --pg-url or $MARSAD_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
