"""`marsad backfill` on the loopback fixture web: an outlet's archive (a sitemap index of
monthly sitemaps, or listing pages linked by "older") walked back to a date, stored as a crawl
stores, never alerted, and counted in the digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.digest import queue_digest
from crawler.config import load_config
from crawler.storage.db import open_database
from crawler.storage.models import Alert, CrawlRun, Development
from tests.conftest import write_config
from tests.fixtureweb import FixtureWeb, default_outlets, starter_specs
from tests.helpers import invoke_marsad, stored_articles

NOW = datetime.now(UTC).replace(microsecond=0)
# Days before now of each archived article: one to five months back, and recent ones.
AGES = [150, 120, 96, 70, 45, 20, 4]
SINCE = (NOW - timedelta(days=100)).date()


@pytest.fixture
def archive() -> Iterator[FixtureWeb]:
    """One outlet whose archive holds the starter set's distinct relevant stories, spread
    over five months."""
    web = FixtureWeb(default_outlets()[:1])
    stories = [s for s in starter_specs(NOW) if s.expected.relevant and s.expected.dup_of is None]
    assert len(stories) >= len(AGES), "the starter set has enough distinct stories"
    for i, (spec, days) in enumerate(zip(stories, AGES, strict=False)):
        published = NOW - timedelta(days=days)
        web.publish(
            "sawt",
            replace(spec, slug=f"archived-{i}", outlet="sawt", published=published, modified=None),
        )
    web.start()
    try:
        yield web
    finally:
        web.stop()


def expected_urls(web: FixtureWeb) -> set[str]:
    since = datetime(SINCE.year, SINCE.month, SINCE.day, tzinfo=UTC)
    return {web.url(s) for s in web.articles("sawt") if s.published >= since}


def config_for(tmp_path: Path, db_url: str, web: FixtureWeb) -> Path:
    base = web["sawt"].base_url
    sources = f"""[[sources]]
name = "sawt-archive"
kind = "sitemap"
url = "{base}/archive/sitemap-index.xml"

[[sources]]
name = "sawt-pages"
kind = "listing"
url = "{base}/archive/page-1.html"
link_selector = "css:div.news-list a"
next_selector = "css:div.pager a.next"
"""
    return write_config(tmp_path / "marsad.toml", db_url, sources)


def backfill(config: Path, source: str) -> None:
    result = invoke_marsad("backfill", "--source", source, "--since", str(SINCE), config=config)
    assert result.returncode == 0, result.stderr


def test_sitemap_backfill_stores_back_to_the_date_and_never_alerts(
    archive: FixtureWeb, db_url: str, tmp_path: Path
) -> None:
    config = config_for(tmp_path, db_url, archive)
    backfill(config, "sawt-archive")

    stored = stored_articles(config)
    assert {a["url"] for a in stored} == expected_urls(archive)
    assert 0 < len(stored) < len(AGES), "some are older than the date"
    # Monthly sitemaps last changed before the date are not even fetched.
    months = {f"{(NOW - timedelta(days=d)):%Y-%m}" for d in AGES if d > 100 + 31}
    for month in months:
        assert archive.count(path=f"/archive/sitemap-{month}.xml") == 0
    alerts = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
    assert alerts == []

    archive.clear_log()
    backfill(config, "sawt-archive")
    assert stored_articles(config) == stored, "a second backfill stores nothing new"
    article_paths = {archive["sawt"].path_for(s) for s in archive.articles("sawt")}
    assert not [r.path for r in archive.requests if r.path in article_paths], "nor fetches"

    db = open_database(db_url)
    try:
        with db.read() as session:
            runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            assert [(r.backfill, r.stored) for r in runs] == [(True, len(stored)), (True, 0)]
            assert all(d.backfilled for d in session.scalars(select(Development)))
        assert queue_digest(db, load_config(config)) == 0, "nothing listed"
        with db.read() as session:
            digest = session.scalars(select(Alert).where(Alert.kind == "digest")).one()
        assert digest.payload["items"] == []
        assert f"{len(stored)} articles backfilled" in digest.payload["note"]
    finally:
        db.dispose()


def test_listing_backfill_follows_older_pages_back_to_the_date(
    archive: FixtureWeb, db_url: str, tmp_path: Path
) -> None:
    config = config_for(tmp_path, db_url, archive)
    backfill(config, "sawt-pages")

    stored = stored_articles(config)
    assert {a["url"] for a in stored} == expected_urls(archive)
    assert archive.count(path="/archive/page-2.html") == 1, "the older page was followed"
    alerts = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
    assert alerts == []

    backfill(config, "sawt-pages")
    assert stored_articles(config) == stored


LISTING = """[[sources]]
name = "pages"
kind = "{kind}"
url = "http://127.0.0.1:9/archive"
{extra}
"""


@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        (
            "listing",
            'link_selector = "css:a"\nnext_selector = "a.next"',
            "next_selector",
        ),
        ("listing", 'link_selector = "css:a"\nnext_selector = "css:a[["', "next_selector"),
        ("rss", 'next_selector = "css:a.next"', "next_selector is only for kind = 'listing'"),
    ],
)
def test_next_selector_is_checked_like_the_other_selectors(
    kind: str, extra: str, message: str
) -> None:
    from crawler.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as caught:
        parse_config(LISTING.format(kind=kind, extra=extra), "x.toml")
    assert message in str(caught.value)
    good = parse_config(
        LISTING.format(kind="listing", extra='link_selector = "css:a"\nnext_selector = "css:a.n"'),
        "x.toml",
    )
    assert good.sources[0].next_selector == "css:a.n"
