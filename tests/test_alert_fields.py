"""What an alert says, checked on what a fake Slack and a real SMTP server (aiosmtpd) receive:
the topic in Arabic and English, the countries in Arabic, the evidence with the matched term
highlighted, the amount, the outlet's title, how many copies and which outlets, and the
article's page in Marsad; follow-ups and the digest carry the counts as they grow."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from alerts.channels import build_transports
from alerts.digest import queue_digest
from alerts.outbox import Dispatcher
from crawler.config import Config
from crawler.storage.db import Database
from crawler.storage.models import utcnow
from tests.alerting import (
    BASE_URL,
    CONTRACT_BODY,
    CONTRACT_EVIDENCE,
    CONTRACT_TITLE,
    FOLLOW_UP_BODY,
    FOLLOW_UP_TITLE,
    TITLES,
    alert_config,
    slack_texts,
    store,
)
from tests.conftest import ROOT
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TERM = "إس-400"
OTHER_TERM = "روسوبورون إكسبورت"
# The evidence with both watched terms it holds highlighted.
MARKED = CONTRACT_EVIDENCE.replace(TERM, f"*{TERM}*").replace(OTHER_TERM, f"*{OTHER_TERM}*")
CHROMIUM = Path("/usr/bin/chromium")


def channels(slack: FakeSlack, smtp: FakeSmtp, *, bot: bool = False) -> str:
    slack_toml = (
        f'bot_token = "{slack.bot_token}"\nchannel = "#s400"\napi_base_url = "{slack.api_url}"'
        if bot
        else f'webhook_url = "{slack.webhook_url}"'
    )
    return f"[alerts.slack]\n{slack_toml}\n\n{email_only(smtp)}"


def email_only(smtp: FakeSmtp) -> str:
    return f"""[alerts.email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
sender = "marsad@example.org"
recipients = ["desk@example.org"]
"""


def dispatch(db: Database, config: Config) -> None:
    report = Dispatcher(db, config, build_transports(config.alerts)).dispatch()
    assert report.failed == report.retrying == 0, report.errors


def test_new_alert_shows_every_field_in_slack_and_email(
    database: Database, slack: FakeSlack, smtp: FakeSmtp
) -> None:
    config = alert_config(channels(slack, smtp))
    original = store(database, config, "wire", "turkey-deal", CONTRACT_TITLE, CONTRACT_BODY)
    copy = store(database, config, "echo", "turkey-deal-copy", CONTRACT_TITLE, CONTRACT_BODY)
    assert (original.status, copy.status) == ("new", "copy")
    dispatch(database, config)
    page = f"{BASE_URL}/articles/{original.article_id}"

    [post] = slack.posts
    payload = post.payload
    texts = slack_texts(payload)
    print("\n--- Slack payload (new alert) ---")
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    # The topic in Arabic and English: the header, and the text fallback.
    assert payload["blocks"][0]["text"]["text"] == "عقد / Contract"
    assert payload["text"].startswith("عقد / Contract: ")
    # The countries in Arabic, never the stored English names.
    assert "*الدول / Countries*\nروسيا، تركيا" in texts
    assert "Turkey" not in texts and "Russia" not in texts
    # The evidence sentence, the matched terms in bold.
    assert f"*الدليل / Evidence*\n>{MARKED}" in texts
    # The amount: the article's words, value and currency.
    assert "*المبالغ / Amounts*\n2.5 مليار دولار (USD 2,500,000,000)" in texts
    # The outlet's display name, not the source's config name.
    assert f"*المصدر / Outlet*\n{TITLES['wire']}" in texts
    assert "(wire)" not in texts
    # The copies and the outlets that ran it.
    assert "*التغطية / Coverage*\nالتقارير: 1 · النسخ: 1" in texts
    assert f"*نشرته / Outlets*\n{TITLES['wire']}، {TITLES['echo']}" in texts
    # The article's page in Marsad.
    assert f"<{page}|افتح في مرصد / Open in Marsad>" in texts

    [mail] = smtp.messages
    assert mail["Subject"] == f"[Marsad] Contract / عقد: {CONTRACT_TITLE}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    print("\n--- Email text part (new alert) ---")
    print(text)
    for part in (text, unescape(html)):
        assert "عقد / Contract" in part
        assert "روسيا، تركيا" in part
        assert "2.5 مليار دولار (USD 2,500,000,000)" in part
        assert TITLES["wire"] in part
        assert "التقارير: 1 · النسخ: 1" in part
        assert f"{TITLES['wire']}، {TITLES['echo']}" in part
        assert page in part
    assert MARKED in text
    assert f"<strong>{TERM}</strong>" in html and f"<strong>{OTHER_TERM}</strong>" in html
    assert f'<a href="{page}">افتح في مرصد / Open in Marsad</a>' in html
    assert "الدول / Countries: روسيا، تركيا" in text


def test_without_a_base_url_the_alert_links_nowhere_in_marsad(
    database: Database, slack: FakeSlack, smtp: FakeSmtp
) -> None:
    config = alert_config(channels(slack, smtp), web=False)
    store(database, config, "wire", "turkey-deal", CONTRACT_TITLE, CONTRACT_BODY)
    dispatch(database, config)
    [post] = slack.posts
    assert "/articles/" not in json.dumps(post.payload)
    assert "مرصد / Open" not in slack_texts(post.payload)
    [mail] = smtp.messages
    assert "/articles/" not in mail.get_body(("plain",)).get_content()
    # Everything else is still there.
    assert "التقارير: 1 · النسخ: 0" in slack_texts(post.payload)


def test_a_threaded_follow_up_shows_the_counts_as_they_grew(
    database: Database, slack: FakeSlack, smtp: FakeSmtp
) -> None:
    config = alert_config('[alerts]\nfollow_ups = "thread"\n\n' + channels(slack, smtp, bot=True))
    first = store(
        database, config, "wire", "turkey-deal", CONTRACT_TITLE, CONTRACT_BODY, hours_ago=3
    )
    dispatch(database, config)
    assert "التقارير: 1 · النسخ: 0" in slack_texts(slack.posts[0].payload)
    store(database, config, "echo", "turkey-deal-copy", CONTRACT_TITLE, CONTRACT_BODY, hours_ago=2)
    follow = store(database, config, "daily", "deal-source", FOLLOW_UP_TITLE, FOLLOW_UP_BODY)
    assert follow.status == "new" and follow.development_id == first.development_id
    dispatch(database, config)

    reply = slack.posts[-1].payload
    assert reply["thread_ts"] == slack.posts[0].ts
    texts = slack_texts(reply)
    assert reply["blocks"][0]["text"]["text"] == "متابعة / Follow-up · عقد / Contract"
    assert "*التغطية / Coverage*\nالتقارير: 2 · النسخ: 1" in texts
    outlets = "، ".join(TITLES[s] for s in ("wire", "echo", "daily"))
    assert f"*نشرته / Outlets*\n{outlets}" in texts
    assert f"*المصدر / Outlet*\n{TITLES['daily']}" in texts
    assert f"{BASE_URL}/articles/{follow.article_id}|" in texts
    mail = smtp.messages[-1]
    assert mail["In-Reply-To"] == smtp.messages[0]["Message-ID"]
    text = mail.get_body(("plain",)).get_content()
    assert "التقارير: 2 · النسخ: 1" in text and outlets in text


def test_the_digest_lists_follow_ups_and_new_copies_with_their_counts(
    database: Database, slack: FakeSlack, smtp: FakeSmtp
) -> None:
    config = alert_config(channels(slack, smtp))
    first = store(
        database, config, "wire", "turkey-deal", CONTRACT_TITLE, CONTRACT_BODY, hours_ago=3
    )
    dispatch(database, config)
    store(database, config, "echo", "turkey-deal-copy", CONTRACT_TITLE, CONTRACT_BODY, hours_ago=2)
    follow = store(database, config, "daily", "deal-source", FOLLOW_UP_TITLE, FOLLOW_UP_BODY)
    assert follow.development_id == first.development_id
    assert queue_digest(database, config) > 0
    dispatch(database, config)

    digest = slack.posts[-1].payload
    texts = slack_texts(digest)
    assert digest["blocks"][0]["text"]["text"] == "الملخص اليومي / Daily digest"
    outlets = "، ".join(TITLES[s] for s in ("wire", "echo", "daily"))
    # The development's first report and its follow-up, each with the counts so far.
    assert texts.count(f"التقارير: 2 · النسخ: 1 — {outlets}") == 2
    assert f"↳ {FOLLOW_UP_TITLE}" in texts
    assert f"<{BASE_URL}/articles/{first.article_id}|" in texts
    assert f"<{BASE_URL}/articles/{follow.article_id}|" in texts
    assert "روسيا، تركيا" in texts
    assert TITLES["daily"] in texts
    text = smtp.messages[-1].get_body(("plain",)).get_content()
    assert f"التقارير: 2 · النسخ: 1 — {outlets}" in text
    assert f"{BASE_URL}/articles/{follow.article_id}" in text

    # A copy that comes in after the digest shows up, with the new count, in the next one.
    tomorrow = utcnow() + timedelta(days=1)
    store(
        database,
        config,
        "daily",
        "turkey-deal-copy",
        CONTRACT_TITLE,
        CONTRACT_BODY,
        fetched_at=tomorrow - timedelta(hours=12),
    )
    assert queue_digest(database, config, tomorrow) == 1
    dispatch(database, config)
    later = slack_texts(slack.posts[-1].payload)
    assert f"⟳ {CONTRACT_TITLE}" in later
    assert "التقارير: 2 · النسخ: 2" in later
    assert FOLLOW_UP_TITLE not in later


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent (apt-get install chromium fonts-noto-core)",
)
def test_alert_screenshot_in_arabic(database: Database, tmp_path: Path, smtp: FakeSmtp) -> None:
    """The email's HTML, as a mail reader shows it, in real Chromium (as tests/test_browser.py
    drives it); with MARSAD_UPDATE_SCREENSHOTS=1 the picture replaces docs/screenshot-alert.png."""
    from playwright.sync_api import sync_playwright

    config = alert_config(email_only(smtp))
    store(database, config, "wire", "turkey-deal", CONTRACT_TITLE, CONTRACT_BODY)
    store(database, config, "echo", "turkey-deal-copy", CONTRACT_TITLE, CONTRACT_BODY)
    dispatch(database, config)
    html = smtp.messages[0].get_body(("html",)).get_content()
    shot = tmp_path / "screenshot-alert.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_context(
                java_script_enabled=False, locale="ar", viewport={"width": 820, "height": 600}
            ).new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.set_content(html)
            assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
            assert page.locator("strong", has_text=TERM).count() == 1
            box = page.locator("h2").bounding_box()
            assert box and box["width"] > 100
            page.screenshot(path=str(shot), full_page=True)
            # The mail fetches nothing: no remote image, font or script.
            assert [u for u in requests if not u.startswith(("about:", "data:"))] == []
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("MARSAD_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-alert.png")
