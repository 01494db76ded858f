"""Slack transports against the loopback fake Slack (real HTTP, no mocks)."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, datetime

import pytest

from alerts.render import AlertMessage
from alerts.slack import SlackBotTransport, SlackWebhookTransport
from alerts.transport import PermanentError, TransientError, Transport, parse_retry_after
from tests.fakes.slack import FakeSlack, SlackReply, free_port_url

HOSTILE = '<!channel> <@U123> <script>alert(1)</script> & "x"'


def _msg(kind: str = "new", **kw: object) -> AlertMessage:
    fields: dict[str, object] = {
        "alert_id": 1,
        "development_id": 2,
        "topics": ["contract"],
        "headline": "أنقرة توقع عقدا جديدا لشراء إس-400",
        "url": "https://news.example.org/a/1",
        "outlet": "وكالة المثال",
        "evidence": "وقعت أنقرة عقدا جديدا لشراء منظومة إس-400.",
        "highlight_terms": ["إس-400"],
    }
    fields.update(kw)
    return AlertMessage(kind=kind, **fields)  # type: ignore[arg-type]


def _all_text(exc: BaseException) -> str:
    return str(exc) + repr(exc) + "".join(traceback.format_exception(exc))


def _assert_no_secret(exc: BaseException, fake: FakeSlack) -> None:
    text = _all_text(exc)
    assert fake.webhook_path not in text
    assert "fakewebhooksecret" not in text
    assert fake.bot_token not in text
    assert "127.0.0.1" in str(exc)  # errors name the host


def test_transports_follow_the_protocol(slack: FakeSlack) -> None:
    hook = SlackWebhookTransport(slack.webhook_url)
    bot = SlackBotTransport(slack.bot_token, "#s400", base_url=slack.api_url)
    assert isinstance(hook, Transport) and isinstance(bot, Transport)
    assert (hook.name, hook.can_thread) == ("slack", False)
    assert (bot.name, bot.can_thread) == ("slack", True)
    assert "fakewebhooksecret" not in repr(hook)
    assert slack.bot_token not in repr(bot)


def test_webhook_post_arrives_escaped(slack: FakeSlack) -> None:
    hook = SlackWebhookTransport(slack.webhook_url)
    assert hook.send(_msg(headline=HOSTILE)) is None
    [post] = slack.posts
    assert post.endpoint == "webhook"
    assert post.headers["Content-Type"].startswith("application/json")
    raw = json.dumps(post.payload, ensure_ascii=False)
    assert "<!channel>" not in raw and "<@U123>" not in raw and "<script>" not in raw
    section = post.payload["blocks"][1]["text"]["text"]
    assert (
        '&lt;!channel&gt; &lt;@U123&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; "x"' in section
    )
    assert "&lt;!channel&gt;" in post.payload["text"]


def test_webhook_429_then_500_then_ok(slack: FakeSlack) -> None:
    slack.script(SlackReply.rate_limited(7), SlackReply.server_error(500))
    hook = SlackWebhookTransport(slack.webhook_url)
    with pytest.raises(TransientError) as rate:
        hook.send(_msg())
    assert rate.value.retry_after == 7
    with pytest.raises(TransientError) as boom:
        hook.send(_msg())
    assert boom.value.retry_after is None
    assert "500" in str(boom.value)
    hook.send(_msg())
    assert [r.status for r in slack.requests] == [429, 500, 200]
    assert len(slack.posts) == 1
    for exc in (rate.value, boom.value):
        _assert_no_secret(exc, slack)


def test_webhook_client_errors_are_permanent(slack: FakeSlack) -> None:
    slack.script(SlackReply(404, "no_service"), SlackReply(410, "channel_is_archived"))
    hook = SlackWebhookTransport(slack.webhook_url)
    with pytest.raises(PermanentError) as gone:
        hook.send(_msg())
    assert "no_service" in str(gone.value)
    _assert_no_secret(gone.value, slack)
    with pytest.raises(PermanentError, match="channel_is_archived"):
        hook.send(_msg())
    # A wrong webhook path is answered 404 by the fake: permanent too.
    with pytest.raises(PermanentError):
        SlackWebhookTransport(slack.base_url + "/services/T0/B0/wrongsecret").send(_msg())


def test_webhook_down_timeout_and_refused_are_transient(slack: FakeSlack) -> None:
    hook = SlackWebhookTransport(slack.webhook_url, timeout=0.3)
    slack.down = True
    with pytest.raises(TransientError) as dropped:
        hook.send(_msg())
    _assert_no_secret(dropped.value, slack)
    slack.down = False

    slack.script(SlackReply.slow(1.0))
    with pytest.raises(TransientError, match="timed out") as slow:
        hook.send(_msg())
    _assert_no_secret(slow.value, slack)

    url = free_port_url(slack.webhook_path)
    with pytest.raises(TransientError) as refused:
        SlackWebhookTransport(url, timeout=2).send(_msg())
    text = _all_text(refused.value)
    assert "fakewebhooksecret" not in text
    assert refused.value.__context__ is None and refused.value.__cause__ is None


def test_bot_posts_and_threads_follow_ups(slack: FakeSlack) -> None:
    bot = SlackBotTransport(slack.bot_token, "#s400", base_url=slack.api_url)
    parent_ts = bot.send(_msg())
    child_ts = bot.send(_msg("follow-up", alert_id=3, headline="متابعة للخبر"), reply_to=parent_ts)
    parent, child = slack.posts
    assert parent.endpoint == child.endpoint == "chat.postMessage"
    assert parent.headers["Authorization"] == f"Bearer {slack.bot_token}"
    assert parent.payload["channel"] == "#s400"
    assert "thread_ts" not in parent.payload
    assert child.payload["thread_ts"] == parent_ts == parent.ts
    assert child_ts == child.ts != parent_ts
    assert child.payload["blocks"][0]["text"]["text"].startswith("متابعة / Follow-up")


def test_bot_rate_limits_are_transient(slack: FakeSlack) -> None:
    bot = SlackBotTransport(slack.bot_token, "#s400", base_url=slack.api_url)
    slack.script(SlackReply.rate_limited(12, api=True), SlackReply.api_error("ratelimited"))
    with pytest.raises(TransientError) as http429:
        bot.send(_msg())
    assert http429.value.retry_after == 12
    with pytest.raises(TransientError, match="ratelimited") as api:
        bot.send(_msg())
    assert api.value.retry_after is None
    slack.script(SlackReply.server_error(503))
    with pytest.raises(TransientError):
        bot.send(_msg())
    assert bot.send(_msg())
    for exc in (http429.value, api.value):
        _assert_no_secret(exc, slack)


def test_bot_bad_token_or_channel_is_permanent_without_leaking_token(slack: FakeSlack) -> None:
    bad = SlackBotTransport("xoxb-wrong-token-secret", "#s400", base_url=slack.api_url)
    with pytest.raises(PermanentError, match="invalid_auth") as auth:
        bad.send(_msg())
    assert "xoxb-wrong-token-secret" not in _all_text(auth.value)
    slack.script(SlackReply.api_error("channel_not_found"))
    bot = SlackBotTransport(slack.bot_token, "#nope", base_url=slack.api_url)
    with pytest.raises(PermanentError, match="channel_not_found") as chan:
        bot.send(_msg())
    _assert_no_secret(chan.value, slack)
    assert slack.posts == []


def test_retry_after_parsing() -> None:
    now = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("Sat, 01 Jun 2024 12:01:00 GMT", now=now) == 60
    assert parse_retry_after("Sat, 01 Jun 2024 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("-5") == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_basic_auth_in_a_webhook_url_is_scrubbed_from_errors(slack: FakeSlack) -> None:
    user, password = "desk", "pa$s-w0rd-x"
    url = slack.webhook_url.replace("http://", "http://desk:pa%24s-w0rd-x@", 1)
    header = "ZGVzazpwYSRzLXcwcmQteA=="  # base64 of desk:pa$s-w0rd-x
    # A server that echoes what it was sent, the credentials among it.
    echo = f"denied: {user}:{password} pa%24s-w0rd-x Basic {header} {url}"
    slack.script(SlackReply(401, echo))
    with pytest.raises(PermanentError) as denied:
        SlackWebhookTransport(url).send(_msg())
    assert slack.requests[-1].headers["Authorization"] == f"Basic {header}"
    text = _all_text(denied.value)
    for secret in (password, "pa%24s-w0rd-x", header, "fakewebhooksecret"):
        assert secret not in text
    assert str(denied.value).startswith("Slack 127.0.0.1: webhook HTTP 401: denied: ***")
