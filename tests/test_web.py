"""The read-only review page, over a database filled by a real crawl of the loopback fixture web.

The crawl runs once per module and database kind (it takes seconds); every test reads it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from crawler.config import Config, load_config
from crawler.review.search import find_spans
from crawler.review.status import collect_status
from crawler.storage.db import Database, normalize_url, open_database
from crawler.storage.models import Alert, Article, Development
from crawler.text.plurals import count_of
from tests.conftest import DB_KINDS, PG_URL, ROOT, _pg_schema_url, write_config
from tests.fixtureweb import INJECTION_PAYLOAD, FixtureWeb, default_web
from tests.helpers import invoke_marsad, stored_articles

with warnings.catch_warnings():
    # Starlette's TestClient nags about httpx2; the httpx it was built on works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from crawler.review.web.app import create_app  # noqa: E402


@dataclass
class Site:
    web: FixtureWeb
    db: Database
    config_path: Path
    config: Config
    articles: list[dict[str, Any]]  # `articles list --format json`, newest first

    def by_key(self, key: str) -> dict[str, Any]:
        return next(a for a in self.articles if self.web.key_for_url(a["url"]) == key)


@contextmanager
def crawled_site(kind: str, workdir: Path) -> Iterator[Site]:
    """The default fixture web (with the injection headline) crawled into a fresh database."""
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'marsad.db'}"
    else:
        assert PG_URL
        schema = f"marsad_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = _pg_schema_url(schema)
    web = default_web(include_injection=True)
    web.start()
    db = None
    try:
        config_path = write_config(workdir / "marsad.toml", url, web.sources_toml(["rss"]))
        result = invoke_marsad("crawl", config=config_path)
        assert result.returncode == 0, result.stderr
        db = open_database(url)
        yield Site(
            web, db, config_path, load_config(str(config_path)), stored_articles(config_path)
        )
    finally:
        if db is not None:
            db.dispose()
        web.stop()
        if schema:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()


@pytest.fixture(scope="module", params=DB_KINDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with crawled_site(request.param, tmp_path_factory.mktemp(f"web-{request.param}")) as s:
        yield s


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.db, site.config)) as c:
        yield c


ROW = re.compile(r'<li class="article-row" id="a(\d+)">(.*?)</li>', re.S)


def listed_ids(html: str) -> list[int]:
    return [int(m.group(1)) for m in ROW.finditer(html)]


def rows(html: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in ROW.finditer(html)}


def text_of(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment))


# --- the list --------------------------------------------------------------------------------


def test_list_shows_every_stored_article_newest_first(site: Site, client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert listed_ids(page.text) == [a["id"] for a in site.articles]
    assert len(site.articles) >= 9

    cells = rows(page.text)
    copies: dict[int, int] = {}
    for a in site.articles:
        if a["duplicate_of"]:
            copies[a["duplicate_of"]] = copies.get(a["duplicate_of"], 0) + 1
    for a in site.articles:
        cell = cells[a["id"]]
        assert (
            text_of(re.search(r'<h2 class="headline">(.*?)</h2>', cell, re.S).group(1))
            == (a["title"])
        )
        assert f'<bdi class="outlet" title="{a["source"]}">{a["source"]}</bdi>' in cell
        assert a["published_at"][:10] in cell
        for topic in a["topics"]:
            assert f'class="badge topic-{topic}"' in cell
        for country in a["countries"]:
            assert f'title="{country}"' in cell
        root = a["duplicate_of"] or a["id"]
        n = copies.get(root, 0)
        assert f'data-copies="{n}"' in cell
        assert f">{count_of(n, 'copy')}</span>" in cell


def test_the_agency_story_shows_its_two_copies(site: Site, client: TestClient) -> None:
    original = site.by_key("sawt/turkey-second-contract")
    cell = rows(client.get("/").text)[original["id"]]
    assert 'data-copies="2"' in cell and ">نسختان</span>" in cell


@pytest.mark.parametrize(
    ("param", "value", "keep"),
    [
        ("topic", "contract", lambda a: "contract" in a["topics"]),
        ("topic", "sanction", lambda a: "sanction" in a["topics"]),
        ("country", "Turkey", lambda a: "Turkey" in a["countries"]),
        ("country", "India", lambda a: "India" in a["countries"]),
        ("source", "bayraq", lambda a: a["source"] == "bayraq"),
        ("originals", "1", lambda a: a["duplicate_of"] is None),
    ],
)
def test_list_filters(site: Site, client: TestClient, param: str, value: str, keep: Any) -> None:
    expected = [a["id"] for a in site.articles if keep(a)]
    assert expected and len(expected) < len(site.articles)
    page = client.get("/", params={param: value})
    assert page.status_code == 200
    assert listed_ids(page.text) == expected
    # The chosen filter stays selected in the form.
    if param in ("topic", "country", "source"):
        assert f'<option value="{value}" selected>' in page.text


def test_date_range_filter(site: Site, client: TestClient) -> None:
    days = sorted({a["published_at"][:10] for a in site.articles})
    assert len(days) >= 3
    start, end = days[1], days[-2]
    expected = [a["id"] for a in site.articles if start <= a["published_at"][:10] <= end]
    assert 0 < len(expected) < len(site.articles)
    page = client.get("/", params={"from": start, "to": end})
    assert listed_ids(page.text) == expected
    # Filters combine.
    both = client.get("/", params={"from": start, "to": end, "source": "sawt"})
    assert listed_ids(both.text) == [
        i for i in expected if next(a for a in site.articles if a["id"] == i)["source"] == "sawt"
    ]
    # A malformed date is ignored rather than an error.
    assert client.get("/", params={"from": "yesterday"}).status_code == 200


def test_search_box_folds_spelling_and_highlights(site: Site, client: TestClient) -> None:
    found = [set(listed_ids(client.get("/", params={"q": q}).text)) for q in SPELLINGS]
    assert found[0] == {a["id"] for a in site.articles if _mentions_s400(a)}
    assert all(f == found[0] for f in found), found
    page = client.get("/", params={"q": "إس ٤٠٠"})
    assert 'value="إس ٤٠٠"' in page.text, "the query stays in the box"
    assert "<mark>إس-400</mark>" in page.text and "<mark>اس 400</mark>" in page.text

    hits = listed_ids(client.get("/", params={"q": "تركيا"}).text)
    assert {a["id"] for a in site.articles if "تركيا" in a["title"]} <= set(hits)
    with site.db.read() as session:
        for article in session.scalars(select(Article)):
            mentions = find_spans(article.title + "\n" + article.text, "تركيا")
            assert (article.id in hits) == bool(mentions), article.title
    # Search and filters combine.
    narrowed = listed_ids(client.get("/", params={"q": "تركيا", "source": "sawt"}).text)
    assert narrowed and all(
        next(a for a in site.articles if a["id"] == i)["source"] == "sawt" for i in narrowed
    )
    empty = client.get("/", params={"q": "كلمةغيرموجودةاطلاقا"})
    assert empty.status_code == 200 and listed_ids(empty.text) == []
    assert client.get("/", params={"q": "«»-"}).status_code == 200


SPELLINGS = ["اس 400", "إس-400", "إس ٤٠٠", "أس400", "«إس–400»"]


def _mentions_s400(article: dict[str, Any]) -> bool:
    return any(t["term"] == "S-400" and "400" in _digits(t["text"]) for t in article["terms"])


def _digits(text: str) -> str:
    return text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))


# --- the article page ------------------------------------------------------------------------


def test_article_page(site: Site, client: TestClient) -> None:
    original = site.by_key("sawt/turkey-second-contract")
    shown = json.loads(
        invoke_marsad(
            "articles", "show", str(original["id"]), "--format", "json", config=site.config_path
        ).stdout
    )
    page = client.get(f"/articles/{original['id']}")
    assert page.status_code == 200
    html = page.text
    assert text_of(re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)) == original["title"]
    # Watchlist terms are highlighted where articles.terms says they are.
    for term in original["terms"]:
        assert f"<mark>{term['text']}</mark>" in html
    body = re.search(r'<section class="body">(.*?)</section>', html, re.S).group(1)
    assert text_of(body).split() == shown["text"].split()
    for topic, sentence in shown["evidence"].items():
        assert f'<span class="badge topic-{topic}">' in html
        assert sentence in unescape(html)
    assert f'href="{original["url"]}"' in html
    assert "هذا هو الأصل" in html

    copies = re.search(r'<section class="copies" id="copies">(.*?)</section>', html, re.S).group(1)
    copy_rows = re.findall(r'<tr class="copy">(.*?)</tr>', copies, re.S)
    assert len(copy_rows) == 2
    assert {c["source"] for c in shown["copies"]} == {
        text_of(re.search(r'<td class="outlet-cell">(.*?)</td>', r).group(1)) for r in copy_rows
    }
    for c in shown["copies"]:
        assert c["fetched_at"][:16].replace("T", " ") in copies

    development = re.search(r'<section class="development">(.*?)</section>', html, re.S).group(1)
    assert f"تطور #{original['development_id']}" in development
    others = [
        a
        for a in site.articles
        if a["development_id"] == original["development_id"] and a["id"] != original["id"]
    ]
    assert others
    for other in others:
        assert f'href="/articles/{other["id"]}"' in development
    # Every report of the development counts, the copies too, in its Arabic form.
    assert count_of(len(others) + 1, "report") in text_of(development)


def test_copy_page_names_the_original_outlet(site: Site, client: TestClient) -> None:
    original = site.by_key("sawt/turkey-second-contract")
    copy = site.by_key("nafitha/turkey-second-contract-copy")
    html = client.get(f"/articles/{copy['id']}").text
    outlet = re.search(r'<dd class="original">(.*?)</dd>', html, re.S).group(1)
    assert f'href="/articles/{original["id"]}"><bdi class="outlet" title="sawt">sawt</bdi></a>' in (
        outlet
    )
    copies = re.search(r'<section class="copies" id="copies">(.*?)</section>', html, re.S).group(1)
    assert "bayraq" in copies and "nafitha" not in copies


def test_pages_show_the_outlets_titles(site: Site) -> None:
    """A source with `title` is shown by it wherever the page names the outlet."""
    titles = {"sawt": "صوت الخليج", "nafitha": "النافذة", "bayraq": "البيرق"}
    titled = site.config.model_copy(
        update={
            "sources": [s.model_copy(update={"title": titles[s.name]}) for s in site.config.sources]
        }
    )
    original = site.by_key("sawt/turkey-second-contract")
    copy = site.by_key("nafitha/turkey-second-contract-copy")

    def shown(name: str) -> str:
        # One way of naming an outlet on every page: its title, isolated, the name as a tooltip.
        return f'<bdi class="outlet" title="{name}">{titles[name]}</bdi>'

    with TestClient(create_app(site.db, titled)) as titled_client:
        listed = rows(titled_client.get("/").text)
        assert shown("sawt") in listed[original["id"]]
        assert shown("nafitha") in listed[copy["id"]]
        html = titled_client.get(f"/articles/{copy['id']}").text
        assert shown("nafitha") in html
        outlet = re.search(r'<dd class="original">(.*?)</dd>', html, re.S).group(1)
        assert f'href="/articles/{original["id"]}">{shown("sawt")}</a>' in outlet
        sources = titled_client.get("/sources").text
        assert f'<td class="name">{shown("bayraq")} <bdi dir="ltr">bayraq</bdi></td>' in sources
        developments = titled_client.get("/developments").text
        assert shown("sawt") in developments
        charts = titled_client.get("/charts").text
        assert shown("sawt") in charts and f">{titles['sawt']}</text>" in charts
        # The filters' source list names the outlets by their titles too.
        assert f'<option value="sawt">{titles["sawt"]}</option>' in charts


def test_article_page_highlights_the_search(site: Site, client: TestClient) -> None:
    article = site.by_key("nafitha/india-first-regiment")
    html = client.get(f"/articles/{article['id']}", params={"q": "الهند"}).text
    assert "<mark>الهند</mark>" in html
    assert client.get("/articles/999999").status_code == 404
    assert client.get("/articles/abc").status_code == 404


# --- developments, sources, export -----------------------------------------------------------


def development_blocks(html: str) -> dict[int, str]:
    """Each development's markup, from its <li> to the next one's (or the pager)."""
    starts = list(re.finditer(r'<li class="development" id="d(\d+)"', html))
    ends = [m.start() for m in starts[1:]] + [html.index('<nav class="pager">')]
    return {int(m.group(1)): html[m.start() : end] for m, end in zip(starts, ends, strict=True)}


def test_developments_timeline(site: Site, client: TestClient) -> None:
    html = client.get("/developments").text
    with site.db.read() as session:
        devs = list(session.scalars(select(Development)))
        alerts = list(session.scalars(select(Alert).where(Alert.development_id.is_not(None))))
        titles = dict(session.execute(select(Article.id, Article.title)).all())
    assert devs and alerts, "the crawl created developments and queued alerts"
    blocks = development_blocks(html)
    assert set(blocks) == {d.id for d in devs}
    for d in devs:
        block = blocks[d.id]
        first = re.search(r'<h3 class="first-report"><a href="/articles/(\d+)"', block)
        assert first and int(first.group(1)) == d.first_article_id
        assert titles[d.first_article_id] in unescape(block)
        reports = re.findall(r'<li class="report ([a-z-]+)" data-article="(\d+)">', block)
        members = [a for a in site.articles if a["development_id"] == d.id]
        assert {int(i) for _, i in reports} == {a["id"] for a in members}
        assert reports[0] == ("first", str(d.first_article_id))
        for kind, article_id in reports[1:]:
            member = next(a for a in members if a["id"] == int(article_id))
            assert kind == ("copy" if member["duplicate_of"] else "follow-up")
        for country in d.countries:
            assert f'title="{country}"' in block
    for alert in alerts:
        assert f'class="alert status-{alert.status}"' in blocks[alert.development_id]
    # The filters narrow the timeline and the form keeps them.
    contract = client.get("/developments", params={"topic": "contract"}).text
    assert '<option value="contract" selected>' in contract, "the form keeps the filter"
    assert set(development_blocks(contract)) == {
        d.id for d in devs if "contract" in (d.topics or [d.topic])
    }
    turkey = client.get("/developments", params={"country": "Turkey"}).text
    assert '<option value="Turkey" selected>' in turkey
    assert set(development_blocks(turkey)) == {d.id for d in devs if "Turkey" in d.countries}
    bayraq = client.get("/developments", params={"source": "bayraq"}).text
    assert set(development_blocks(bayraq)) == {
        a["development_id"] for a in site.articles if a["source"] == "bayraq"
    }


def test_sources_page_matches_status(site: Site, client: TestClient) -> None:
    html = client.get("/sources").text
    status = collect_status(site.db, site.config).data
    assert [s["name"] for s in status["sources"]] == ["sawt", "nafitha", "bayraq"]
    for s in status["sources"]:
        row = re.search(rf'<tr class="source[^"]*" id="source-{s["name"]}">(.*?)</tr>', html, re.S)
        assert row, s["name"]
        cells = [text_of(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
        assert cells[0] == s["name"]
        assert cells[7:12] == [
            str(s["pages"]),
            str(s["relevant"]),
            str(s["stored"]),
            str(s["copies"]),
            str(s["errors"]),
        ]
        assert cells[6] == "نجح" and s["last_status"] == "ok"
        assert s["last_success"][:10] in cells[3] and "منذ" in cells[3] or "الآن" in cells[3]
        assert row.group(1).count('class="run run-ok"') == 1
    assert f"{count_of(status['database']['articles'], 'article')} (" in html


def test_export_follows_the_filter(site: Site, client: TestClient) -> None:
    expected = [a["id"] for a in site.articles if "Turkey" in a["countries"]]
    jsonl = client.get("/export.jsonl", params={"country": "Turkey"})
    assert jsonl.status_code == 200
    assert "attachment" in jsonl.headers["content-disposition"]
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["id"] for r in records] == expected
    assert all(r["text"] for r in records), "jsonl carries the text"

    csv_resp = client.get("/export.csv", params={"country": "Turkey", "source": "sawt"})
    assert csv_resp.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(csv_resp.text.lstrip("\ufeff"))))
    assert [int(r["id"]) for r in table] == [
        a["id"] for a in site.articles if "Turkey" in a["countries"] and a["source"] == "sawt"
    ]
    assert table[0]["title"] == next(
        a["title"] for a in site.articles if a["id"] == int(table[0]["id"])
    )

    searched = client.get("/export.jsonl", params={"q": "إس ٤٠٠"})
    ranks = [json.loads(line)["rank"] for line in searched.text.splitlines()]
    assert ranks and ranks == sorted(ranks, reverse=True)
    assert client.get("/export.xml").status_code == 404


# --- safety ----------------------------------------------------------------------------------


def test_injected_title_is_escaped_on_every_page(site: Site, client: TestClient) -> None:
    injected = site.by_key("sawt/injection-headline")
    assert INJECTION_PAYLOAD in injected["title"], "the payload was stored as literal text"
    pages = [
        "/",
        "/?q=" + "عاجل",
        "/?source=sawt",
        f"/articles/{injected['id']}",
        f"/articles/{injected['id']}?q=onerror",
        "/developments",
        "/sources",
    ] + [f"/articles/{a['id']}" for a in site.articles]
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = resp.text
        assert "<script" not in html.lower(), path
        assert '"onerror=' not in html, path
        assert "script-src" not in resp.headers["content-security-policy"]
        assert "default-src 'none'" in resp.headers["content-security-policy"]
        assert resp.headers["x-content-type-options"] == "nosniff"
    shown = client.get(f"/articles/{injected['id']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "&#34;onerror=" in shown
    assert "&lt;script&gt;" in client.get("/").text


METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def test_no_page_accepts_writes(site: Site, client: TestClient) -> None:
    with site.db.read() as session:
        before = session.scalar(select(func.count()).select_from(Article))
    some = site.articles[0]["id"]
    paths = [
        "/",
        f"/articles/{some}",
        "/developments",
        "/sources",
        "/export.csv",
        "/export.jsonl",
        "/static/marsad.css",
        "/nope",
    ]
    for path in paths:
        for method in METHODS:
            resp = client.request(method, path, data={"title": "x"})
            assert resp.status_code == 405, (method, path)
            assert resp.headers["allow"] == "GET, HEAD"
        assert client.head(path).status_code in (200, 404)
    with site.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == before
    # No form on any page posts.
    for path in ["/", "/developments", f"/articles/{some}"]:
        assert 'method="post"' not in client.get(path).text.lower()


def test_static_css_uses_system_fonts_only(client: TestClient) -> None:
    css = client.get("/static/marsad.css").text
    assert "Noto Naskh Arabic" in css
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    html = client.get("/").text
    assert "http://" not in re.sub(r'href="http://127\.0\.0\.\d+:\d+[^"]*"', "", html)
    assert "https://" not in html


# --- the command -----------------------------------------------------------------------------


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp*, state 0A = LISTEN)."""
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_marsad_web_binds_loopback_by_default(site: Site) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "--config",
            str(site.config_path),
            "web",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "marsad web did not start"
                time.sleep(0.2)
        assert resp.status_code == 200 and "article-row" in resp.text
        assert httpx.post(f"http://127.0.0.1:{port}/", timeout=5).status_code == 405
        # 0100007F is 127.0.0.1 in /proc/net/tcp's byte order: loopback only, not 0.0.0.0.
        assert _listening_addresses(port) == {"0100007F"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "127.0.0.1" in invoke_marsad("web", "--help").stdout
