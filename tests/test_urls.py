"""URL canonicalization and canonical-link resolution."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from crawler.text.urls import canonicalize_url, registrable_domain, resolve_canonical

ARTICLE = "https://news.example/ar/article/2021/09/15/s400"


@pytest.mark.parametrize(
    "param",
    [
        "utm_source=twitter",
        "utm_medium=social&utm_campaign=sep",
        "fbclid=IwAR0abc",
        "gclid=Cj0KCQ",
        "mc_cid=1a2b&mc_eid=3c4d",
        "ocid=msedgntp",
        "cmpid=rss",
        "ref=homepage",
        "ref_src=twsrc%5Etfw",
        "at_medium=RSS&at_campaign=KARANGA",
        "_ga=2.1234",
        "igshid=MzRlODBiNWFlZA==",
        "yclid=987",
        "spm=a2c4g.11186623",
        "UTM_Source=Feed",
    ],
)
def test_tracking_parameters_are_dropped(param: str) -> None:
    assert canonicalize_url(f"{ARTICLE}?{param}") == ARTICLE
    assert canonicalize_url(f"{ARTICLE}?id=7&{param}") == f"{ARTICLE}?id=7"


def test_scheme_host_port_fragment_and_query_order() -> None:
    url = "HTTPS://News.Example:443/AR/Article?b=2&a=1&utm_term=x#comments"
    assert canonicalize_url(url) == "https://news.example/AR/Article?a=1&b=2"
    assert canonicalize_url("http://news.example:80/x") == "http://news.example/x"
    # A non-default port is part of the address.
    assert canonicalize_url("http://news.example:8080/x") == "http://news.example:8080/x"
    assert canonicalize_url("https://news.example") == "https://news.example/"


def test_path_case_is_kept() -> None:
    assert (
        canonicalize_url("https://a.example/News/Story-ABC") == "https://a.example/News/Story-ABC"
    )
    assert canonicalize_url("https://a.example/news/story-abc") != canonicalize_url(
        "https://a.example/News/Story-ABC"
    )


def test_arabic_path_raw_and_encoded_agree() -> None:
    raw = "https://a.example/ar/أخبار/إس-400?q=روسيا"
    lower_hex = "https://a.example/ar/%d8%a3%d8%ae%d8%a8%d8%a7%d8%b1/%d8%a5%d8%b3-400?q=%d8%b1%d9%88%d8%b3%d9%8a%d8%a7"
    upper_hex = "https://a.example/ar/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%A5%D8%B3-400?q=%D8%B1%D9%88%D8%B3%D9%8A%D8%A7"
    assert canonicalize_url(raw) == canonicalize_url(lower_hex) == canonicalize_url(upper_hex)
    assert canonicalize_url(raw) == (
        "https://a.example/ar/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%A5%D8%B3-400"
        "?q=%D8%B1%D9%88%D8%B3%D9%8A%D8%A7"
    )


def test_meaningful_parameters_are_kept() -> None:
    assert canonicalize_url("https://a.example/Article.aspx?ID=8812&Cat=3") == (
        "https://a.example/Article.aspx?Cat=3&ID=8812"
    )
    # "page" or "id" are not tracking, and a parameter merely starting with "ref" is kept.
    assert (
        canonicalize_url("https://a.example/p?page=2&refid=5")
        == "https://a.example/p?page=2&refid=5"
    )


def test_idempotent() -> None:
    url = "https://A.example:443/ar/أخبار?z=1&utm_source=x&a=%d8%a3#top"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_canonical_link_resolved_against_page() -> None:
    page = "https://news.example/amp/s400-story?utm_source=fb"
    html = '<html><head><link rel="canonical" href="/ar/s400-story?utm_medium=x#top"></head></html>'
    assert resolve_canonical(page, html) == "https://news.example/ar/s400-story"


def test_canonical_link_beats_og_url_and_rel_tokens() -> None:
    html = (
        '<html><head><meta property="og:url" content="https://news.example/og">'
        '<link rel="Canonical Shortlink" href="https://news.example/canonical"></head></html>'
    )
    assert resolve_canonical("https://news.example/page", html) == "https://news.example/canonical"


def test_og_url_when_no_canonical_link() -> None:
    html = '<html><head><meta property="og:url" content="//cdn.news.example/ar/story-9?fbclid=1"></head></html>'
    assert (
        resolve_canonical("https://news.example/x", html) == "https://cdn.news.example/ar/story-9"
    )


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="canonical" href="javascript:void(0)">',
        '<link rel="canonical" href="ftp://news.example/file">',
        '<link rel="canonical" href="">',
        # A template that points every article at the home page.
        '<link rel="canonical" href="https://news.example/">',
        "",
    ],
)
def test_falls_back_to_page_url(head: str) -> None:
    html = f"<html><head>{head}</head><body><p>نص</p></body></html>"
    page = "https://News.example/ar/story-5?utm_source=rss"
    assert resolve_canonical(page, html) == "https://news.example/ar/story-5"


def test_accepts_parsed_tree() -> None:
    tree = lxml_html.fromstring(
        '<html><head><link rel="canonical" href="story-7"></head><body></body></html>'
    )
    assert (
        resolve_canonical("https://news.example/ar/list/", tree)
        == "https://news.example/ar/list/story-7"
    )


@pytest.mark.parametrize(
    "canonical",
    [
        "https://other-outlet.example/ar/story-5",
        "http://127.0.0.2:8080/news/story-5",
        "https://news.example.evil.example/ar/story-5",
        "https://bbc.co.uk/ar/story-5",
    ],
)
def test_canonical_on_another_domain_is_ignored(canonical: str) -> None:
    html = f'<html><head><link rel="canonical" href="{canonical}"></head></html>'
    for page in ("https://news.example/ar/story-5", "http://127.0.0.1:8080/ar/story-5"):
        assert resolve_canonical(page, html) == canonicalize_url(page)
    og_only = f'<html><head><meta property="og:url" content="{canonical}"></head></html>'
    assert resolve_canonical("https://www.bbc.com/x", og_only) == "https://www.bbc.com/x"


def test_canonical_on_the_same_registrable_domain_is_kept() -> None:
    html = (
        '<html><head><link rel="canonical" href="https://www.bbc.co.uk/arabic/s400"></head></html>'
    )
    assert resolve_canonical("https://m.bbc.co.uk/a", html) == "https://www.bbc.co.uk/arabic/s400"
    # A <base href> elsewhere does not widen what the page may claim.
    based = '<html><head><base href="https://other.example/"><link rel="canonical" href="s400"></head></html>'
    assert resolve_canonical("https://news.example/a", based) == "https://news.example/a"
    same_ip = '<html><head><link rel="canonical" href="http://127.0.0.1:9/s400"></head></html>'
    assert resolve_canonical("http://127.0.0.1:8080/a", same_ip) == "http://127.0.0.1:9/s400"


def test_registrable_domain() -> None:
    assert registrable_domain("News.BBC.co.uk.") == "bbc.co.uk"
    assert registrable_domain("127.0.0.2") == "127.0.0.2"
    assert registrable_domain("[::1]") == "::1"
    assert registrable_domain("cdn.news.example") == "news.example"
