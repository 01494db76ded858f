"""Outbound requests stay on the public internet unless the config allows private addresses:
the crawl refuses loopback, private and link-local addresses after DNS, for every request
(feeds, robots.txt, redirects, article pages), and says so as the source's error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.config import ConfigError, parse_config
from crawler.crawl.addresses import address_kind, address_settings
from crawler.storage.db import open_database
from crawler.storage.models import CrawlRun, SourceHealth
from tests.conftest import write_config
from tests.fakes.site import StaticSite, static_site
from tests.helpers import invoke_marsad

PAGE = """<html lang="ar"><head><meta charset="utf-8"><title>مقال</title></head>
<body><article><h1>مقال عن السوق</h1><p>{body}</p></article></body></html>"""


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("10.0.0.5", "private"),
        ("172.16.4.1", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:10.0.0.5", "private"),
        ("fd12:3456::1", "private"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("93.184.216.34", None),
        ("185.15.59.224", None),
        ("2a00:1450:4001:80b::200e", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(address) == kind


def test_the_guard_is_on_unless_the_config_allows_private_addresses() -> None:
    builtin = parse_config("", "x")
    assert builtin.crawl.allow_private_addresses is False
    assert not any(s.allow_private_addresses for s in builtin.sources)
    assert address_settings(builtin) == {
        "MARSAD_ALLOW_PRIVATE_ADDRESSES": False,
        "MARSAD_PRIVATE_HOSTS": [],
    }
    intranet = parse_config(
        '[[sources]]\nname = "desk"\nkind = "rss"\nurl = "http://News.Intranet:8080/feed.xml"\n'
        "allow_private_addresses = true\n"
        '[[sources]]\nname = "out"\nkind = "rss"\nurl = "https://example.org/feed.xml"\n',
        "x",
    )
    assert address_settings(intranet)["MARSAD_PRIVATE_HOSTS"] == ["news.intranet"]
    everything = parse_config("[crawl]\nallow_private_addresses = true\n", "x")
    assert address_settings(everything)["MARSAD_ALLOW_PRIVATE_ADDRESSES"] is True
    with pytest.raises(ConfigError, match="crawl.allow_private_addresses"):
        parse_config('[crawl]\nallow_private_addresses = "yes"\n', "x")


def test_the_resolver_judges_what_a_name_resolved_to(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy import resolver as scrapy_resolver
    from scrapy.utils.datatypes import LocalCache
    from twisted.internet.error import DNSLookupError
    from twisted.python.failure import Failure

    from crawler.crawl.addresses import GuardedResolver

    # Names answered from Scrapy's DNS cache, as a name resolved earlier in the crawl is.
    cache: LocalCache[str, str] = LocalCache(10)
    cache.update({"news.example": "93.184.216.34", "desk.example": "10.0.0.5"})
    monkeypatch.setattr(scrapy_resolver, "dnscache", cache)

    def resolve(resolver: GuardedResolver, name: str) -> str | Failure:
        answers: list[str | Failure] = []
        resolver.getHostByName(name).addBoth(answers.append)
        return answers[0]

    guarded = GuardedResolver(None, 10, 5.0)  # type: ignore[arg-type]
    assert resolve(guarded, "news.example") == "93.184.216.34"
    refused = resolve(guarded, "desk.example")
    expected = "resolves to a private address 10.0.0.5 (allow_private_addresses is off)"
    # A DNSLookupError, which Twisted reads as "no address" without logging a traceback.
    assert isinstance(refused, Failure) and refused.check(DNSLookupError)
    assert expected in refused.getErrorMessage()
    assert guarded.refusals == {"desk.example": expected}
    # The cache keeps the answer; the refusal is decided on each lookup.
    assert cache["desk.example"] == "10.0.0.5"
    intranet = GuardedResolver(None, 10, 5.0, private_hosts=["desk.example"])  # type: ignore[arg-type]
    assert resolve(intranet, "desk.example") == "10.0.0.5"
    everything = GuardedResolver(None, 10, 5.0, allow_all=True)  # type: ignore[arg-type]
    assert resolve(everything, "desk.example") == "10.0.0.5"


def crawl(tmp_path: Path, sources: str) -> tuple[str, dict[str, CrawlRun], dict[str, int]]:
    """`marsad crawl` with the guard on; the runs by source, and each source's error streak."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "marsad.toml", db_url, sources, private_addresses=False)
    result = invoke_marsad("crawl", config=config)
    db = open_database(db_url)
    with db.read() as session:
        runs = {run.source: run for run in session.scalars(select(CrawlRun))}
        for run in runs.values():
            session.expunge(run)
        streaks = {h.source: h.error_streak for h in session.scalars(select(SourceHealth))}
    db.dispose()
    return result.stderr, runs, streaks


def source(name: str, url: str, *extra: str) -> str:
    return "\n".join(["[[sources]]", f'name = "{name}"', 'kind = "rss"', f'url = "{url}"', *extra])


def rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>خبر</title><link>{link}</link>"
        "<pubDate>Mon, 06 Jan 2025 08:00:00 GMT</pubDate></item>"
        for link in links
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>موقع</title>{items}</channel></rss>"
    ).encode()


def serve_feed(site: StaticSite, path: str, links: list[str]) -> str:
    return site.serve(path, "application/rss+xml; charset=utf-8", rss(links))


