"""robots.txt: its cache row survives two crawls writing it at once, and a host whose robots.txt
cannot be read is skipped for the crawl rather than fetched without rules."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.crawl.middlewares import CachedRobotsTxtMiddleware
from crawler.storage.db import Database, open_database
from crawler.storage.models import CrawlRun, RobotsCache
from tests.conftest import write_config
from tests.fakes.site import static_site
from tests.helpers import invoke_marsad


def test_two_crawls_caching_one_sites_robots_txt_at_once_keep_one_row(
    database: Database,
) -> None:
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    # get_crawler deep-copies its settings; the database is shared, as in a crawl.
    crawler.settings = Settings({"ROBOTSTXT_OBEY": True})
    crawler.settings.set("MARSAD_RESOURCES", SimpleNamespace(database=database))
    rounds = 25
    sites = [f"http://mawqi{i}.test" for i in range(rounds)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def cache(body: bytes) -> None:
        middleware = CachedRobotsTxtMiddleware(crawler)
        try:
            for site in sites:
                response = Response(f"{site}/robots.txt", status=200, body=body)
                barrier.wait(timeout=10)
                middleware._store(site, response)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=cache, args=(body,))
        for body in (b"User-agent: *\nDisallow: /a\n", b"User-agent: *\nDisallow: /b\n")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with database.read() as session:
        rows = session.scalars(select(RobotsCache)).all()
    assert sorted(row.site for row in rows) == sorted(sites)
    assert {row.body for row in rows} <= {
        b"User-agent: *\nDisallow: /a\n",
        b"User-agent: *\nDisallow: /b\n",
    }


def test_a_host_whose_robots_txt_fails_is_not_fetched_from(tmp_path: Path) -> None:
    page = '<html lang="ar"><body><article><h1>خبر</h1><p>نص قصير.</p></article></body></html>'
    with static_site() as site:
        site.serve("/robots.txt", "text/plain", b"", status=503)
        site.serve("/story.html", "text/html; charset=utf-8", page.encode())
        feed_url = site.serve(
            "/feed.xml",
            "application/rss+xml",
            (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>موقع</title><item><title>خبر</title><link>{site.base_url}/story.html"
                "</link></item></channel></rss>"
            ).encode(),
        )
        db_url = f"sqlite:///{tmp_path / 'm.db'}"
        source = f'[[sources]]\nname = "guarded"\nkind = "rss"\nurl = "{feed_url}"\n'
        config = write_config(tmp_path / "marsad.toml", db_url, source)
        result = invoke_marsad("crawl", config=config)
    assert set(site.requested) == {"/robots.txt"}  # retried, then nothing else
    host = site.base_url.removeprefix("http://")
    assert result.stderr.count(f"robots.txt of {host} unreadable (HTTP 503)") == 1, result.stderr
    db = open_database(db_url)
    with db.read() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.status == "error"
        assert session.scalars(select(RobotsCache)).all() == []
    db.dispose()
