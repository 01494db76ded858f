"""`[[alerts.routes]]`: an alert whose topics or countries a route matches goes to that route's
Slack channel, webhook or mail list instead of the default channels; the rest go to the
defaults. Checked on what a fake Slack and a real SMTP server (aiosmtpd) receive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from alerts.channels import build_transports
from alerts.digest import queue_digest
from alerts.outbox import Dispatcher
from crawler.config import Config
from crawler.storage.db import Database
from crawler.storage.models import Alert
from tests.alerting import (
    CONTRACT_BODY,
    CONTRACT_TITLE,
    DELIVERY_BODY,
    DELIVERY_TITLE,
    FOLLOW_UP_BODY,
    FOLLOW_UP_TITLE,
    SANCTION_BODY,
    SANCTION_TITLE,
    alert_config,
    slack_texts,
    store,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

NEGOTIATION_TITLE = "مصر تتفاوض مع روسيا على منظومة إس-400"
NEGOTIATION_BODY = (
    "قال مسؤول مصري إن القاهرة تجري مفاوضات مع موسكو بشأن شراء منظومة إس-400 للدفاع الجوي.\n"
    "وأضاف أن المحادثات ما زالت في مراحلها الأولى ولم يحدد موعد لإبرام أي اتفاق."
)
HOOK_VAR = "MARSAD_TEST_ROUTE_HOOK"


@pytest.fixture
def india_hook() -> Iterator[FakeSlack]:
    """Another Slack workspace, reached by a route's own webhook."""
    with FakeSlack() as fake:
        yield fake


def routed_config(slack: FakeSlack, smtp: FakeSmtp, follow_ups: str = "thread") -> Config:
    return alert_config(f"""[alerts]
follow_ups = "{follow_ups}"

[alerts.slack]
bot_token = "{slack.bot_token}"
channel = "#s400"
api_base_url = "{slack.api_url}"

[alerts.email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
sender = "marsad@example.org"
recipients = ["desk@example.org"]

[[alerts.routes]]
topics = ["sanction"]
slack_channel = "#compliance"

[[alerts.routes]]
countries = ["تركيا"]
email_recipients = ["turkey-desk@example.org"]

[[alerts.routes]]
topics = ["delivery", "contract"]
countries = ["india"]
slack_webhook_url = "${{{HOOK_VAR}}}"
""")


def dispatch(db: Database, config: Config) -> None:
    report = Dispatcher(db, config, build_transports(config.alerts)).dispatch()
    assert report.failed == report.retrying == 0, report.errors


def headlines_by_channel(slack: FakeSlack) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for post in slack.posts:
        channel = post.payload.get("channel", "webhook")
        found.setdefault(channel, []).append(slack_texts(post.payload))
    return found


def test_routes_send_matched_alerts_to_their_targets_and_the_rest_to_the_defaults(
    database: Database,
    slack: FakeSlack,
    india_hook: FakeSlack,
    smtp: FakeSmtp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(HOOK_VAR, india_hook.webhook_url)
    config = routed_config(slack, smtp)
    store(database, config, "wire", "sanction", SANCTION_TITLE, SANCTION_BODY)
    store(database, config, "daily", "contract", CONTRACT_TITLE, CONTRACT_BODY)
    store(database, config, "echo", "india", DELIVERY_TITLE, DELIVERY_BODY)
    store(database, config, "wire", "egypt", NEGOTIATION_TITLE, NEGOTIATION_BODY)
    dispatch(database, config.with_secrets())

    # The sanction story (United States, Turkey): the compliance channel and the Turkey desk.
    # The contract (Turkey, Russia): the Turkey desk only. The delivery to India: its webhook.
    # Only the Egyptian negotiation, matched by no route, goes to the default channels.
    by_channel = headlines_by_channel(slack)
    assert set(by_channel) == {"#compliance", "#s400"}
    assert [SANCTION_TITLE in t for t in by_channel["#compliance"]] == [True]
    assert [NEGOTIATION_TITLE in t for t in by_channel["#s400"]] == [True]
    [india] = india_hook.posts
    assert DELIVERY_TITLE in slack_texts(india.payload)
    assert "channel" not in india.payload

    mails = {m.message["Subject"].split(": ", 1)[1]: m.rcpt_tos for m in smtp.received}
    assert mails == {
        SANCTION_TITLE: ["turkey-desk@example.org"],
        CONTRACT_TITLE: ["turkey-desk@example.org"],
        NEGOTIATION_TITLE: ["desk@example.org"],
    }
    # The outbox keeps its channels (slack | email); the route is in the row's key.
    with database.read() as session:
        rows = session.scalars(select(Alert).where(Alert.kind == "new")).all()
        assert {r.channel for r in rows} == {"slack", "email"}
        assert sorted(r.key.rpartition(":")[2] for r in rows) == [
            "email",
            "email@route1",
            "email@route1",
            "slack",
            "slack@route0",
            "slack@route2",
        ]
        assert all(r.status == "sent" for r in rows)


def test_a_routed_development_threads_its_follow_ups_in_its_own_channel(
    database: Database, slack: FakeSlack
) -> None:
    config = alert_config(
        f"""[alerts]
follow_ups = "thread"

[alerts.slack]
bot_token = "{slack.bot_token}"
channel = "#s400"
api_base_url = "{slack.api_url}"

[[alerts.routes]]
countries = ["Turkey"]
slack_channel = "#turkey"
"""
    )
    first = store(database, config, "wire", "deal", CONTRACT_TITLE, CONTRACT_BODY, hours_ago=3)
    dispatch(database, config)
    follow = store(database, config, "daily", "deal-source", FOLLOW_UP_TITLE, FOLLOW_UP_BODY)
    assert follow.development_id == first.development_id
    dispatch(database, config)
    parent, reply = slack.posts
    assert parent.payload["channel"] == reply.payload["channel"] == "#turkey"
    assert reply.payload["thread_ts"] == parent.ts


def test_the_digest_goes_to_each_destination_with_its_own_developments(
    database: Database,
    slack: FakeSlack,
    india_hook: FakeSlack,
    smtp: FakeSmtp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(HOOK_VAR, india_hook.webhook_url)
    config = routed_config(slack, smtp, follow_ups="digest")
    store(database, config, "wire", "sanction", SANCTION_TITLE, SANCTION_BODY)
    store(database, config, "wire", "egypt", NEGOTIATION_TITLE, NEGOTIATION_BODY)
    config = config.with_secrets()
    dispatch(database, config)
    slack.reset()
    smtp.received.clear()
    assert queue_digest(database, config) == 2
    dispatch(database, config)
    by_channel = headlines_by_channel(slack)
    assert SANCTION_TITLE in by_channel["#compliance"][0]
    assert NEGOTIATION_TITLE not in by_channel["#compliance"][0]
    assert NEGOTIATION_TITLE in by_channel["#s400"][0]
    assert SANCTION_TITLE not in by_channel["#s400"][0]
    # No development routes to India's webhook: it gets no digest.
    assert india_hook.posts == []
    recipients = sorted(m.rcpt_tos[0] for m in smtp.received)
    assert recipients == ["desk@example.org", "turkey-desk@example.org"]
