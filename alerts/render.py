"""Alert messages and their rendering for Slack (Block Kit) and email (text + RTL HTML).

Every piece of article text (headline, outlet, evidence, countries, notes) comes from
the open web, so it is escaped for the target format: a headline that contains
``<!channel>`` must show as text in Slack and never ping anyone, and a headline that
contains ``<script>`` must stay text in the HTML mail.
"""

from __future__ import annotations

import email.policy
import email.utils
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from crawler.vocab import ALERT_KIND_LABELS as KIND_LABELS
from crawler.vocab import TOPIC_LABELS

# Field captions, Arabic first as in the topic labels.
_CAPTIONS = {
    "outlet": "المصدر / Outlet",
    "date": "التاريخ / Date",
    "countries": "الدول / Countries",
    "topics": "المواضيع / Topics",
    "evidence": "الدليل / Evidence",
}

# Slack's documented block limits.
SLACK_HEADER_LIMIT = 150
SLACK_SECTION_LIMIT = 3000
SLACK_FIELD_LIMIT = 2000
SLACK_MAX_BLOCKS = 50
# Headlines longer than this are junk extraction; keep messages readable.
HEADLINE_LIMIT = 300
SLACK_URL_LIMIT = 1500
DIGEST_ITEMS_SLACK = 40

