"""SMTP transport against a real aiosmtpd server on loopback."""

from __future__ import annotations

import traceback
from collections.abc import Iterator

import pytest

from alerts.email import SmtpTransport
from alerts.render import AlertMessage
from alerts.transport import PermanentError, TransientError, Transport
from tests.fakes.smtp import SMTP_PASSWORD, SMTP_USER, FakeSmtp

HOSTILE = '<!channel> <@U123> <script>alert(1)</script> & "x"'
SENDER = "marsad@alerts.example.org"

# The fake speaks AUTH over plain SMTP on loopback, which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
RECIPIENTS = ["desk@example.org", "analyst@example.org"]


@pytest.fixture
def smtp_auth() -> Iterator[FakeSmtp]:
    fake = FakeSmtp(username=SMTP_USER, password=SMTP_PASSWORD).start()
    try:
        yield fake
    finally:
        fake.stop()


def _transport(fake: FakeSmtp, **kw: object) -> SmtpTransport:
    options: dict[str, object] = {
        "username": SMTP_USER,
        "password": SMTP_PASSWORD,
        "sender": SENDER,
        "recipients": RECIPIENTS,
        "timeout": 5,
    }
    options.update(kw)
    return SmtpTransport(fake.host, fake.port, **options)  # type: ignore[arg-type]


def _msg(kind: str = "new", **kw: object) -> AlertMessage:
    fields: dict[str, object] = {
        "alert_id": 10,
        "development_id": 4,
        "topics": ["sanction"],
        "headline": "واشنطن تلوح بعقوبات جديدة بسبب إس-400",
        "url": "https://news.example.org/b/2",
        "outlet": "صحيفة المثال",
        "countries": ["United States", "Turkey"],
        "evidence": "هددت واشنطن بفرض عقوبات إضافية على أنقرة بسبب صفقة إس-400.",
        "highlight_terms": ["إس-400"],
    }
    fields.update(kw)
    return AlertMessage(kind=kind, **fields)  # type: ignore[arg-type]


def _all_text(exc: BaseException) -> str:
    return str(exc) + repr(exc) + "".join(traceback.format_exception(exc))


def test_smtp_auth_login_delivers_rtl_mail(smtp_auth: FakeSmtp) -> None:
    transport = _transport(smtp_auth)
    assert isinstance(transport, Transport)
    assert (transport.name, transport.can_thread) == ("email", True)
    message_id = transport.send(_msg(headline=HOSTILE))
    [mail] = smtp_auth.received
    assert mail.login == SMTP_USER
    assert mail.mail_from == SENDER
    assert mail.rcpt_tos == RECIPIENTS
    em = mail.message
    assert em["Message-ID"] == message_id == "<marsad-dev-4@alerts.example.org>"
    assert em["Subject"] == f"[Marsad] Sanction / عقوبات: {HOSTILE}"
    assert em.get_content_type() == "multipart/alternative"
    html_part = em.get_body(("html",)).get_content()
    assert '<html dir="rtl" lang="ar">' in html_part
    assert "<!channel>" not in html_part and "<script>" not in html_part
    assert (
        "&lt;!channel&gt; &lt;@U123&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;"
        in html_part
    )
    assert "<strong>إس-400</strong>" in html_part
    assert HOSTILE in em.get_body(("plain",)).get_content()


def test_follow_up_carries_in_reply_to(smtp_auth: FakeSmtp) -> None:
    transport = _transport(smtp_auth)
    parent = transport.send(_msg())
    child = transport.send(_msg("follow-up", alert_id=11, headline="تقرير لاحق"), reply_to=parent)
    first, second = smtp_auth.wait_for_messages(2)
    assert second["Message-ID"] == child == "<marsad-alert-11@alerts.example.org>"
    assert second["In-Reply-To"] == first["Message-ID"] == parent
    assert second["References"] == parent
    # Without an explicit parent, the development's root id is used.
    transport.send(_msg("follow-up", alert_id=12, headline="تقرير ثالث"))
    assert smtp_auth.wait_for_messages(3)[2]["In-Reply-To"] == "<marsad-dev-4@alerts.example.org>"


