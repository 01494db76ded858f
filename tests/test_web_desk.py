"""The analyst's desk on the review page: the developments timeline, the charts, Arabic counts,
the sources' run history, and the same filters and exports on every list view.

Over a year of developments written by `tests.history` (the crawled fixture web covers a few
days): each test counts what it expects from what was written, never from the page.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import insert

from crawler.config import load_config
from crawler.review.charts import developments_by_country, developments_by_topic
from crawler.review.queries import ArticleFilter
from crawler.review.timeline import copy_counts
from crawler.review.web.svg import month_label
from crawler.storage.corrections import mark_not_relevant, merge_developments
from crawler.storage.db import Database
from crawler.storage.models import Article, CrawlRun, SourceHealth
from crawler.text.plurals import count_of
from tests.conftest import write_config
from tests.history import History, SeededDevelopment, seed_history

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from crawler.review.web.app import create_app  # noqa: E402

SOURCES = "".join(
    f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "http://127.0.0.1:9/{name}.xml"\n\n'
    for name in ("sawt", "nafitha", "bayraq")
)


@pytest.fixture
def history(database: Database) -> History:
    # Twenty months: more developments than one page of the timeline holds.
    return seed_history(database, months=20)


@pytest.fixture
def client(database: Database, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    config = load_config(str(write_config(tmp_path / "marsad.toml", db_url, SOURCES)))
    with TestClient(create_app(database, config)) as c:
        yield c


def text_of(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment))


def blocks(html: str) -> dict[int, str]:
    starts = list(re.finditer(r'<li class="development" id="d(\d+)"', html))
    ends = [m.start() for m in starts[1:]] + [html.index('<nav class="pager">')]
    return {int(m.group(1)): html[m.start() : end] for m, end in zip(starts, ends, strict=True)}


def pages(client: TestClient, path: str, **params: str) -> list[str]:
    """Every page of a paged view."""
    found: list[str] = []
    while True:
        resp = client.get(path, params={**params, "page": str(len(found) + 1)})
        assert resp.status_code == 200, resp.text
        found.append(resp.text)
        if 'rel="next"' not in resp.text:
            return found


def all_pages(client: TestClient, path: str, **params: str) -> str:
    return "".join(pages(client, path, **params))


# --- the timeline ----------------------------------------------------------------------------


def test_timeline_shows_each_development_with_its_reports_in_order(
    history: History, client: TestClient
) -> None:
    every = pages(client, "/developments")
    assert len(every) > 1, "more than one page of developments"
    html = "".join(every)
    found = {k: v for page in every for k, v in blocks(page).items()}
    assert set(found) == {d.id for d in history.developments}
    # Newest first, under Arabic month headings.
    order = [int(i) for i in re.findall(r'<li class="development" id="d(\d+)"', html)]
    newest_first = sorted(history.developments, key=lambda d: (d.published, d.id), reverse=True)
    assert order == [d.id for d in newest_first]
    newest = newest_first[0]
    assert f"{month_label(newest.published.strftime('%Y-%m'))} <span" in html
    assert month_label("2026-11") == "نوفمبر 2026"
    for d in history.developments:
        block = found[d.id]
        reports = re.findall(r'<li class="report ([a-z-]+)" data-article="(\d+)">', block)
        assert [int(i) for _, i in reports][0] == d.article_ids[0]
        assert reports[0][0] == "first"
        assert sorted(int(i) for _, i in reports) == sorted(d.article_ids)
        kinds = Counter(k for k, _ in reports)
        assert kinds["copy"] == d.copies
        assert kinds["follow-up"] == len(d.article_ids) - 1 - d.copies
        # Times in the order the reports appeared, after the first.
        times = re.findall(r'<time datetime="([^"]+)"', block)
        assert times[1:] == sorted(times[1:])
        # Topic and countries in Arabic, the English kept as the title.
        assert f'class="badge topic-{d.topic}"' in block
        for country in d.countries:
            assert f'<bdi class="country" title="{country}">' in block
        tally = text_of(re.search(r'<span class="tally">(.*?)</span>', block).group(1))
        assert count_of(len(d.article_ids), "report") in tally
        assert count_of(d.copies, "copy") in tally
        assert count_of(len(set(d.sources)), "outlet") in tally
    assert "روسيا" in html and "الهند" in html or "مصر" in html


def test_timeline_filters_by_topic_country_source_and_date(
    history: History, client: TestClient
) -> None:
    def shown(**params: str) -> set[int]:
        return set(
            int(i)
            for i in re.findall(
                r'<li class="development" id="d(\d+)"', all_pages(client, "/developments", **params)
            )
        )

    devs = history.developments
    assert shown(topic="sanction") == {d.id for d in devs if d.topic == "sanction"}
    assert shown(country="الهند") == {d.id for d in devs if "India" in d.countries}
    assert shown(source="bayraq") == {d.id for d in devs if "bayraq" in d.sources}
    start, end = "2026-03-01", "2026-06-30"
    in_range = {d.id for d in devs if start <= d.published.strftime("%Y-%m-%d") <= end}
    assert 0 < len(in_range) < len(devs)
    assert shown(**{"from": start, "to": end}) == in_range
    both = shown(topic="delivery", source="sawt", **{"from": start})
    assert both == {
        d.id
        for d in devs
        if d.topic == "delivery"
        and "sawt" in d.sources
        and d.published.strftime("%Y-%m-%d") >= start
    }
    assert client.get("/developments", params={"country": "Atlantis"}).status_code == 400


def test_developments_export_follows_the_filters(history: History, client: TestClient) -> None:
    params = {"country": "Egypt", "from": "2026-02-01"}
    expected = sorted(
        (
            d
            for d in history.developments
            if "Egypt" in d.countries and d.published >= datetime(2026, 2, 1, tzinfo=UTC)
        ),
        key=lambda d: (d.published, d.id),
        reverse=True,
    )
    assert expected
    jsonl = client.get("/developments/export.jsonl", params=params)
    assert jsonl.status_code == 200 and "attachment" in jsonl.headers["content-disposition"]
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["id"] for r in rows] == [d.id for d in expected]
    for row, d in zip(rows, expected, strict=True):
        assert row["copies"] == d.copies and row["reports"] == len(d.article_ids)
        assert row["first_article_id"] == d.article_ids[0]
        assert row["outlets"][0] == d.sources[0] and set(row["outlets"]) == set(d.sources)
    table = list(
        csv.DictReader(
            io.StringIO(client.get("/developments/export.csv", params=params).text.lstrip("\ufeff"))
        )
    )
    assert [int(r["id"]) for r in table] == [d.id for d in expected]
    assert all("Egypt" in r["countries"].split(";") for r in table)
    # The page links to both exports with its own filters.
    page = client.get("/developments", params=params).text
    assert 'href="/developments/export.csv?country=Egypt&amp;from=2026-02-01"' in page


# --- the charts ------------------------------------------------------------------------------


def test_charts_count_developments_per_month_by_topic(history: History, client: TestClient) -> None:
    html = client.get("/charts").text
    assert "<script" not in html.lower()
    svg = re.search(r'<svg class="chart months".*?</svg>', html, re.S).group(0)
    bars = {
        (m.group(2), m.group(1)): int(m.group(3))
        for m in re.finditer(
            r'<rect class="bar" data-key="([a-z]+)" data-month="([\d-]+)" data-count="(\d+)"', svg
        )
    }
    expected = Counter((d.published.strftime("%Y-%m"), d.topic) for d in history.developments)
    assert bars == dict(expected)
    # Arabic labels: the chart's title, month names on the axis, the topics in the legend.
    assert "<title>التطورات شهرياً حسب الموضوع</title>" in svg
    oldest = min(d.published for d in history.developments)
    assert f">{month_label(oldest.strftime('%Y-%m')).split()[0]}</text>" in svg
    assert f">{oldest.year}</text>" in svg and ">2026</text>" in svg
    assert '<span class="badge topic-delivery">تسليم</span>' in html
    # Right to left: the oldest month's bar is right of the newest's.
    xs = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r'data-month="([\d-]+)" data-count="\d+" x="([\d.]+)"', svg)
    }
    months = sorted(xs)
    assert xs[months[0]] > xs[months[-1]]


def test_charts_count_developments_per_month_by_country(
    history: History, client: TestClient
) -> None:
    html = client.get("/charts").text
    grid = re.search(r'<svg class="chart grid".*?</svg>', html, re.S).group(0)
    cells = {
        (m.group(2), m.group(1)): int(m.group(3))
        for m in re.finditer(
            r'<rect class="cell" data-key="([^"]+)" data-month="([\d-]+)" data-count="(\d+)"', grid
        )
    }
    expected = Counter(
        (d.published.strftime("%Y-%m"), c) for d in history.developments for c in d.countries
    )
    assert {k: v for k, v in cells.items() if v} == dict(expected)
    assert ">روسيا</text>" in grid and ">مصر</text>" in grid


def test_charts_count_reports_per_outlet(history: History, client: TestClient) -> None:
    html = client.get("/charts", params={"topic": "delivery"}).text
    svg = re.search(r'<svg class="chart outlets".*?</svg>', html, re.S).group(0)
    counted: Counter[tuple[str, str]] = Counter()
    for d in history.developments:
        if d.topic != "delivery":
            continue
        for i, source in enumerate(d.sources):
            is_copy = i > 0 and i >= len(d.sources) - d.copies
            counted[(source, "copies" if is_copy else "originals")] += 1
    bars = {
        (m.group(2), m.group(1)): int(m.group(3))
        for m in re.finditer(
            r'<rect class="bar (originals|copies)" data-source="([^"]+)" data-count="(\d+)"', svg
        )
    }
    assert bars == dict(counted)


def test_charts_follow_the_date_and_source_filters(history: History, client: TestClient) -> None:
    params = {"from": "2026-03-01", "to": "2026-06-30", "source": "nafitha"}
    html = client.get("/charts", params=params).text
    svg = re.search(r'<svg class="chart months".*?</svg>', html, re.S).group(0)
    bars: Counter[str] = Counter()
    for m in re.finditer(
        r'<rect class="bar" data-key="[a-z]+" data-month="([\d-]+)" data-count="(\d+)"', svg
    ):
        bars[m.group(1)] += int(m.group(2))
    expected = Counter(
        d.published.strftime("%Y-%m")
        for d in history.developments
        if "nafitha" in d.sources
        and "2026-03-01" <= d.published.strftime("%Y-%m-%d") <= "2026-06-30"
    )
    assert bars == expected and expected
    # Reports per outlet: nafitha's reports of those developments, originals and copies apart.
    outlets = re.search(r'<svg class="chart outlets".*?</svg>', html, re.S).group(0)
    found = {
        m.group(1): int(m.group(2))
        for m in re.finditer(
            r'<rect class="bar (originals|copies)" data-source="nafitha" data-count="(\d+)"',
            outlets,
        )
    }
    wanted: Counter[str] = Counter()
    for d in history.developments:
        if "2026-03-01" <= d.published.strftime("%Y-%m-%d") <= "2026-06-30":
            for i, source in enumerate(d.sources):
                if source == "nafitha":
                    is_copy = i > 0 and i >= len(d.sources) - d.copies
                    wanted["copies" if is_copy else "originals"] += 1
    assert found == dict(wanted)
    assert 'data-source="sawt"' not in outlets
    # The filters stay in the form and in the export link.
    assert '<option value="nafitha" selected>' in html
    assert 'value="2026-03-01"' in html
    assert 'href="/export.csv?source=nafitha&amp;from=2026-03-01&amp;to=2026-06-30"' in html


def test_no_page_writes_one_or_two_with_a_plural(history: History, client: TestClient) -> None:
    wrong = re.compile(r"(?<![\d.])[12] (تقارير|نسخ|تطورات|مقالات|متابعات|منافذ|أصول|إخفاقات)")
    for path in ["/", "/developments", "/charts", "/sources", "/?originals=1"]:
        html = client.get(path).text
        assert not wrong.search(text_of(html)), (path, wrong.search(text_of(html)))
    some = history.developments[0].article_ids[0]
    assert not wrong.search(text_of(client.get(f"/articles/{some}").text))


def test_chart_queries_aggregate_in_the_database(history: History, database: Database) -> None:
    flt = ArticleFilter(country="Iran")
    with database.read() as session:
        topics = developments_by_topic(session, flt)
        countries = developments_by_country(session, flt)
    iran = [d for d in history.developments if "Iran" in d.countries]
    assert sum(topics.counts.values()) == len(iran)
    assert countries.total("Iran") == len(iran)
    # Every month from the first to the last, the empty ones too.
    assert len(topics.months) == len(set(topics.months))
    first, last = topics.months[0], topics.months[-1]
    assert first == min(d.published for d in iran).strftime("%Y-%m")
    assert last == max(d.published for d in iran).strftime("%Y-%m")


def test_chart_labels_are_escaped(database: Database, client: TestClient) -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    with database.write() as session:
        session.execute(
            insert(Article),
            {
                "url": "https://evil.example/1",
                "source": '<script>alert("x")</script>',
                "title": "عنوان",
                "text": "نص",
                "normalized_text": "نص",
                "content_hash": "evil",
                "published_at": now,
                "fetched_at": now,
                "topics": ["other"],
                "countries": [],
            },
        )
    html = client.get("/charts").text
    assert "<script>" not in html
    assert 'data-source="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in html


# --- counts, copies, isolation ---------------------------------------------------------------


def test_list_counts_copies_on_every_row(history: History, client: TestClient) -> None:
    html = all_pages(client, "/")
    rows = dict(
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r'<li class="article-row" id="a(\d+)">(.*?)</li>', html, re.S)
    )
    expected: dict[int, int] = {}
    for d in history.developments:
        for i, article_id in enumerate(d.article_ids):
            is_copy = i >= len(d.article_ids) - d.copies and i > 0
            root = d.article_ids[0] if is_copy else article_id
            expected[article_id] = d.copies if root == d.article_ids[0] else 0
    assert set(rows) == set(expected)
    assert any(expected.values()) and not all(expected.values())
    for article_id, n in expected.items():
        assert f'data-copies="{n}"' in rows[article_id], article_id
        assert f">{count_of(n, 'copy')}</span>" in rows[article_id]
    assert "1 نسخ" not in html and "2 نسخ" not in html and "النسخ: 0" not in html
    # The outlet and the numbers are isolated from the Arabic around them.
    assert '<bdi class="outlet" title="sawt">sawt</bdi>' in html
    assert re.search(r'<bdi class="date" dir="ltr">\d{4}-\d\d-\d\d \d\d:\d\d UTC</bdi>', html)


def test_copy_counts_cover_roots_beyond_one_query(history: History, database: Database) -> None:
    roots = [d.article_ids[0] for d in history.developments]
    with database.read() as session:
        counts = copy_counts(session, roots * 30)
    assert counts == {d.article_ids[0]: d.copies for d in history.developments if d.copies}


def test_corrections_leave_the_timeline_and_charts(
    history: History, database: Database, client: TestClient
) -> None:
    """An article ruled out is shown, charted and counted as a copy nowhere; a development left
    with no report, or merged into another, is neither listed nor charted."""
    devs = history.developments

    def has_follow_up(d: SeededDevelopment) -> bool:
        return len(d.article_ids) - d.copies > 1

    followed = next(d for d in devs if has_follow_up(d) and d.copies)
    emptied = next(d for d in devs if not has_follow_up(d) and d.copies and d is not followed)
    rest = [d for d in devs if d not in (followed, emptied)]
    kept, merged = sorted(rest[:2], key=lambda d: d.published)
    mark_not_relevant(database, followed.article_ids[1], by="test")
    mark_not_relevant(database, emptied.article_ids[0], by="test")
    merge_developments(database, kept.id, merged.id, by="test")
    ruled_out = {followed.article_ids[1], *emptied.article_ids}

    listed = blocks(all_pages(client, "/developments"))
    assert set(listed) == {d.id for d in devs} - {emptied.id, merged.id}
    assert f'data-article="{followed.article_ids[1]}"' not in listed[followed.id]
    assert f'data-article="{followed.article_ids[0]}"' in listed[followed.id]
    assert all(f'data-article="{m}"' in listed[kept.id] for m in merged.article_ids)

    html = client.get("/charts").text
    svg = re.search(r'<svg class="chart months".*?</svg>', html, re.S).group(0)
    bars = {
        (m.group(2), m.group(1)): int(m.group(3))
        for m in re.finditer(
            r'<rect class="bar" data-key="([a-z]+)" data-month="([\d-]+)" data-count="(\d+)"', svg
        )
    }
    charted = [d for d in devs if d not in (emptied, merged)]
    assert bars == dict(Counter((d.published.strftime("%Y-%m"), d.topic) for d in charted))
    outlets = re.search(r'<svg class="chart outlets".*?</svg>', html, re.S).group(0)
    reports = {
        (m.group(2), m.group(1)): int(m.group(3))
        for m in re.finditer(
            r'<rect class="bar (originals|copies)" data-source="([^"]+)" data-count="(\d+)"',
            outlets,
        )
    }
    counted: Counter[tuple[str, str]] = Counter()
    for d in devs:
        for i, (article_id, source) in enumerate(zip(d.article_ids, d.sources, strict=True)):
            if article_id not in ruled_out:
                is_copy = i > 0 and i >= len(d.article_ids) - d.copies
                counted[(source, "copies" if is_copy else "originals")] += 1
    assert reports == dict(counted)

    with database.read() as session:
        counts = copy_counts(session, [followed.article_ids[0], emptied.article_ids[0]])
    assert counts == {followed.article_ids[0]: followed.copies}


# --- the sources page ------------------------------------------------------------------------


def test_sources_page_shows_last_successes_and_failures(
    database: Database, client: TestClient
) -> None:
    now = datetime.now(UTC)
    runs = [
        ("sawt", "ok", now - timedelta(hours=30), None),
        ("sawt", "error", now - timedelta(hours=3), "HTTP 503 من الخادم"),
        ("sawt", "ok", now - timedelta(hours=2), None),
        ("bayraq", "timeout", now - timedelta(minutes=20), "timed out after 30s"),
        ("bayraq", "error", now - timedelta(minutes=10), "DNS lookup failed"),
    ]
    with database.write() as session:
        for source, status, when, error in runs:
            session.add(
                CrawlRun(
                    source=source,
                    started_at=when - timedelta(minutes=1),
                    finished_at=when,
                    status=status,
                    errors=int(error is not None),
                    last_error=error,
                )
            )
        session.add(
            SourceHealth(
                source="sawt", error_streak=0, last_run_at=runs[2][2], last_success_at=runs[2][2]
            )
        )
        session.add(
            SourceHealth(
                source="bayraq",
                error_streak=2,
                last_run_at=runs[4][2],
                last_error="DNS lookup failed",
            )
        )
    html = client.get("/sources").text

    def row(name: str) -> list[str]:
        found = re.search(rf'<tr class="source[^"]*" id="source-{name}">(.*?)</tr>', html, re.S)
        assert found, name
        return re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)

    sawt = row("sawt")
    assert "منذ ساعتين" in sawt[3], "last success"
    assert "منذ 3 ساعات" in sawt[4], "last failure"
    assert sawt[13].count("run run-ok") == 2 and sawt[13].count("run run-error") == 1
    # Newest run first.
    assert sawt[13].index("run-ok") < sawt[13].index("run-error")
    bayraq = row("bayraq")
    assert text_of(bayraq[3]).strip() == "—", "never succeeded"
    assert "منذ 10 دقائق" in bayraq[4]
    assert text_of(bayraq[12]) == "إخفاقان"
    assert "DNS lookup failed" in bayraq[14]
    assert text_of(row("nafitha")[4]).strip() == "—"
    # Times never wrap: each sits in a no-wrap cell, as one <time>.
    assert re.search(r'<td class="time last-success"><time class="moment"', html)
    css = client.get("/static/marsad.css").text
    assert re.search(r"td\.time[^{]*\{[^}]*white-space: nowrap", css)