# Slack's mrkdwn has no escape for its formatting markers, so article text gets
# look-alike characters instead; otherwise "S*400" or "_x_" would reformat the message.
_SLACK_MARKUP = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINEBREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
# One character for one, so evidence spans keep their offsets.
_BREAK_OR_CONTROL = re.compile(r"[\r\n\u2028\u2029\x85\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Build messages with base64/quoted-printable bodies: 8bit bodies need the server's
# 8BITMIME, which smtplib does not negotiate for us.
EMAIL_POLICY = email.policy.default.clone(cte_type="7bit")


class DigestItem(NamedTuple):
    """One line of a digest or summary; a plain (headline, url, outlet, topics) tuple works too."""

    headline: str
    url: str | None = None
    outlet: str | None = None
    topics: Sequence[str] = ()
    published_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AlertMessage:
    """Everything a transport needs to render one alert; built by the dispatcher from a row."""

    kind: str
    headline: str = ""
    topics: list[str] = field(default_factory=list)
    alert_id: int | None = None
    development_id: int | None = None
    url: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    countries: list[str] = field(default_factory=list)
    evidence: str | None = None
    # (start, end) spans inside ``evidence``, or term strings to find in it.
    highlight_terms: list[tuple[int, int] | str] = field(default_factory=list)
    thread_key: str | None = None
    items: list[DigestItem | tuple[Any, ...]] = field(default_factory=list)
    note: str | None = None


# ---------------------------------------------------------------------------
# shared helpers


def topic_label(topic: str) -> str:
    """ "عقد / Contract"; an unknown topic keeps its own name."""
    ar, en = TOPIC_LABELS.get(topic, (topic, topic))
    return f"{ar} / {en}" if ar != en else topic


def topic_label_en_ar(topic: str) -> str:
    """ "Contract / عقد": English first, for the mail subject where Latin reads first."""
    ar, en = TOPIC_LABELS.get(topic, (topic, topic))
    return f"{en} / {ar}" if ar != en else topic


def kind_label(kind: str) -> str:
    ar, en = KIND_LABELS.get(kind, (kind, kind))
    return f"{ar} / {en}"


def one_line(text: str | None) -> str:
    """Text with line breaks and control characters turned into single spaces."""
    if not text:
        return ""
    text = _LINEBREAKS.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def format_date(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        # Storage keeps aware UTC; a naive value is taken as UTC rather than local time.
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL; anything else (javascript:, data:) is not linked."""
    if not url:
        return None
    url = one_line(url).replace(" ", "%20")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # "|" and ">" would end a Slack link early and "<" or quotes break out of markup;
    # percent-encoding them keeps the address the same for the server.
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def _as_item(item: DigestItem | Sequence[Any]) -> DigestItem:
    if isinstance(item, DigestItem):
        return item
    return DigestItem(*item)


def _headline_topic(msg: AlertMessage) -> str | None:
    return msg.topics[0] if msg.topics else None


def highlight_mask(evidence: str, highlights: Iterable[tuple[int, int] | str]) -> list[bool]:
    """Per character of ``evidence``: is it part of a highlighted term?"""
    mask = [False] * len(evidence)
    folded = evidence.casefold()
    same_length = len(folded) == len(evidence)
    for h in highlights:
        if isinstance(h, str):
            if not h:
                continue
            haystack, needle = (folded, h.casefold()) if same_length else (evidence, h)
            start = haystack.find(needle)
            while start >= 0:
                for i in range(start, start + len(needle)):
                    mask[i] = True
                start = haystack.find(needle, start + len(needle))
        else:
            start, end = h
            for i in range(max(0, start), min(len(evidence), end)):
                mask[i] = True
    return mask


def _segments(text: str, mask: list[bool]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for ch, bold in zip(text, mask, strict=True):
        if out and out[-1][1] == bold:
            out[-1] = (out[-1][0] + ch, bold)
        else:
            out.append((ch, bold))
    return out


# ---------------------------------------------------------------------------
# Slack


def _flat(text: str) -> str:
    # Like one_line() but keeps edge spaces, so evidence segments stay apart.
    return _BREAK_OR_CONTROL.sub(" ", text)


def _slack_escape_raw(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_SLACK_MARKUP)


def slack_escape(text: str | None) -> str:
    """Escape article text for Slack mrkdwn: the three entities Slack requires, and markers."""
    if not text:
        return ""
    return _slack_escape_raw(one_line(text))


def _slack_url(url: str) -> str:
    return url.replace("&", "&amp;")


def slack_link(url: str | None, text: str) -> str:
    """``<url|text>`` with ``text`` already escaped; plain text when the URL is unsafe."""
    good = safe_url(url)
    # An absurdly long URL would push the section past Slack's limit and be cut mid-link.
    if good is None or len(_slack_url(good)) > SLACK_URL_LIMIT:
        return text
    return f"<{_slack_url(good)}|{text}>" if text else f"<{_slack_url(good)}>"


def _slack_fit(text: str | None, limit: int, *, strip: bool = True) -> str:
    """Escape and cut ``text`` so that the escaped result fits ``limit`` characters."""
    if not text:
        return ""
    text = one_line(text) if strip else _flat(text)
    escaped = _slack_escape_raw(text)
    if len(escaped) <= limit:
        return escaped
    # Cut character by character so an entity such as "&amp;" is never split.
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _slack_escape_raw(ch)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + "…"


def _slack_evidence(evidence: str, highlights: Iterable[tuple[int, int] | str], limit: int) -> str:
    evidence = _flat(evidence)
    # Slack only renders *bold* at word boundaries, so a term glued to a proclitic
    # ("وإس-400") is bolded as the whole word.
    mask = _expand_to_words(evidence, highlight_mask(evidence, highlights))
    out: list[str] = []
    used = 0
    for seg, bold in _segments(evidence, mask):
        if bold:
            core = seg.strip()
            lead = seg[: len(seg) - len(seg.lstrip())]
            trail = seg[len(seg.rstrip()) :]
            if not core:
                bold, core, lead, trail = False, seg, "", ""
        else:
            core, lead, trail = seg, "", ""
        room = limit - used - len(lead) - len(trail) - (2 if bold else 0)
        if room < 2:
            break
        piece = _slack_fit(core, room, strip=False)
        cut = piece.endswith("…") and len(_slack_escape_raw(core)) > room
        piece = f"{lead}*{piece}*{trail}" if bold else piece
        out.append(piece)
        used += len(piece)
        if cut:
            break
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _expand_to_words(text: str, mask: list[bool]) -> list[bool]:
    out = list(mask)
    n = len(text)
    i = 0
    while i < n:
        if not mask[i]:
            i += 1
            continue
        j = i
        while j < n and mask[j]:
            j += 1
        start, end = i, j
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < n and not text[end].isspace():
            end += 1
        for k in range(start, end):
            out[k] = True
        i = j
    return out


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, SLACK_HEADER_LIMIT), "emoji": False},
    }


def _section(text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text, SLACK_SECTION_LIMIT)},
    }


def _header_text(msg: AlertMessage) -> str:
    # Only our own labels go into the plain_text header, never article text.
    topics = " · ".join(topic_label(t) for t in msg.topics)
    if msg.kind in ("new", "follow-up") and topics:
        return f"{kind_label('follow-up')} · {topics}" if msg.kind == "follow-up" else topics
    return kind_label(msg.kind)


def _context_text(msg: AlertMessage) -> str:
    parts = ["Marsad مرصد"]
    if msg.alert_id is not None:
        parts.append(f"alert #{msg.alert_id}")
    if msg.development_id is not None:
        parts.append(f"development #{msg.development_id}")
    return " · ".join(parts)


def render_slack(msg: AlertMessage) -> dict[str, Any]:
    """A chat.postMessage / incoming-webhook payload: Block Kit ``blocks`` plus ``text`` fallback."""
    blocks: list[dict[str, Any]] = [_header(_header_text(msg))]
    headline = _slack_fit(truncate(one_line(msg.headline), HEADLINE_LIMIT), 1000)

    if msg.kind in ("digest", "summary"):
        if msg.note:
            blocks.append(_section(_slack_fit(msg.note, SLACK_SECTION_LIMIT)))
        items = [_as_item(i) for i in msg.items]
        for item in items[:DIGEST_ITEMS_SLACK]:
            title = _slack_fit(truncate(one_line(item.headline), HEADLINE_LIMIT), 1000)
            line = f"• *{slack_link(item.url, title)}*" if title else "•"
            meta = [slack_escape(item.outlet)] if item.outlet else []
            if item.published_at:
                meta.append(format_date(item.published_at))
            if item.topics:
                meta.append(" · ".join(slack_escape(topic_label(t)) for t in item.topics))
            if meta:
                line += "\n" + " — ".join(meta)
            blocks.append(_section(line))
        rest = len(items) - DIGEST_ITEMS_SLACK
        if rest > 0:
            blocks.append(_context(f"+{rest} أخرى / more"))
        if not items:
            blocks.append(_section("لا جديد / Nothing new"))
        fallback = f"{kind_label(msg.kind)}: {len(items)}"
    elif msg.kind in ("source-health", "test"):
        body = msg.note or msg.headline or kind_label(msg.kind)
        blocks.append(_section(_slack_fit(body, SLACK_SECTION_LIMIT)))
        fallback = f"{kind_label(msg.kind)}: {_slack_fit(body, 500)}"
    else:
        blocks.append(_section(f"*{slack_link(msg.url, headline)}*" if headline else "—"))
        fields = []
        if msg.outlet:
            fields.append(f"*{_CAPTIONS['outlet']}*\n{_slack_fit(msg.outlet, 500)}")
        if msg.published_at:
            fields.append(f"*{_CAPTIONS['date']}*\n{format_date(msg.published_at)}")
        if msg.countries:
            countries = ", ".join(one_line(c) for c in msg.countries)
            fields.append(f"*{_CAPTIONS['countries']}*\n{_slack_fit(countries, 1500)}")
        if len(msg.topics) > 1:
            topics = "، ".join(topic_label(t) for t in msg.topics)
            fields.append(f"*{_CAPTIONS['topics']}*\n{slack_escape(topics)}")
        if fields:
            blocks.append(
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": truncate(f, SLACK_FIELD_LIMIT)} for f in fields
                    ],
                }
            )
        if msg.evidence:
            caption = f"*{_CAPTIONS['evidence']}*\n>"
            evidence = _slack_evidence(
                msg.evidence, msg.highlight_terms, SLACK_SECTION_LIMIT - len(caption)
            )
            blocks.append(_section(caption + evidence))
        label = _header_text(msg)
        outlet = f" ({_slack_fit(msg.outlet, 200)})" if msg.outlet else ""
        fallback = f"{label}: {headline}{outlet}"

    blocks.append(_context(_context_text(msg)))
    return {
        "text": truncate(fallback, SLACK_SECTION_LIMIT),
        "blocks": blocks[:SLACK_MAX_BLOCKS],
        # Previews of a news page would repeat the headline and bury the evidence.
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 3000)}]}


# ---------------------------------------------------------------------------
# email


def _clean_domain(domain: str) -> str:
    domain = re.sub(r"[^A-Za-z0-9.\-]", "", domain or "")
    return domain or "marsad.invalid"


def alert_message_id(alert_id: int, domain: str) -> str:
    return f"<marsad-alert-{int(alert_id)}@{_clean_domain(domain)}>"


def development_message_id(development_id: int, domain: str) -> str:
    """The Message-ID of a development's first alert, which its follow-ups reply to."""
    return f"<marsad-dev-{int(development_id)}@{_clean_domain(domain)}>"


def message_id_for(msg: AlertMessage, domain: str) -> str:
    """Stable per alert, so a resend after a lost acknowledgement is recognisable."""
    if msg.kind == "new" and msg.development_id is not None:
        return development_message_id(msg.development_id, domain)
    if msg.alert_id is not None:
        return alert_message_id(msg.alert_id, domain)
    return email.utils.make_msgid(idstring="marsad", domain=_clean_domain(domain))


def email_subject(msg: AlertMessage) -> str:
    headline = truncate(one_line(msg.headline), 200)
    topic = _headline_topic(msg)
    if msg.kind in ("new", "follow-up") and topic:
        subject = f"[Marsad] {topic_label_en_ar(topic)}: {headline}"
        return f"Re: {subject}" if msg.kind == "follow-up" else subject
    ar, en = KIND_LABELS.get(msg.kind, (msg.kind, msg.kind))
    subject = f"[Marsad] {en} / {ar}"
    if msg.kind in ("digest", "summary"):
        return f"{subject} ({len(msg.items)})"
    return f"{subject}: {headline}" if headline else subject


def _header_value(value: str) -> str:
    return one_line(value)


def _text_body(msg: AlertMessage) -> str:
    lines: list[str] = []
    if msg.kind in ("digest", "summary"):
        lines.append(kind_label(msg.kind))
        if msg.note:
            lines += ["", one_line(msg.note)]
        lines.append("")
        items = [_as_item(i) for i in msg.items]
        for n, item in enumerate(items, 1):
            lines.append(f"{n}. {one_line(item.headline)}")
            meta = [one_line(item.outlet)] if item.outlet else []
            if item.published_at:
                meta.append(format_date(item.published_at))
            if item.topics:
                meta.append(" · ".join(topic_label(t) for t in item.topics))
            if meta:
                lines.append("   " + " — ".join(meta))
            if safe_url(item.url):
                lines.append(f"   {safe_url(item.url)}")
        if not items:
            lines.append("لا جديد / Nothing new")
    elif msg.kind in ("source-health", "test"):
        lines.append(kind_label(msg.kind))
        lines += ["", one_line(msg.note or msg.headline or kind_label(msg.kind))]
    else:
        lines.append(_header_text(msg))
        lines += ["", one_line(msg.headline)]
        if safe_url(msg.url):
            lines.append(safe_url(msg.url) or "")
        lines.append("")
        if msg.outlet:
            lines.append(f"{_CAPTIONS['outlet']}: {one_line(msg.outlet)}")
        if msg.published_at:
            lines.append(f"{_CAPTIONS['date']}: {format_date(msg.published_at)}")
        if msg.countries:
            lines.append(
                f"{_CAPTIONS['countries']}: {', '.join(one_line(c) for c in msg.countries)}"
            )
        if msg.evidence:
            lines += ["", f"{_CAPTIONS['evidence']}:", one_line(msg.evidence)]
    lines += ["", "-- ", _context_text(msg)]
    return "\n".join(lines) + "\n"


def _html_link(url: str | None, text_html: str) -> str:
    good = safe_url(url)
    if good is None:
        return text_html
    return f'<a href="{html.escape(good, quote=True)}">{text_html}</a>'


def _html_evidence(evidence: str, highlights: Iterable[tuple[int, int] | str]) -> str:
    mask = highlight_mask(evidence, highlights)
    parts = []
    for seg, bold in _segments(evidence, mask):
        escaped = html.escape(seg, quote=True)
        parts.append(f"<strong>{escaped}</strong>" if bold else escaped)
    return one_line("".join(parts))


def _esc(text: str | None) -> str:
    return html.escape(one_line(text), quote=True)


def _html_body(msg: AlertMessage) -> str:
    rows: list[str] = []
    if msg.kind in ("digest", "summary"):
        title = html.escape(kind_label(msg.kind))
        if msg.note:
            rows.append(f"<p>{_esc(msg.note)}</p>")
        items = [_as_item(i) for i in msg.items]
        if items:
            rows.append("<ol>")
            for item in items:
                meta = [_esc(item.outlet)] if item.outlet else []
                if item.published_at:
                    meta.append(f'<span dir="ltr">{format_date(item.published_at)}</span>')
                if item.topics:
                    meta.append(html.escape(" · ".join(topic_label(t) for t in item.topics)))
                meta_html = f"<br><small>{' — '.join(meta)}</small>" if meta else ""
                link = _html_link(item.url, f'<span dir="auto">{_esc(item.headline)}</span>')
                rows.append(f"<li>{link}{meta_html}</li>")
            rows.append("</ol>")
        else:
            rows.append("<p>لا جديد / Nothing new</p>")
    elif msg.kind in ("source-health", "test"):
        title = html.escape(kind_label(msg.kind))
        rows.append(f"<p>{_esc(msg.note or msg.headline or kind_label(msg.kind))}</p>")
    else:
        title = html.escape(_header_text(msg))
        headline = f'<span dir="auto">{_esc(msg.headline)}</span>'
        rows.append(f'<h2 style="margin:0 0 12px">{_html_link(msg.url, headline)}</h2>')
        facts = []
        if msg.outlet:
            facts.append((_CAPTIONS["outlet"], f'<span dir="auto">{_esc(msg.outlet)}</span>'))
        if msg.published_at:
            facts.append(
                (_CAPTIONS["date"], f'<span dir="ltr">{format_date(msg.published_at)}</span>')
            )
        if msg.countries:
            countries = ", ".join(one_line(c) for c in msg.countries)
            facts.append((_CAPTIONS["countries"], f'<span dir="ltr">{_esc(countries)}</span>'))
        if facts:
            rows.append('<table role="presentation" cellpadding="4">')
            for caption, value in facts:
                rows.append(
                    f'<tr><th style="text-align:right">{html.escape(caption)}</th>'
                    f"<td>{value}</td></tr>"
                )
            rows.append("</table>")
        if msg.evidence:
            rows.append(f"<h3>{html.escape(_CAPTIONS['evidence'])}</h3>")
            rows.append(
                '<blockquote style="margin:0;padding:8px 12px;border-right:3px solid #999">'
                f"{_html_evidence(msg.evidence, msg.highlight_terms)}</blockquote>"
            )
    body = "\n".join(rows)
    return (
        '<!DOCTYPE html>\n<html dir="rtl" lang="ar">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n"
        '<body style="font-family:Tahoma,Arial,sans-serif;direction:rtl;text-align:right">\n'
        f'<p style="color:#555">{title}</p>\n{body}\n'
        f'<hr><p style="color:#888;font-size:small">{html.escape(_context_text(msg))}</p>\n'
        "</body>\n</html>\n"
    )


def render_email(
    msg: AlertMessage,
    *,
    sender: str,
    recipients: list[str],
    message_id_domain: str,
    in_reply_to: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """multipart/alternative: text/plain then RTL text/html, with threading headers.

    ``in_reply_to`` overrides the parent Message-ID of a follow-up (the external id the
    parent's send returned); by default it is the development's first alert.
    """
    em = EmailMessage(policy=EMAIL_POLICY)
    # The subject is built from one_line(), so CR/LF in a headline cannot add headers.
    em["Subject"] = email_subject(msg)
    em["From"] = _header_value(sender)
    em["To"] = ", ".join(_header_value(r) for r in recipients)
    em["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
    em["Message-ID"] = message_id_for(msg, message_id_domain)
    parent = in_reply_to
    if parent is None and msg.kind == "follow-up" and msg.development_id is not None:
        parent = development_message_id(msg.development_id, message_id_domain)
    if parent:
        parent = _header_value(parent)
        em["In-Reply-To"] = parent
        em["References"] = parent
    # RFC 3834: tells vacation responders not to answer the alert.
    em["Auto-Submitted"] = "auto-generated"
    em["X-Marsad-Kind"] = _header_value(msg.kind)
    em.set_content(_text_body(msg))
    em.add_alternative(_html_body(msg), subtype="html")
    return em
