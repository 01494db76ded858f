"""Developments and alerts end to end: a crawl over loopback HTTP, a fake Slack, and a real
SMTP server (aiosmtpd), driven through `marsad run --once` and the dispatcher."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from alerts.channels import build_transports
from alerts.outbox import Dispatcher
from crawler.config import load_config
from crawler.storage.db import open_database
from tests.conftest import write_config
from tests.fakes.slack import FakeSlack, SlackReply
from tests.fakes.smtp import FakeSmtp
from tests.helpers import invoke_marsad, stored_articles

SMTP_USER, SMTP_PASSWORD = "desk", "s3cret-smtp-pass"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def smtp():
    fake = FakeSmtp(username=SMTP_USER, password=SMTP_PASSWORD)
    yield fake
    fake.stop()


def alert_config(
    tmp_path: Path, db_url: str, web, slack: FakeSlack, smtp: FakeSmtp, monkeypatch, extra: str = ""
) -> Path:
    monkeypatch.setenv("TEST_SLACK_WEBHOOK", slack.webhook_url)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    body = f"""
[alerts]
retry_backoff = "1s"
dispatch_lease = "3s"
{extra}

[alerts.slack]
webhook_url = "${{TEST_SLACK_WEBHOOK}}"

[alerts.email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
username = "{SMTP_USER}"
password = "${{TEST_SMTP_PASSWORD}}"
sender = "marsad@example.org"
recipients = ["desk@example.org"]

{web.sources_toml(["rss"])}"""
    return write_config(tmp_path / "marsad.toml", db_url, body)


def alerts_of(config: Path) -> list[dict]:
    result = invoke_marsad("alerts", "list", "--format", "json", config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_new_alert_per_development_delivered_to_slack_and_email(
    web, db_url: str, tmp_path: Path, slack: FakeSlack, smtp: FakeSmtp, monkeypatch
) -> None:
    smtp.start()
    config = alert_config(tmp_path, db_url, web, slack, smtp, monkeypatch)
    result = invoke_marsad("run", "--once", config=config)
    assert result.returncode == 0, result.stderr

    articles = stored_articles(config)
    rows = alerts_of(config)
    new = [r for r in rows if r["kind"] == "new"]
    developments_alerted = {r["development_id"] for r in new}
    # One row per channel per development, and every one delivered.
    assert len(new) == 2 * len(developments_alerted)
    assert all(r["status"] == "sent" and r["attempts"] == 1 for r in new)
    assert len(slack.posts) == len(developments_alerted)
    assert len(smtp.messages) == len(developments_alerted)

    # Copies never alert and share their original's development.
    by_id = {a["id"]: a for a in articles}
    for article in articles:
        if article["duplicate_of"]:
            assert article["development_id"] == by_id[article["duplicate_of"]]["development_id"]
    alerted_articles = {r["article_id"] for r in new}
    assert not alerted_articles & {a["id"] for a in articles if a["duplicate_of"]}

    # Follow-ups attach to an existing development and wait for the digest.
    for row in rows:
        if row["kind"] == "follow-up":
            assert row["development_id"] in {a["development_id"] for a in articles}
            assert row["status"] == "pending"

    # The outlet's old article (older than alerts.max_age) is stored but not alerted.
    old_specs = [
        s
        for s in web.articles()
        if s.expected.relevant and time.time() - s.published.timestamp() > 5 * 86400
    ]
    assert old_specs, "the starter set has an article older than max_age"
    for spec in old_specs:
        article = next(a for a in articles if web.key_for_url(a["url"]) == spec.key)
        assert article["id"] not in {r["article_id"] for r in rows}

    # Slack payloads carry Block Kit and a text fallback; emails are RTL HTML + text.
    payload = slack.posts[0].payload
    assert payload["blocks"] and payload["text"]
    mail = smtp.messages[0]
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html

    # An unchanged re-crawl sends nothing.
    posts, mails = len(slack.posts), len(smtp.messages)
    again = invoke_marsad("run", "--once", config=config)
    assert again.returncode == 0, again.stderr
    assert (len(slack.posts), len(smtp.messages)) == (posts, mails)
    assert len(alerts_of(config)) == len(rows)

    # No secret reaches a log line or the CLI's output.
    for text in (result.stderr, result.stdout, again.stderr, json.dumps(rows)):
        assert slack.webhook_url not in text
        assert SMTP_PASSWORD not in text


def test_rate_limit_is_waited_out_and_smtp_down_at_first_gets_it_later(
    web, tmp_path: Path, slack: FakeSlack, smtp: FakeSmtp, monkeypatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alert_config(tmp_path, db_url, web, slack, smtp, monkeypatch)
    slack.script(SlackReply.rate_limited(retry_after=2), SlackReply.server_error(500))
    # SMTP is down for the first dispatch.
    first = invoke_marsad("run", "--once", config=config)
    assert first.returncode == 0, first.stderr
    rows = alerts_of(config)
    new_slack = [r for r in rows if r["kind"] == "new" and r["channel"] == "slack"]
    new_email = [r for r in rows if r["kind"] == "new" and r["channel"] == "email"]
    assert all(r["status"] == "pending" for r in new_email)
    assert len(slack.posts) == len(new_slack) - 2  # one 429, one 500

    smtp.start()
    cfg = load_config(config)
    db = open_database(cfg.database.url)
    dispatcher = Dispatcher(db, cfg, build_transports(cfg.alerts))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        dispatcher.dispatch()
        rows = alerts_of(config)
        if all(r["status"] == "sent" for r in rows if r["kind"] == "new"):
            break
        time.sleep(0.5)
    db.dispose()
    assert all(r["status"] == "sent" for r in rows if r["kind"] == "new"), rows
    assert len(slack.posts) == len(new_slack)
    assert len(smtp.messages) == len(new_email)
    retried = [r for r in rows if r["kind"] == "new" and r["attempts"] > 1]
    assert {r["channel"] for r in retried} == {"slack", "email"}


@pytest.mark.slow
def test_failures_end_as_failed_after_max_attempts(
    web, tmp_path: Path, slack: FakeSlack, smtp: FakeSmtp, monkeypatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alert_config(tmp_path, db_url, web, slack, smtp, monkeypatch, "max_attempts = 2")
    slack.down = True
    assert invoke_marsad("run", "--once", config=config).returncode == 0
    time.sleep(2.5)
    assert invoke_marsad("run", "--once", config=config).returncode == 0
    rows = [r for r in alerts_of(config) if r["kind"] == "new"]
    assert rows and all(r["status"] == "failed" and r["attempts"] == 2 for r in rows)
    status = invoke_marsad("status", "--format", "json", config=config)
    assert status.returncode == 1
    assert json.loads(status.stdout)["outbox"]["failed"] == len(rows)
    # `alerts retry` makes one due again.
    slack.down = False
    smtp.start()
    retry = invoke_marsad("alerts", "retry", str(rows[0]["id"]), config=config)
    assert retry.returncode == 0, retry.stderr
    assert invoke_marsad("run", "--once", config=config).returncode == 0
    after = {r["id"]: r for r in alerts_of(config)}
    assert after[rows[0]["id"]]["status"] == "sent"


def test_two_dispatchers_send_each_alert_exactly_once(
    web, db_url: str, tmp_path: Path, slack: FakeSlack, smtp: FakeSmtp, monkeypatch
) -> None:
    smtp.start()
    config = alert_config(tmp_path, db_url, web, slack, smtp, monkeypatch)
    assert invoke_marsad("crawl", config=config).returncode == 0
    cfg = load_config(config)
    pending = [r for r in alerts_of(config) if r["status"] == "pending" and r["kind"] == "new"]
    assert pending

    def work() -> None:
        db = open_database(cfg.database.url)
        dispatcher = Dispatcher(db, cfg, build_transports(cfg.alerts))
        # Small batches, so that the two dispatchers interleave claim by claim.
        while dispatcher.dispatch(limit=1).sent:
            pass
        db.dispose()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    rows = [r for r in alerts_of(config) if r["kind"] == "new"]
    assert all(r["status"] == "sent" and r["attempts"] == 1 for r in rows)
    slack_rows = [r for r in rows if r["channel"] == "slack"]
    assert len(slack.posts) == len(slack_rows)
    assert len(smtp.messages) == len(rows) - len(slack_rows)


def test_injection_in_headline_arrives_escaped(
    tmp_path: Path, slack: FakeSlack, smtp: FakeSmtp, monkeypatch
) -> None:
    from tests.fixtureweb import default_web

    smtp.start()
    with default_web(include_injection=True) as web:
        config = alert_config(
            tmp_path, f"sqlite:///{tmp_path / 'm.db'}", web, slack, smtp, monkeypatch
        )
        assert invoke_marsad("run", "--once", config=config).returncode == 0
    texts = [json.dumps(p.payload, ensure_ascii=False) for p in slack.posts]
    hostile = [t for t in texts if "script" in t]
    assert hostile, "the injection article was alerted"
    for text in hostile:
        assert "<!channel>" not in text and "<@U123>" not in text and "<script>" not in text
        assert "&lt;script&gt;" in text and "&amp;" in text
    htmls = [m.get_body(("html",)).get_content() for m in smtp.messages]
    hostile_html = [h for h in htmls if "script" in h]
    assert hostile_html
    for html in hostile_html:
        assert "<script>" not in html and "&lt;script&gt;" in html
