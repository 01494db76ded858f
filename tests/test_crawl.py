"""Crawls of the loopback fixture web through the real `marsad crawl` command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.crawl.run import expects_many_pages
from crawler.storage.db import open_database
from crawler.storage.models import CrawlRun, SeenUrl
from tests.conftest import write_config
from tests.helpers import invoke_marsad, stored_articles


def relevant_keys(web) -> set[str]:
    return {spec.key for spec in web.articles() if spec.expected.relevant}


def keys_of(web, articles: list[dict]) -> set[str]:
    keys = {web.key_for_url(a["url"]) for a in articles}
    assert None not in keys, [a["url"] for a in articles]
    return keys


# "pool": pages are examined and stored in worker processes from the first page on.
WORKER_SETTINGS = {"in-process": "workers = 0", "pool": "workers = 2\nworkers_min_pages = 0"}


@pytest.mark.parametrize("workers", sorted(WORKER_SETTINGS))
def test_crawl_stores_exactly_the_relevant_articles(
    web, db_url: str, tmp_path: Path, workers: str
) -> None:
    config = write_config(
        tmp_path / "marsad.toml",
        db_url,
        web.sources_toml(["rss"]),
        crawl=WORKER_SETTINGS[workers],
    )
    result = invoke_marsad("crawl", config=config)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "crawl writes its summary and logs to stderr only"
    assert ("in 2 worker processes" in result.stderr) == (workers == "pool"), result.stderr

    articles = stored_articles(config)
    assert keys_of(web, articles) == relevant_keys(web)

    for article in articles:
        key = web.key_for_url(article["url"])
        spec = web.spec(key)
        outlet = web.outlet(spec.outlet)
        assert article["source"] == spec.outlet
        assert article["title"] == spec.title
        assert article["url"] == outlet.url_for(spec), "canonical URL without tracking params"
        value, precision = web.expected_published(key)
        if precision == "day":
            # The page writes only a day; the feed's own timestamp comes before page text.
            value, precision = spec.published.astimezone(UTC).replace(microsecond=0), "second"
        assert article["published_at"] == value.isoformat(), key
        assert article["published_precision"] == precision
        assert {t["term"] for t in article["terms"]} >= set(spec.expected.terms)

    # The main text is stored without the page chrome that also names S-400.
    shown = invoke_marsad(
        "articles", "show", str(articles[0]["id"]), "--format", "json", config=config
    )
    assert shown.returncode == 0, shown.stderr
    spec = web.spec(web.key_for_url(articles[0]["url"]))
    import json

    stored_text = json.loads(shown.stdout)["text"]
    assert spec.paragraphs[0] in stored_text
    assert "الأكثر قراءة" not in stored_text


def test_irrelevant_page_with_s400_sidebar_is_remembered_not_stored(web, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["rss"]))
    sidebar_only = [s for s in web.articles() if not s.expected.relevant and s.sidebar_note]
    assert sidebar_only, "the fixture web has an irrelevant page whose sidebar names S-400"
    assert invoke_marsad("crawl", config=config).returncode == 0

    stored = keys_of(web, stored_articles(config))
    db = open_database(db_url)
    with db.read() as session:
        seen = dict(session.execute(select(SeenUrl.url, SeenUrl.status)).all())
    db.dispose()
    for spec in sidebar_only:
        assert spec.key not in stored
        assert seen[web.outlet(spec.outlet).url_for(spec)] == "irrelevant"


@pytest.mark.parametrize("kind", ["atom", "news-sitemap", "sitemap", "listing"])
def test_every_index_kind_finds_the_same_articles(web, kind: str, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml([kind])
    )
    result = invoke_marsad("crawl", config=config)
    assert result.returncode == 0, result.stderr
    articles = stored_articles(config)
    assert keys_of(web, articles) == relevant_keys(web)
    if kind == "listing":
        # No index date: the page's own date, which for one template is Arabic text only.
        for article in articles:
            value, precision = web.expected_published(web.key_for_url(article["url"]))
            assert (article["published_at"], article["published_precision"]) == (
                value.isoformat(),
                precision,
            )


@pytest.mark.slow
def test_bad_input_never_stops_a_crawl(web, tmp_path: Path) -> None:
    """Broken XML, empty pages, 404/500, a redirect loop, an oversized body and a timeout are
    each counted against their source, and the rest of the crawl goes on."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    broken_feed = web.outlet("nafitha").base_url + "/atom.xml"
    sources = web.sources_toml(["rss"]) + (
        f'\n[[sources]]\nname = "nafitha-atom"\nkind = "rss"\nurl = "{broken_feed}"\n'
    )
    config = write_config(tmp_path / "marsad.toml", db_url, sources)
    config.write_text(
        config.read_text().replace('timeout = "5s"', 'timeout = "2s"\nmax_page_bytes = 300000'),
        encoding="utf-8",
    )
    relevant = [s for s in web.articles("nafitha") if s.expected.relevant]
    victims = [s for o in ("sawt", "bayraq") for s in web.articles(o) if s.expected.relevant]
    kinds = ["500", "404", "redirect_loop", "oversize", "slow", "empty"]
    assert len(victims) >= len(kinds)
    broken = {}
    for spec, kind in zip(victims, kinds, strict=False):
        path = web.outlet(spec.outlet).path_for(spec)
        web.set_fault(path, kind, outlet=spec.outlet, delay=6.0, size=1_000_000)
        broken[spec.key] = kind
    web.set_fault("/atom.xml", "broken_xml", outlet="nafitha")

    result = invoke_marsad("crawl", config=config)
    assert result.returncode == 0, result.stderr

    stored = keys_of(web, stored_articles(config))
    assert {s.key for s in relevant} <= stored, "an unaffected outlet is stored in full"
    assert not (set(broken) & stored)

    db = open_database(db_url)
    with db.read() as session:
        runs = {r.source: r for r in session.scalars(select(CrawlRun))}
    db.dispose()
    kinds_seen = {**runs["sawt"].error_kinds, **runs["bayraq"].error_kinds}
    assert set(kinds_seen) >= {"http_500", "http_404", "redirect_loop", "too_large", "timeout"}
    assert runs["sawt"].status == runs["bayraq"].status == "ok"
    # The broken feed is counted against its own source; the same outlet's RSS is fine.
    assert runs["nafitha-atom"].error_kinds.get("parse_error") == 1
    assert runs["nafitha"].errors == 0