def test_a_loopback_or_private_source_is_refused_by_default(tmp_path: Path) -> None:
    with static_site() as site:
        feed = serve_feed(site, "/feed.xml", [])
        stderr, runs, streaks = crawl(
            tmp_path,
            source("local", feed) + "\n" + source("lan", "http://10.20.30.40/feed.xml"),
        )
        # Not even robots.txt was asked for.
        assert site.requested == [], stderr

    local, lan = runs["local"], runs["lan"]
    assert local.status == "error" and lan.status == "error", stderr
    assert local.last_error == (
        f"refused: {feed}: a loopback address (allow_private_addresses is off)"
    )
    assert lan.last_error == (
        "refused: http://10.20.30.40/feed.xml: a private address (allow_private_addresses is off)"
    )
    # Refused once, not retried, and no traceback: the source's one error.
    assert local.error_kinds == {"refused": 1} and lan.error_kinds == {"refused": 1}
    assert "Traceback" not in stderr
    # A failed run: it counts toward the source-down alert like any other failure.
    assert streaks == {"local": 1, "lan": 1}


def test_a_redirect_or_a_link_to_a_non_public_address_is_refused(tmp_path: Path) -> None:
    """An intranet source may be private; the hosts its feed sends the crawl to may not."""
    with static_site() as site:
        port = site.base_url.rsplit(":", 1)[1]
        allowed = f"http://localhost:{port}"
        page = PAGE.format(body="نص عن السوق المحلية وأسعارها هذا الأسبوع. " * 20).encode()
        site.serve("/story.html", "text/html; charset=utf-8", page)
        serve_feed(
            site,
            "/feed.xml",
            [f"{allowed}/story.html", "http://169.254.169.254/latest/meta-data/"],
        )
        # The same server under a name the config does not allow, and a cloud metadata service.
        site.redirect("/moved.xml", f"http://127.0.0.1:{port}/feed.xml")
        site.redirect("/metadata.xml", "http://169.254.169.254/latest/meta-data/")
        allow = "allow_private_addresses = true"
        stderr, runs, streaks = crawl(
            tmp_path,
            "\n".join(
                [
                    source("intranet", f"{allowed}/feed.xml", allow),
                    source("moved", f"{allowed}/moved.xml", allow),
                    source("metadata", f"{allowed}/metadata.xml", allow),
                ]
            ),
        )
        requested = list(site.requested)

    # The allowed host was fetched: its feed and its own article.
    intranet = runs["intranet"]
    assert intranet.status == "ok", stderr
    assert intranet.pages == 1 and "/story.html" in requested
    # Its link to the metadata service was not, and counts as one of its errors.
    assert intranet.error_kinds == {"refused": 1}
    assert intranet.last_error == (
        "refused: http://169.254.169.254/latest/meta-data/: a link-local address "
        "(allow_private_addresses is off)"
    )
    # Each redirect was followed only as far as the host the config allows.
    moved, metadata = runs["moved"], runs["metadata"]
    assert moved.status == "error" and metadata.status == "error", stderr
    assert moved.last_error == (
        f"refused: http://127.0.0.1:{port}/feed.xml: a loopback address "
        "(allow_private_addresses is off)"
    )
    assert metadata.last_error is not None and "a link-local address" in metadata.last_error
    assert requested.count("/feed.xml") == 1, requested
    assert streaks == {"intranet": 0, "moved": 1, "metadata": 1}


def test_with_private_addresses_allowed_the_loopback_web_is_crawled(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    with static_site() as site:
        page = PAGE.format(body="نص عن السوق المحلية وأسعارها هذا الأسبوع. " * 20).encode()
        story = site.serve("/story.html", "text/html; charset=utf-8", page)
        feed = serve_feed(site, "/feed.xml", [story])
        config = write_config(tmp_path / "marsad.toml", db_url, source("local", feed))
        result = invoke_marsad("crawl", config=config)
        assert "/story.html" in site.requested, result.stderr
    db = open_database(db_url)
    with db.read() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.pages, run.errors) == ("ok", 1, 0), result.stderr
    db.dispose()


def test_sources_check_refuses_what_a_crawl_refuses() -> None:
    from crawler.crawl.sourcecheck import check_source

    with static_site() as site:
        port = site.base_url.rsplit(":", 1)[1]
        allowed = f"http://localhost:{port}"
        feed = serve_feed(site, "/feed.xml", [f"{allowed}/story.html"])
        site.redirect("/metadata.xml", "http://169.254.169.254/latest/meta-data/")
        allow = "allow_private_addresses = true"
        config = parse_config(
            "\n".join(
                [
                    source("local", feed),
                    source("intranet", f"{allowed}/feed.xml", allow),
                    source("metadata", f"{allowed}/metadata.xml", allow),
                ]
            ),
            "x",
        )
        local, intranet, metadata = (check_source(s, config) for s in config.sources)
        requested = list(site.requested)

    assert (local.ok, local.detail) == (
        False,
        f"refused: {feed}: a loopback address (allow_private_addresses is off)",
    )
    assert (intranet.ok, intranet.entries) == (True, 1), intranet.detail
    assert (metadata.ok, metadata.detail) == (
        False,
        "refused: http://169.254.169.254/latest/meta-data/: a link-local address "
        "(allow_private_addresses is off)",
    )
    # The refused source's feed was not fetched, only the allowed host's.
    assert requested == ["/feed.xml", "/metadata.xml"]
