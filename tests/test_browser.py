"""The review page in real headless Chromium (Debian's, driven by Playwright; never downloaded).

A real crawl of the loopback fixture web fills the database; `create_app` is served by uvicorn
on a loopback port in a thread. The browser searches in Arabic, opens the agency story and sees
the outlets that copied it; then, over the crawl plus a year of earlier developments
(`tests.history`), it reads the timeline and the charts. Its screenshots go to the test's own
directory; with MARSAD_UPDATE_SCREENSHOTS=1 they also replace those in docs/ that the README
shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.fixtureweb.templates import MONTHS_EGYPTIAN

CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs"
SCREENSHOTS = ("screenshot-list.png", "screenshot-article.png")
DESK_SCREENSHOTS = ("screenshot-timeline.png", "screenshot-charts.png")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent (apt-get install chromium fonts-noto-core)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port, in a thread."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from crawler.review.web.app import create_app
    from tests.test_web import crawled_site

    with (
        crawled_site("sqlite", tmp_path_factory.mktemp("browser")) as site,
        serve(create_app(site.db, site.config)) as url,
    ):
        yield url


@pytest.fixture(scope="module")
def desk_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The crawl, and a year of developments before it."""
    from crawler.review.web.app import create_app
    from tests.history import seed_history
    from tests.test_web import crawled_site

    with crawled_site("sqlite", tmp_path_factory.mktemp("desk")) as site:
        first = min(datetime.fromisoformat(a["published_at"]) for a in site.articles)
        seed_history(site.db, end=(first - timedelta(days=3)).astimezone(UTC))
        with serve(create_app(site.db, site.config)) as url:
            yield url


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def docs_screenshots() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in DOCS.glob("screenshot-*.png")}


