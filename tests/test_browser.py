"""The review page in real headless Chromium (Debian's, driven by Playwright; never downloaded).

A real crawl of the loopback fixture web fills the database; `create_app` is served by uvicorn
on a loopback port in a thread. The browser searches in Arabic, opens the agency story and sees
the outlets that copied it. Its screenshots go to the test's own directory; with
MARSAD_UPDATE_SCREENSHOTS=1 they also replace those in docs/ that the README shows.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs"
SCREENSHOTS = ("screenshot-list.png", "screenshot-article.png")
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


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from crawler.review.web.app import create_app
    from tests.test_web import crawled_site

    with crawled_site("sqlite", tmp_path_factory.mktemp("browser")) as site:
        port = _free_port()
        config = uvicorn.Config(
            create_app(site.db, site.config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
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


def docs_screenshots() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in DOCS.glob("screenshot-*.png")}


def test_search_open_article_and_see_copies(base_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    docs_before = docs_screenshots()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
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
                "li.article-row", has_text="النسخ: 2", has_not=page.locator(".copyof")
            ).first
            title = row.locator("h2.headline").inner_text()
            row.locator("h2.headline a").click()
            page.wait_for_load_state()
            assert "/articles/" in page.url
            assert page.locator("h1").inner_text() == title
            assert page.locator("section.body mark").count() > 0
            copies = page.locator("section.copies tr.copy")
            assert copies.count() == 2
            outlets = {copies.nth(i).locator("td.outlet").inner_text() for i in range(2)}
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
    for name in SCREENSHOTS:
        assert (tmp_path / name).stat().st_size > 10_000
    if os.environ.get("MARSAD_UPDATE_SCREENSHOTS") == "1":
        for name in SCREENSHOTS:
            shutil.copyfile(tmp_path / name, DOCS / name)
    else:
        # A test run leaves the repository as it found it.
        assert docs_screenshots() == docs_before
