"""What alerts and the web page both show: safe links, UTC dates, labels, country names."""

from __future__ import annotations

import re
import tomllib
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.analysis.classify import Classifier
from crawler.analysis.country_names import arabic_country_name, arabic_country_names
from crawler.config import load_config
from crawler.crawl.pages import fingerprint
from crawler.storage.db import Database
from crawler.storage.models import Article, Development
from crawler.storage.store import ArticleRecord, Store
from crawler.text.display import (
    arabic_label,
    bilingual_label,
    format_date,
    one_line,
    safe_url,
    segments,
)
from crawler.vocab import ALERT_KIND_LABELS, TOPIC_LABELS
from tests.conftest import ROOT, write_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from crawler.review.web.app import create_app  # noqa: E402


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "//news.example/a",
        "http:no-host",
        "https://[broken/ipv6",
    ],
)
def test_only_absolute_http_addresses_are_links(url: str | None) -> None:
    assert safe_url(url) is None


def test_a_link_keeps_its_address_and_cannot_break_out_of_markup() -> None:
    assert safe_url("https://news.example/a?x=1&y=2") == "https://news.example/a?x=1&y=2"
    assert safe_url("HTTPS://news.example/a") == "HTTPS://news.example/a"
    assert (
        safe_url('https://news.example/a|<!here>"b') == "https://news.example/a%7C%3C!here%3E%22b"
    )
    assert safe_url(" https://news.example/a b\n") == "https://news.example/a%20b"


def test_one_line_turns_breaks_and_controls_into_single_spaces() -> None:
    assert one_line("سطر\r\nثان\x00  ثالث\u2028") == "سطر ثان ثالث"
    assert one_line(None) == ""


def test_dates_are_utc_with_or_without_the_time() -> None:
    riyadh = timezone(timedelta(hours=3))
    assert format_date(datetime(2024, 6, 3, 12, 15, tzinfo=riyadh)) == "2024-06-03 09:15 UTC"
    # Storage keeps UTC; a naive value is not taken for the machine's local time.
    assert format_date(datetime(2024, 6, 3, 9, 15)) == "2024-06-03 09:15 UTC"
    midnight = datetime(2024, 6, 3, tzinfo=UTC)
    # Unknown precision: midnight stands for a bare date.
    assert format_date(midnight) == "2024-06-03"
    assert format_date(midnight, day=False) == "2024-06-03 00:00 UTC"
    assert format_date(datetime(2024, 6, 3, 23, 59, tzinfo=UTC), day=True) == "2024-06-03"


def test_labels_in_arabic_or_both_languages() -> None:
    assert arabic_label(TOPIC_LABELS, "delivery") == "تسليم"
    assert bilingual_label(TOPIC_LABELS, "delivery") == "تسليم / Delivery"
    assert bilingual_label(ALERT_KIND_LABELS, "test", english_first=True) == (
        "Test message / رسالة اختبار"
    )
    assert arabic_label(TOPIC_LABELS, "weather") == "weather"
    assert bilingual_label(TOPIC_LABELS, "weather") == "weather"


def test_segments_cut_text_into_marked_pieces() -> None:
    text = "وصلت منظومة إس-400 إلى القاعدة"
    start = text.index("إس-400")
    # Overlapping and touching spans are one piece; one out of range is ignored.
    spans = [(start, start + 3), (start + 2, start + 6), (0, 100)]
    assert segments(text, spans) == [
        (text[:start], False),
        ("إس-400", True),
        (text[start + 6 :], False),
    ]


def test_country_names_come_from_the_gazetteer() -> None:
    names = arabic_country_names()
    with (ROOT / "crawler/analysis/lexicons/countries.toml").open("rb") as fh:
        gazetteer = tomllib.load(fh)["country"]
    assert set(names) == {c["name"] for c in gazetteer}
    assert names["Turkey"] == "تركيا"
    assert names["United Arab Emirates"] == "الإمارات"
    # Each name reads back as its country, as the filters read what a user types.
    classifier = Classifier.builtin()
    assert all(classifier.country_named(ar) == en for en, ar in names.items())
    assert arabic_country_name("Atlantis") == "Atlantis"


def test_the_web_page_names_every_gazetteer_country_in_arabic(
    database: Database, db_url: str, tmp_path: Path
) -> None:
    body = (
        "قالت وزارة الدفاع إن برلين تدرس عرضا لشراء منظومة إس-400 بعد محادثات مطولة.\n"
        "وأضافت أن القرار النهائي لم يتخذ بعد."
    )
    record = ArticleRecord(
        source="wire",
        # Not an address urlsplit() can read: shown as text, and the page still renders.
        url="https://[wire.example/germany",
        title="ألمانيا تدرس شراء منظومة إس-400",
        text=body,
        fetched_at=datetime(2024, 5, 20, 9, 0, tzinfo=UTC),
        published_at=datetime(2024, 5, 20, 8, 0, tzinfo=UTC),
        published_precision="day",
        topics=["negotiation"],
        countries=["Germany", "Russia"],
    )
    stored = Store(database).store_article(record, fingerprint(body))
    # The country filter offers the countries of developments (read from their index).
    with database.write() as session:
        development = Development(
            topic="negotiation", topics=["negotiation"], countries=["Germany", "Russia"]
        )
        session.add(development)
        session.flush()
        session.get_one(Article, stored.article_id).development_id = development.id
    config = write_config(tmp_path / "marsad.toml", db_url, "")
    with TestClient(create_app(database, load_config(config))) as client:
        listing = client.get("/")
        article = client.get(f"/articles/{stored.article_id}")
    assert listing.status_code == 200
    assert '<bdi class="country" title="Germany">ألمانيا</bdi>' in listing.text
    assert re.search(r'<option value="Germany"[^>]*>ألمانيا</option>', listing.text)
    # A day-precise date shows without a time.
    assert '<bdi class="date" dir="ltr">2024-05-20</bdi>' in listing.text
    assert article.status_code == 200
    assert "https://[wire.example/germany" in article.text
    assert 'href="https://[wire' not in article.text
