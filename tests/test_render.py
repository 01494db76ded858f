"""Rendering of alert messages for Slack (Block Kit) and email (text + RTL HTML)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alerts.render import AlertMessage, Amount, Coverage, DigestItem, render_email, render_slack
from alerts.render.mail import alert_message_id, development_message_id
from alerts.render.message import amount_text, topic_label
from alerts.render.slack import SLACK_HEADER_LIMIT, SLACK_SECTION_LIMIT, slack_escape

HOSTILE = '<!channel> <@U123> <script>alert(1)</script> & "x"'
EVIDENCE = "وقالت الوكالة إن أنقرة تسلمت الدفعة الثانية من منظومة إس-400 الروسية هذا الأسبوع."
TERM = "إس-400"
DOMAIN = "alerts.example.org"


def _msg(**overrides: object) -> AlertMessage:
    start = EVIDENCE.index(TERM)
    fields: dict[str, object] = {
        "kind": "new",
        "alert_id": 41,
        "development_id": 7,
        "topics": ["delivery", "sanction"],
        "headline": "تركيا تتسلم دفعة ثانية من إس-400",
        "url": "https://news.example.org/2024/06/s400?utm_source=x&id=5",
        "outlet": "وكالة المثال",
        "published_at": datetime(2024, 6, 3, 9, 15, tzinfo=UTC),
        "countries": ["Turkey", "Russia"],
        "evidence": EVIDENCE,
        "highlight_terms": [(start, start + len(TERM))],
    }
    fields.update(overrides)
    return AlertMessage(**fields)  # type: ignore[arg-type]


def _mrkdwn_texts(payload: dict) -> list[str]:
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        for f in block.get("fields", []):
            texts.append(f["text"])
        for e in block.get("elements", []):
            texts.append(e["text"])
    return texts


def _email(msg: AlertMessage):
    return render_email(
        msg, sender="marsad@example.org", recipients=["desk@example.org"], message_id_domain=DOMAIN
    )


# --- Slack -----------------------------------------------------------------


def test_slack_payload_has_labels_link_and_bold_evidence() -> None:
    payload = render_slack(_msg())
    texts = "\n".join(_mrkdwn_texts(payload))
    assert payload["blocks"][0]["type"] == "header"
    assert payload["blocks"][0]["text"]["text"] == "تسليم / Delivery · عقوبات / Sanction"
    # Link with the URL's & escaped as Slack writes it.
    assert (
        "<https://news.example.org/2024/06/s400?utm_source=x&amp;id=5|تركيا تتسلم دفعة ثانية من إس-400>"
        in texts
    )
    assert "وكالة المثال" in texts
    assert "2024-06-03 09:15 UTC" in texts
    # Countries in Arabic, as the gazetteer names them.
    assert "تركيا، روسيا" in texts
    assert f"*{TERM}*" in texts
    assert payload["text"].startswith("تسليم / Delivery")


def test_slack_escapes_mentions_and_markup_everywhere() -> None:
    msg = _msg(
        headline=HOSTILE + " *bold* _it_",
        outlet="<!here> outlet",
        countries=["<@U999>"],
        evidence=f"نص <!everyone> فيه {TERM} & <b>",
        highlight_terms=[TERM],
    )
    payload = render_slack(msg)
    dumped = json.dumps(payload, ensure_ascii=False)
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U999>", "<script>", "<b>"):
        assert raw not in dumped
    texts = "\n".join(_mrkdwn_texts(payload))
    assert '&lt;!channel&gt; &lt;@U123&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; "x"' in texts
    assert "&lt;!here&gt; outlet" in texts
    # Article markers cannot turn into formatting: only our own * remain.
    assert "*bold*" not in texts and "_it_" not in texts
    assert f"*{TERM}*" in texts


def test_slack_escape_is_entity_escaping() -> None:
    assert slack_escape("a & <b> > c") == "a &amp; &lt;b&gt; &gt; c"
    assert slack_escape("line\nbreak") == "line break"


def test_slack_link_cannot_be_broken_by_url() -> None:
    payload = render_slack(_msg(url="https://evil.example/a|<!channel>"))
    section = payload["blocks"][1]["text"]["text"]
    assert "<!channel>" not in section
    assert section.startswith("*<https://evil.example/a%7C%3C!channel%3E|")
    # A non-http URL is not linked at all.
    payload = render_slack(_msg(url="javascript:alert(1)"))
    assert "javascript:" not in json.dumps(payload)


def test_slack_does_not_link_an_overlong_url() -> None:
    url = "https://news.example.org/a?" + "&x=1" * 600
    section = render_slack(_msg(url=url))["blocks"][1]["text"]["text"]
    assert "https://" not in section
    assert section == "*تركيا تتسلم دفعة ثانية من إس-400*"


def test_slack_bolds_a_term_glued_to_a_proclitic_as_whole_word() -> None:
    evidence = "أعلنت موسكو أنها ستسلم ولإس-400 جديدة قريبا"
    start = evidence.index(TERM)
    payload = render_slack(_msg(evidence=evidence, highlight_terms=[(start, start + len(TERM))]))
    assert "*ولإس-400*" in payload["blocks"][-2]["text"]["text"]


def test_slack_limits_are_respected() -> None:
    long_evidence = ("& " + TERM + " <x> ") * 800
    msg = _msg(
        topics=["contract", "negotiation", "delivery", "sanction", "other"] * 8,
        headline="ع" * 5000,
        evidence=long_evidence,
        highlight_terms=[TERM],
    )
    payload = render_slack(msg)
    assert len(payload["blocks"][0]["text"]["text"]) <= SLACK_HEADER_LIMIT
    for block in payload["blocks"]:
        if block["type"] == "section" and "text" in block:
            text = block["text"]["text"]
            assert len(text) <= SLACK_SECTION_LIMIT
            # Truncation never leaves half an entity behind.
            assert "&am…" not in text and not text.rstrip("…*").endswith("&")
    evidence_text = payload["blocks"][-2]["text"]["text"]
    assert evidence_text.endswith("…") or evidence_text.endswith("…*")
    assert len(payload["text"]) <= SLACK_SECTION_LIMIT


def test_slack_digest_lists_items_escaped() -> None:
    items = [
        DigestItem("أول خبر <!here>", "https://a.example/1", "مصدر أ", ["contract"]),
        ("ثاني خبر", "https://b.example/2", "مصدر ب", ["negotiation", "sanction"]),
    ]
    payload = render_slack(AlertMessage(kind="digest", alert_id=3, items=items))
    texts = "\n".join(_mrkdwn_texts(payload))
    assert payload["blocks"][0]["text"]["text"] == "الملخص اليومي / Daily digest"
    assert "<https://a.example/1|أول خبر &lt;!here&gt;>" in texts
    assert "مفاوضات / Negotiation · عقوبات / Sanction" in texts
    assert "<!here>" not in json.dumps(payload, ensure_ascii=False)


def test_slack_digest_stays_under_block_limit() -> None:
    items = [(f"خبر {i}", f"https://a.example/{i}", "مصدر", ["other"]) for i in range(120)]
    payload = render_slack(AlertMessage(kind="summary", items=items))
    assert len(payload["blocks"]) <= 50
    assert any("+80" in json.dumps(b, ensure_ascii=False) for b in payload["blocks"])


def test_topic_labels() -> None:
    assert topic_label("contract") == "عقد / Contract"
    assert topic_label("negotiation") == "مفاوضات / Negotiation"
    assert topic_label("delivery") == "تسليم / Delivery"
    assert topic_label("sanction") == "عقوبات / Sanction"
    assert topic_label("other") == "أخرى / Other"


# --- email -----------------------------------------------------------------


def test_email_is_multipart_alternative_with_rtl_html() -> None:
    em = _email(_msg())
    assert em.get_content_type() == "multipart/alternative"
    plain = em.get_body(("plain",)).get_content()
    html_part = em.get_body(("html",)).get_content()
    assert '<html dir="rtl" lang="ar">' in html_part
    assert "<strong>إس-400</strong>" in html_part
    assert 'href="https://news.example.org/2024/06/s400?utm_source=x&amp;id=5"' in html_part
    assert "تركيا تتسلم دفعة ثانية من إس-400" in plain
    # The plain text marks the highlighted term as *term*.
    assert EVIDENCE.replace(TERM, f"*{TERM}*") in plain
    assert em["Subject"] == "[Marsad] Delivery / تسليم: تركيا تتسلم دفعة ثانية من إس-400"
    assert em["Auto-Submitted"] == "auto-generated"


def test_email_html_escapes_article_text() -> None:
    em = _email(_msg(headline=HOSTILE, outlet="<i>outlet</i>", evidence="x <img src=y> " + TERM))
    html_part = em.get_body(("html",)).get_content()
    assert "<script>" not in html_part and "<!channel>" not in html_part
    assert "<img" not in html_part and "<i>outlet" not in html_part
    assert (
        "&lt;!channel&gt; &lt;@U123&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;"
        in html_part
    )


def test_email_escapes_a_highlighted_piece_and_keeps_the_text_body_raw() -> None:
    em = _email(_msg(evidence="نص فيه <script>x</script> وإس-400", highlight_terms=["<script>"]))
    html_part = em.get_body(("html",)).get_content()
    assert "<strong>&lt;script&gt;</strong>x&lt;/script&gt;" in html_part
    assert "<script>" not in html_part
    # The plain-text body is no markup: nothing in it is escaped.
    assert "نص فيه *<script>*x</script> وإس-400" in em.get_body(("plain",)).get_content()


def test_email_subject_cannot_inject_headers() -> None:
    em = _email(_msg(headline="عنوان\r\nBcc: victim@example.org\nX-Evil: 1"))
    assert em["Bcc"] is None and em["X-Evil"] is None
    assert "\n" not in em["Subject"] and "\r" not in em["Subject"]
    assert em["Subject"] == "[Marsad] Delivery / تسليم: عنوان Bcc: victim@example.org X-Evil: 1"
    # The whole flattened message holds no header line made from the headline.
    flat = em.as_string()
    head = flat.split("\n\n", 1)[0]
    assert "\nBcc:" not in head and "\nX-Evil:" not in head


def test_message_id_is_stable_per_alert() -> None:
    first = _email(_msg())
    again = _email(_msg())
    assert first["Message-ID"] == again["Message-ID"] == development_message_id(7, DOMAIN)
    assert first["Subject"] == again["Subject"]
    digest = _email(AlertMessage(kind="digest", alert_id=99, items=[]))
    assert (
        digest["Message-ID"]
        == alert_message_id(99, DOMAIN)
        == "<marsad-alert-99@alerts.example.org>"
    )
    assert development_message_id(7, DOMAIN) == "<marsad-dev-7@alerts.example.org>"


def test_follow_up_replies_to_development_thread() -> None:
    em = _email(_msg(kind="follow-up", alert_id=55, headline="تقرير لاحق"))
    assert em["Message-ID"] == "<marsad-alert-55@alerts.example.org>"
    assert em["In-Reply-To"] == "<marsad-dev-7@alerts.example.org>"
    assert em["References"] == "<marsad-dev-7@alerts.example.org>"
    assert em["Subject"].startswith("Re: [Marsad] Delivery / تسليم:")
    # A new alert is the thread's root and replies to nothing.
    assert _email(_msg())["In-Reply-To"] is None


def test_email_digest_lists_items() -> None:
    items = [
        DigestItem("خبر <b>أول</b>", "https://a.example/1", "مصدر أ", ["contract"]),
        ("خبر ثان", None, None, []),
    ]
    em = _email(AlertMessage(kind="digest", alert_id=8, items=items))
    html_part = em.get_body(("html",)).get_content()
    plain = em.get_body(("plain",)).get_content()
    assert em["Subject"] == "[Marsad] Daily digest / الملخص اليومي (2)"
    assert html_part.count("<li>") == 2
    assert "خبر &lt;b&gt;أول&lt;/b&gt;" in html_part
    assert "1. خبر <b>أول</b>" in plain and "2. خبر ثان" in plain
    assert "https://a.example/1" in plain


def test_source_health_and_test_messages_render() -> None:
    msg = AlertMessage(kind="source-health", note="المصدر example فشل 5 مرات <!channel>")
    payload = render_slack(msg)
    assert "&lt;!channel&gt;" in payload["blocks"][1]["text"]["text"]
    em = _email(AlertMessage(kind="test"))
    assert em["Subject"] == "[Marsad] Test message / رسالة اختبار"
    assert "رسالة اختبار / Test message" in em.get_body(("plain",)).get_content()


# --- amounts, coverage, the page in Marsad -----------------------------------------------


def test_amounts_show_the_words_then_currency_and_value() -> None:
    assert amount_text(Amount("2.5 مليار دولار", 2.5e9, "USD")) == (
        "2.5 مليار دولار (USD 2,500,000,000)"
    )
    assert amount_text(Amount("750 ألف يورو", 750_500.25, "EUR")) == (
        "750 ألف يورو (EUR 750,500.25)"
    )
    # An amount the article gives no currency for says so rather than guess one.
    assert amount_text(Amount("بقيمة 3 مليارات", 3e9, None)) == (
        "بقيمة 3 مليارات (3,000,000,000 — عملة غير مذكورة / no currency)"
    )


def test_article_text_in_amounts_and_outlets_is_escaped() -> None:
    msg = _msg(
        amounts=[Amount("<!channel> 5 مليارات *دولار*", 5e9, "USD")],
        coverage=Coverage(2, 1, ("<script>x</script>", "<@U1> _b_")),
        marsad_url="https://marsad.example.org/articles/9",
        items=[],
    )
    payload = render_slack(msg)
    dumped = json.dumps(payload, ensure_ascii=False)
    for raw in ("<!channel>", "<script>", "<@U1>", "*دولار*", "_b_"):
        assert raw not in dumped
    texts = "\n".join(_mrkdwn_texts(payload))
    assert "&lt;script&gt;x&lt;/script&gt;، &lt;@U1&gt;" in texts
    assert "<https://marsad.example.org/articles/9|افتح في مرصد / Open in Marsad>" in texts
    html_part = _email(msg).get_body(("html",)).get_content()
    assert "<script>" not in html_part and "&lt;script&gt;x&lt;/script&gt;" in html_part
    assert '<a href="https://marsad.example.org/articles/9">' in html_part


def test_a_marsad_address_that_is_not_http_is_not_linked() -> None:
    msg = _msg(marsad_url="javascript:alert(1)")
    assert "javascript" not in json.dumps(render_slack(msg))
    assert "javascript" not in _email(msg).get_body(("html",)).get_content()


def test_list_items_show_countries_coverage_and_their_page() -> None:
    item = DigestItem(
        "خبر <b>أول</b>",
        "https://a.example/1",
        "مصدر أ",
        ["contract"],
        countries=["Turkey", "India"],
        coverage=Coverage(3, 2, ("مصدر أ", "مصدر ب")),
        marsad_url="https://marsad.example.org/articles/4",
    )
    for kind in ("digest", "summary", "spike"):
        msg = AlertMessage(kind=kind, items=[item], note="ملاحظة")
        texts = "\n".join(_mrkdwn_texts(render_slack(msg)))
        assert "تركيا، الهند" in texts
        assert "التقارير: 3 · النسخ: 2 — مصدر أ، مصدر ب" in texts
        assert "<https://marsad.example.org/articles/4|افتح في مرصد / Open in Marsad>" in texts
        em = _email(msg)
        for part in (em.get_body(("plain",)).get_content(), em.get_body(("html",)).get_content()):
            assert "تركيا، الهند" in part
            assert "التقارير: 3 · النسخ: 2 — مصدر أ، مصدر ب" in part
            assert "https://marsad.example.org/articles/4" in part