def test_every_source_failing_exits_3(web, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"])
    )
    web.set_fault("/rss.xml", "500")
    result = invoke_marsad("crawl", config=config)
    assert result.returncode == 3, result.stderr
    assert "http_500" in result.stderr


def test_unknown_source_is_one_line_and_exit_2(web, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"])
    )
    result = invoke_marsad("crawl", "--source", "nope", config=config)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "marsad: unknown source 'nope' (configured: sawt, nafitha, bayraq)"
    ]


def test_missing_config_file_and_bad_key(tmp_path: Path) -> None:
    missing = invoke_marsad("articles", "list", config=tmp_path / "absent.toml")
    assert missing.returncode == 2
    assert "absent.toml does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text('[crawl]\ntimeout = "soon"\n', encoding="utf-8")
    result = invoke_marsad("crawl", config=bad)
    assert result.returncode == 2
    assert "crawl.timeout" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path / "marsad.toml", "postgresql://postgres@127.0.0.1:1/none", "")
    result = invoke_marsad("articles", "list", config=config)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("marsad: cannot open database"), lines


def test_export_and_list_formats_agree(web, tmp_path: Path) -> None:
    import csv
    import io
    import json

    config = write_config(
        tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"])
    )
    assert invoke_marsad("crawl", config=config).returncode == 0
    articles = stored_articles(config)

    jsonl = invoke_marsad("export", "--format", "jsonl", config=config)
    exported = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [a["id"] for a in exported] == [a["id"] for a in articles]
    assert all(a["text"] for a in exported)

    for command in (["export", "--format", "csv"], ["articles", "list", "--format", "csv"]):
        result = invoke_marsad(*command, config=config)
        # A byte-order mark first, so that a spreadsheet reads the Arabic as UTF-8.
        assert result.stdout.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
        assert [int(r["id"]) for r in rows] == [a["id"] for a in articles]
        assert rows[0]["title"] == articles[0]["title"]
        assert rows[0]["topics"] == ";".join(articles[0]["topics"])

    originals = stored_articles(config, "--originals")
    assert originals == [a for a in articles if a["duplicate_of"] is None]
    sawt = stored_articles(config, "--source", "sawt", "--limit", "2")
    assert len(sawt) == 2 and {a["source"] for a in sawt} == {"sawt"}
    turkey = stored_articles(config, "--country", "Turkey", "--topic", "contract")
    assert turkey and all("Turkey" in a["countries"] for a in turkey)
    assert stored_articles(config, "--since", "2999-01-01") == []


def test_a_crawl_after_a_big_crawl_expects_many_pages(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")

    def last_runs(*runs: tuple[str, int]) -> None:
        with db.write() as session:
            session.add_all(CrawlRun(source=source, pages=pages) for source, pages in runs)

    try:
        assert not expects_many_pages(db, ["sawt", "nafitha"], 40), "never crawled: no guess"
        last_runs(("sawt", 300), ("nafitha", 12))
        last_runs(("sawt", 3))
        assert not expects_many_pages(db, ["sawt", "nafitha"], 40), "the latest run counts"
        last_runs(("nafitha", 45))
        assert expects_many_pages(db, ["sawt", "nafitha"], 40)
        assert not expects_many_pages(db, ["sawt"], 40)
        assert expects_many_pages(db, ["nafitha", "bayraq"], 40)
    finally:
        db.dispose()


def test_a_backlog_is_fetched_oldest_first() -> None:
    """Article requests go to Scrapy's scheduler queue (first in, first out, as settings.py
    sets it) in listed order, undated ones last, so a story's first report is stored before
    the copies of it."""
    from scrapy import Request, Spider
    from scrapy.pqueues import ScrapyPriorityQueue
    from scrapy.utils.misc import load_object
    from scrapy.utils.test import get_crawler

    import settings
    from spiders.base import oldest_first

    base = datetime(2021, 9, 14, 8, 0, tzinfo=UTC)
    listed = {
        "http://a.test/agency-copy": base + timedelta(hours=3),
        "http://a.test/undated": None,
        "http://a.test/first-report": base,
        "http://a.test/follow-up": base + timedelta(days=1),
        "http://a.test/naive-date": datetime(2021, 9, 14, 9, 30),
    }
    memory_queue = load_object(settings.SCHEDULER_MEMORY_QUEUE)
    queue = ScrapyPriorityQueue.from_crawler(get_crawler(Spider), memory_queue, "")
    for url in oldest_first(listed, listed):
        queue.push(Request(url))
    order = [queue.pop().url for _ in listed]  # type: ignore[union-attr]
    assert order == [
        "http://a.test/first-report",
        "http://a.test/naive-date",
        "http://a.test/agency-copy",
        "http://a.test/follow-up",
        "http://a.test/undated",
    ]