def test_search_open_article_and_see_copies(base_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    docs_before = docs_screenshots()
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            # JavaScript off: the page must work without it.
            context = browser.new_context(
                java_script_enabled=False,
                locale="ar",
                viewport={"width": 1200, "height": 900},
            )
            page = context.new_page()
            # Nothing but the app itself may be fetched (no CDN fonts, no scripts).
            foreign: list[str] = []
            page.on(
                "request",
                lambda r: None if r.url.startswith(base_url) else foreign.append(r.url),
            )
            page.goto(base_url + "/")
            assert page.locator("html").get_attribute("dir") == "rtl"
            assert page.locator("li.article-row").count() >= 9
            rows_before = page.locator("li.article-row").count()

            # An Arabic query with Arabic-Indic digits, submitted with the form (no JS).
            page.fill("#q", "تركيا إس ٤٠٠")
            page.click(".searchbox button[type=submit]")
            page.wait_for_load_state()
            assert "q=" in page.url
            results = page.locator("li.article-row")
            assert 0 < results.count() < rows_before
            assert page.locator("li.article-row mark").count() > 0
            page.screenshot(path=str(tmp_path / "screenshot-list.png"), full_page=True)

            # The agency story: the original (not itself a copy) with two copies.
            row = page.locator(
                "li.article-row", has_text="نسختان", has_not=page.locator(".copyof")
            ).first
            title = row.locator("h2.headline").inner_text()
            row.locator("h2.headline a").click()
            page.wait_for_load_state()
            assert "/articles/" in page.url
            assert page.locator("h1").inner_text() == title
            assert page.locator("section.body mark").count() > 0
            copies = page.locator("section.copies tr.copy")
            assert copies.count() == 2
            outlets = {copies.nth(i).locator("bdi.outlet").inner_text() for i in range(2)}
            assert outlets == {"nafitha", "bayraq"}
            # Arabic renders with a real Arabic font, right to left.
            box = page.locator("h1").bounding_box()
            assert box and box["width"] > 100
            direction = page.evaluate("getComputedStyle(document.body).direction")
            assert direction == "rtl"
            page.screenshot(path=str(tmp_path / "screenshot-article.png"), full_page=True)

            # And from there to the copy, which names the original outlet.
            copies.first.locator("a").click()
            page.wait_for_load_state()
            assert "sawt" in page.locator("dd.original").inner_text()
            assert foreign == []
        finally:
            browser.close()
    keep_screenshots(tmp_path, SCREENSHOTS, docs_before)


def keep_screenshots(tmp_path: Path, names: tuple[str, ...], docs_before: dict[str, bytes]) -> None:
    for name in names:
        assert (tmp_path / name).stat().st_size > 10_000
    if os.environ.get("MARSAD_UPDATE_SCREENSHOTS") == "1":
        for name in names:
            shutil.copyfile(tmp_path / name, DOCS / name)
    else:
        # A test run leaves the repository as it found it.
        assert docs_screenshots() == docs_before


def test_timeline_and_charts_render_with_arabic_labels(desk_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    docs_before = docs_screenshots()
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context(
                java_script_enabled=False, locale="ar", viewport={"width": 1200, "height": 900}
            )
            page = context.new_page()
            foreign: list[str] = []
            page.on(
                "request",
                lambda r: None if r.url.startswith(desk_url) else foreign.append(r.url),
            )

            page.goto(desk_url + "/developments")
            months = page.locator("h2.month-label")
            assert months.count() >= 6
            # Arabic month names, in an Arabic font, right to left.
            heading = months.first.inner_text()
            assert any(name in heading for name in MONTHS_EGYPTIAN), heading
            assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
            development = page.locator("li.development").first
            assert development.locator(".badge").first.inner_text() in TOPIC_WORDS
            reports = development.locator("ol.reports li.report")
            assert reports.first.locator(".kind").inner_text() == "أول تقرير"
            # The agency story: its first report and both copies, in order.
            agency = page.locator("li.development", has=page.locator("li.report.copy")).first
            kinds = agency.locator("li.report .kind").all_inner_texts()
            assert kinds[0] == "أول تقرير" and "نسخة" in kinds
            tally = agency.locator(".tally").inner_text()
            assert "تقارير" in tally or "تقريران" in tally
            assert "1 " not in tally.split("·")[0]
            # A Latin outlet name inside the Arabic row keeps its place (isolated).
            assert agency.locator("bdi.outlet").count() >= 3
            # The screenshot: Turkey's developments, the agency story with its copies among them.
            page.goto(desk_url + "/developments?country=Turkey")
            assert page.locator("li.development li.report.copy").count() >= 2
            page.screenshot(path=str(tmp_path / "screenshot-timeline.png"), full_page=False)

            page.goto(desk_url + "/charts")
            charts = page.locator("svg.chart")
            assert charts.count() == 3
            for i in range(3):
                box = charts.nth(i).bounding_box()
                assert box and box["width"] > 800 and box["height"] > 60
            topic_chart = page.locator("svg.chart.months")
            bars = topic_chart.locator("rect.bar")
            assert bars.count() >= 12
            # Month names on the axis in Arabic, rendered with a width (a real font).
            labels = topic_chart.locator("text").all_text_contents()
            assert sum(label in MONTHS_EGYPTIAN for label in labels) >= 6, labels
            label_box = topic_chart.locator(
                "text", has_text=MONTHS_EGYPTIAN[0]
            ).first.bounding_box()
            assert label_box and label_box["width"] > 10
            # Right to left: the oldest month's bar is drawn right of the newest's.
            months_x = {
                bars.nth(i).get_attribute("data-month"): bars.nth(i).bounding_box()["x"]
                for i in range(bars.count())
            }
            assert months_x[min(months_x)] > months_x[max(months_x)]
            legend = page.locator("#chart-topics ul.legend").inner_text()
            assert "تسليم" in legend and "مفاوضات" in legend
            grid = page.locator("svg.chart.grid")
            assert "روسيا" in grid.locator("text").all_text_contents()
            russia = grid.locator("text", has_text="روسيا").bounding_box()
            first_cell = grid.locator("rect.cell").first.bounding_box()
            assert russia and first_cell and russia["x"] > first_cell["x"], "labels on the right"
            outlets = page.locator("svg.chart.outlets text.outlet-label").all_text_contents()
            assert {"sawt", "nafitha", "bayraq"} <= set(outlets)
            page.screenshot(path=str(tmp_path / "screenshot-charts.png"), full_page=True)
            assert foreign == []
        finally:
            browser.close()
    keep_screenshots(tmp_path, DESK_SCREENSHOTS, docs_before)


TOPIC_WORDS = {"عقد", "مفاوضات", "تسليم", "عقوبات", "أخرى"}
