"""Two `marsad crawl` processes crawling the same web into the same database at once store
each story once: one row per URL, one original per story, copies pointing at it.

On PostgreSQL the unique indexes and the advisory locks on LSH band keys make this hold; on
SQLite, BEGIN IMMEDIATE serializes the writers.
"""

from __future__ import annotations

import threading
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from sqlalchemy import select

from crawler.storage.db import open_database
from crawler.storage.models import Article, SeenUrl
from tests.conftest import DB_KINDS, write_config
from tests.fixtureweb import FixtureWeb
from tests.helpers import run_marsad, stored_articles
from tests.test_dedup_crawl import (
    ALGERIA_SLUGS,
    algeria_specs,
    assert_one_story,
    by_key,
    egypt_specs,
    now_minute,
)


@pytest.fixture(params=DB_KINDS)
def shared_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.mark.slow
def test_two_crawlers_at_once_store_each_story_once(
    web: FixtureWeb, shared_db_url: str, tmp_path: Path
) -> None:
    anchor = now_minute()
    web.publish_many(algeria_specs(anchor) + egypt_specs(anchor))
    # Syndicated pages answer slowly, so that the second crawler reads its feeds while the
    # first has fetched but not yet stored them.
    slow = []
    for spec in web.articles():
        if spec.expected.dup_of or spec.slug in ALGERIA_SLUGS.values():
            path = web.outlet(spec.outlet).path_for(spec)
            web.set_fault(path, "slow", outlet=spec.outlet, delay=3.0)
            slow.append((spec.outlet, path))
    configs = [
        write_config(tmp_path / f"crawler-{i}.toml", shared_db_url, web.sources_toml(["rss"]))
        for i in (1, 2)
    ]
    results: list[CompletedProcess[str] | None] = [None, None]
    start = threading.Barrier(2)

    def crawl(i: int) -> None:
        start.wait()
        results[i] = run_marsad("crawl", config=configs[i])

    threads = [threading.Thread(target=crawl, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    for result in results:
        assert result is not None and result.returncode == 0, result and result.stderr
        for bad in ("Traceback", "IntegrityError", "could not record", "deadlock"):
            assert bad not in result.stderr, result.stderr

    # The crawls overlapped: a syndicated page was fetched by both (neither had seen it when
    # it read its feed), so both stored it at about the same time.
    assert max(web.count(outlet=o, path=p) for o, p in slow) == 2
    # ...and each URL is stored once (by_key fails on a second row for one page).
    stored = by_key(web, stored_articles(configs[0]))
    relevant = {s.key for s in web.articles() if s.expected.relevant}
    assert relevant <= set(stored)
    assert_one_story(
        stored,
        "sawt/algeria-s400-contract",
        [f"{o}/{s}" for o, s in ALGERIA_SLUGS.items() if o != "sawt"],
    )
    assert_one_story(
        stored,
        "sawt/turkey-second-contract",
        ["nafitha/turkey-second-contract-copy", "bayraq/turkey-second-contract-agency"],
    )
    # Every other story has exactly one original: no text is stored twice as an original.
    db = open_database(shared_db_url)
    try:
        with db.read() as session:
            articles = list(session.scalars(select(Article)))
            seen = list(session.scalars(select(SeenUrl.url)))
    finally:
        db.dispose()
    originals = [a for a in articles if a.duplicate_of is None]
    assert len({a.content_hash for a in originals}) == len(originals)
    assert len(originals) == len(articles) - 4
    assert len(seen) == len(set(seen))
    assert {a.url for a in articles} <= set(seen)
