"""Feeds and pages that lie: impossible dates, HTML where a feed should be, a wrong charset.
Each is crawled from a loopback site through the real `marsad crawl`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from crawler.storage.db import open_database
from crawler.storage.models import CrawlRun, SeenUrl
from crawler.text.dates import parse_machine_date
from tests.conftest import write_config
from tests.fakes.site import ARABIC_PAGE, PAGE, StaticSite, rss, static_site
from tests.helpers import invoke_marsad


def crawl(site: StaticSite, tmp_path: Path, feed_url: str) -> tuple[str, CrawlRun, dict]:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    source = f'[[sources]]\nname = "lying"\nkind = "rss"\nurl = "{feed_url}"\ninterval = "10m"\n'
    config = write_config(tmp_path / "marsad.toml", db_url, source)
    result = invoke_marsad("crawl", config=config)
    db = open_database(db_url)
    with db.read() as session:
        run = session.scalars(select(CrawlRun)).one()
        session.expunge(run)
        seen = {row.url: row for row in session.scalars(select(SeenUrl))}
        for row in seen.values():
            session.expunge(row)
    db.dispose()
    return result.stderr, run, seen


def test_dates_past_datetime_max_are_unreadable_not_fatal() -> None:
    assert parse_machine_date("Fri, 31 Dec 9999 23:00:00 -0500") is None
    assert parse_machine_date("9999-12-31T23:30:00-02:00") is None
    # Year 9999 itself is a date; only the offset pushes it out of range.
    readable = parse_machine_date("Fri, 31 Dec 9999 12:00:00 GMT")
    assert readable is not None and readable.value.year == 9999


def test_a_feed_with_impossible_dates_keeps_its_other_items(tmp_path: Path) -> None:
    with static_site() as site:
        for name in ("overflow", "future", "normal"):
            page = PAGE.format(title="عنوان", body="نص قصير عن موضوع عادي. " * 20)
            site.serve(f"/{name}.html", "text/html; charset=utf-8", page.encode())
        feed = rss(
            site,
            [
                ("/overflow.html", "Fri, 31 Dec 9999 23:00:00 -0500"),
                ("/future.html", "Fri, 31 Dec 9999 12:00:00 GMT"),
                ("/normal.html", "Mon, 06 Jan 2025 08:00:00 GMT"),
            ],
        )
        feed_url = site.serve("/feed.xml", "application/rss+xml; charset=utf-8", feed)
        before = datetime.now(UTC)
        stderr, run, seen = crawl(site, tmp_path, feed_url)
        after = datetime.now(UTC)
        assert {"/overflow.html", "/future.html", "/normal.html"} <= set(site.requested), stderr

    assert run.status == "ok", stderr
    # The unreadable date is counted and named where an operator looks.
    assert run.error_kinds.get("bad_date") == 1, run.error_kinds
    assert run.errors == 1
    assert "9999" in (run.last_error or ""), run.last_error
    assert "bad_date" in stderr
    # A date far in the future is the fetch time instead.
    future = seen[f"{site.base_url}/future.html"].listed_at
    assert future is not None
    future = future.replace(tzinfo=future.tzinfo or UTC)
    assert before - timedelta(seconds=1) <= future <= after + timedelta(seconds=1)
    assert seen[f"{site.base_url}/overflow.html"].listed_at is None


class _Stats(dict):
    def inc_value(self, key: str, count: int = 1) -> None:
        self[key] = self.get(key, 0) + count

    def set_value(self, key: str, value: object) -> None:
        self[key] = value


def test_an_exception_in_a_callback_is_counted_against_the_source() -> None:
    from types import SimpleNamespace

    from scrapy.http import HtmlResponse, Request
    from twisted.python.failure import Failure

    from crawler.config import Source
    from spiders.base import INDEX_META
    from spiders.feed import FeedSpider

    spider = FeedSpider(source=Source(name="s", kind="rss", url="http://127.0.0.1/feed.xml"))
    stats = _Stats()
    spider.crawler = SimpleNamespace(stats=stats)
    url = "http://127.0.0.1/feed.xml"
    response = HtmlResponse(url, body=b"", request=Request(url, meta={INDEX_META: url}))
    try:
        raise OverflowError("date value out of range")
    except OverflowError:
        failure = Failure()
    spider._on_spider_error(failure, response, spider)
    assert stats["marsad/error/OverflowError"] == 1
    assert stats["marsad/index_errors"] == 1
    assert "date value out of range" in stats["marsad/last_error"]


def test_the_log_keeps_the_cause_of_a_spider_error() -> None:
    import io
    import logging

    from crawler.logs import setup_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging()
        stream = io.StringIO()
        root.handlers[0].stream = stream  # type: ignore[attr-defined]
        logger = logging.getLogger("scrapy.core.scraper")
        try:
            raise OverflowError("date value out of range")
        except OverflowError:
            logger.error(
                "Spider error processing %(request)s", {"request": "<GET x>"}, exc_info=True
            )
            logging.getLogger("scrapy.core.downloader").error("Error downloading x", exc_info=True)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    lines = stream.getvalue()
    assert "OverflowError: date value out of range" in lines
    # Routine network failures still log one line, without a traceback.
    assert lines.count("Traceback") == 1


def test_a_feed_url_that_serves_a_web_page_is_a_source_error(tmp_path: Path) -> None:
    from crawler.storage.models import SourceHealth

    page = PAGE.format(title="الصفحة غير موجودة", body="عذرا، تغير تصميم الموقع.")
    with static_site() as site:
        feed_url = site.serve("/feed.xml", "text/html; charset=utf-8", page.encode())
        db_url = f"sqlite:///{tmp_path / 'm.db'}"
        source = f'[[sources]]\nname = "redesigned"\nkind = "rss"\nurl = "{feed_url}"\n'
        config = write_config(tmp_path / "marsad.toml", db_url, source)
        result = invoke_marsad("crawl", config=config)
    assert result.returncode == 3, result.stderr  # every source failed
    assert "expected RSS/Atom, got HTML" in result.stderr
    db = open_database(db_url)
    with db.read() as session:
        run = session.scalars(select(CrawlRun)).one()
        health = session.get(SourceHealth, "redesigned")
        assert run.status == "error"
        assert run.error_kinds == {"got_html": 1}
        assert health is not None and health.error_streak == 1
        assert "expected RSS/Atom, got HTML" in (health.last_error or "")
    db.dispose()


def test_web_pages_are_told_apart_from_feeds_and_sitemaps() -> None:
    import pytest

    from spiders.feed import NotAnIndex, parse_xml

    xhtml = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>'
    )
    pages = [
        b"\xef\xbb\xbf<!-- cache -->\n<!DOCTYPE html><html><body><p>x</body></html>",
        b"  <html><head><title>500</title></head><body>error</body></html>",
        xhtml,
    ]
    for body in pages:
        with pytest.raises(NotAnIndex, match="expected a sitemap, got HTML"):
            parse_xml(body, "a sitemap")
    assert parse_xml(b'<rss version="2.0"><channel><title>t</title></channel></rss>').tag == "rss"


def test_a_windows_1256_page_sent_as_utf8_is_read_in_its_own_charset(tmp_path: Path) -> None:
    from tests.helpers import stored_articles

    title = "أنقرة توقع عقدا ثانيا لشراء منظومة إس-400 الروسية"
    paragraphs = "".join(
        f"<p>{line}</p>"
        for line in [
            "قال مسؤول في وزارة الدفاع إن أنقرة وقعت عقدا ثانيا مع موسكو لشراء منظومة إس-400.",
            "وأضاف أن الدفعة الأولى من المنظومة الجديدة ستصل خلال العام المقبل بحسب الاتفاق.",
            "ولم تعلق واشنطن بعد على العقد الذي قد يعرض أنقرة لعقوبات أمريكية جديدة.",
        ]
        * 3
    )
    page = ARABIC_PAGE.format(title=title, paragraphs=paragraphs).encode("cp1256")
    with static_site() as site:
        site.serve("/news/1.html", "text/html; charset=utf-8", page)
        feed = rss(site, [("/news/1.html", "Mon, 06 Jan 2025 08:00:00 GMT")])
        feed_url = site.serve("/feed.xml", "application/rss+xml; charset=utf-8", feed)
        stderr, run, _seen = crawl(site, tmp_path, feed_url)
    assert run.status == "ok", stderr
    articles = stored_articles(tmp_path / "marsad.toml")
    assert [a["title"] for a in articles] == [title], stderr


def test_a_utf8_page_with_a_stale_meta_charset_stays_utf8() -> None:
    from crawler.analysis.extract import decode_html

    text = ARABIC_PAGE.format(title="منظومة إس-400", paragraphs="<p>نص</p>")
    assert "منظومة إس-400" in decode_html(text.encode("utf-8"), "text/html; charset=utf-8")
    # Without an Arabic <meta> charset, bad bytes stay bad: nothing is guessed.
    latin = "<html><head><meta charset='iso-8859-1'></head><body>caf\xe9</body></html>"
    assert "\ufffd" in decode_html(latin.encode("latin-1"), "text/html; charset=utf-8")