def test_resend_keeps_message_id_and_subject(smtp_auth: FakeSmtp) -> None:
    transport = _transport(smtp_auth)
    transport.send(_msg())
    transport.send(_msg())
    a, b = smtp_auth.wait_for_messages(2)
    assert a["Message-ID"] == b["Message-ID"]
    assert a["Subject"] == b["Subject"]


def test_wrong_password_is_permanent_and_not_leaked(smtp_auth: FakeSmtp) -> None:
    secret = "wrong-password-9a8b7c"
    with pytest.raises(PermanentError) as exc:
        _transport(smtp_auth, password=secret).send(_msg())
    text = _all_text(exc.value)
    assert secret not in text and SMTP_PASSWORD not in text
    assert "535" in str(exc.value) and "127.0.0.1" in str(exc.value)
    assert exc.value.__context__ is None
    # smtplib tries each mechanism the server offers (PLAIN, LOGIN) before giving up.
    assert smtp_auth.failed_logins >= 1
    assert smtp_auth.received == []


def test_down_then_started_late() -> None:
    fake = FakeSmtp(username=SMTP_USER, password=SMTP_PASSWORD)  # port chosen, not listening
    transport = _transport(fake)
    with pytest.raises(TransientError) as down:
        transport.send(_msg())
    assert SMTP_PASSWORD not in _all_text(down.value)
    assert "connect" in str(down.value)
    fake.start()
    try:
        transport.send(_msg())
        assert len(fake.wait_for_messages(1)) == 1
    finally:
        fake.stop()


def test_server_replies_map_to_transient_and_permanent(smtp_auth: FakeSmtp) -> None:
    transport = _transport(smtp_auth)
    smtp_auth.reply_next("451 4.3.0 Try again later", "554 5.7.1 Message rejected")
    with pytest.raises(TransientError, match="451"):
        transport.send(_msg())
    with pytest.raises(PermanentError, match="554"):
        transport.send(_msg())
    transport.send(_msg())
    assert len(smtp_auth.received) == 1


def test_plain_smtp_without_auth() -> None:
    with FakeSmtp() as fake:
        transport = SmtpTransport(
            fake.host, fake.port, sender=SENDER, recipients=["one@example.org"]
        )
        transport.send(AlertMessage(kind="test", alert_id=1))
        [mail] = fake.received
        assert mail.login is None
        assert mail.message["Subject"] == "[Marsad] Test message / رسالة اختبار"
        assert mail.message["To"] == "one@example.org"


def test_auth_required_but_not_configured_is_permanent(smtp_auth: FakeSmtp) -> None:
    transport = _transport(smtp_auth, username=None, password=None)
    with pytest.raises(PermanentError, match="530"):
        transport.send(_msg())


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        SmtpTransport("h", 1, starttls=True, ssl=True, sender=SENDER, recipients=RECIPIENTS)
    with pytest.raises(ValueError):
        SmtpTransport("h", 1, sender=SENDER, recipients=[])


def test_a_long_arabic_subject_arrives_with_its_spaces() -> None:
    headline = (
        "وزارة الدفاع تؤكد أن الدفعة الثالثة من بطاريات إس-400 ستصل إلى القاعدة الجوية قبل "
        "نهاية الصيف المقبل بعد تأخير دام عدة أشهر بسبب خلاف على شروط الدفع والتدريب"
    )
    with FakeSmtp() as fake:
        transport = SmtpTransport(fake.host, fake.port, sender=SENDER, recipients=RECIPIENTS)
        transport.send(_msg(headline=headline))
        [mail] = fake.received
    subject = f"[Marsad] Sanction / عقوبات: {headline}"
    # Long enough that the mail library folds it over several lines.
    head = mail.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert head.split("Subject:", 1)[1].count("\r\n ") >= 3
    assert all(len(line) <= 78 for line in head.split("\r\n"))
    assert mail.message["Subject"] == subject
