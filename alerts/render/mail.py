"""An alert as a mail: multipart/alternative, plain text then right-to-left HTML, with
threading headers.

Both bodies come from the templates beside this module. The HTML one is autoescaped, so
article text (a headline holding ``<script>``) stays text whatever a template does with it;
the text one is not escaped, and gets every value on one line. Headers are built from
:func:`one_line` text, so a line break in a headline cannot add a header.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from datetime import UTC, datetime
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts.render.message import (
    CAPTIONS,
    NOTHING_NEW,
    REPORT_KINDS,
    AlertMessage,
    DigestItem,
    amounts_text,
    countries_text,
    coverage_text,
    footer_text,
    header_text,
    highlight_spans,
    kind_label,
    outlets_text,
    topic_label,
    truncate,
)
from crawler.text.display import bilingual_label, flat, format_date, one_line, safe_url, segments
from crawler.vocab import ALERT_KIND_LABELS, TOPIC_LABELS


class _Subject(UnstructuredHeader):
    """A Subject folded by the legacy encoder, which keeps every space inside its encoded words.

    The default folder (Python 3.11) leaves a space at a fold between two encoded words, where
    RFC 2047 says to ignore it: a long Arabic subject arrived with words run together.
    """

    def fold(self, *, policy: email.policy.Policy) -> str:
        # The registry mixes BaseHeader in at run time; this class only ever folds a Subject.
        encoded = Header(str(self), header_name="Subject").encode(
            linesep=policy.linesep, maxlinelen=policy.max_line_length
        )
        return f"Subject: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
# map_to_type takes a mixin and adds BaseHeader itself (HeaderRegistry.__call__).
_HEADERS.map_to_type("subject", cast("type[BaseHeader]", _Subject))
# Build messages with base64/quoted-printable bodies: 8bit bodies need the server's
# 8BITMIME, which smtplib does not negotiate for us.
EMAIL_POLICY = email.policy.default.clone(cte_type="7bit", header_factory=_HEADERS)


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        # Everything but the plain-text body is escaped, a template added later too.
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


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
    if msg.kind in REPORT_KINDS and msg.topics:
        # English first: the subject line reads left to right.
        topic = bilingual_label(TOPIC_LABELS, msg.topics[0], english_first=True)
        subject = f"[Marsad] {topic}: {headline}"
        return f"Re: {subject}" if msg.kind == "follow-up" else subject
    subject = f"[Marsad] {bilingual_label(ALERT_KIND_LABELS, msg.kind, english_first=True)}"
    if msg.layout == "list":
        return f"{subject} ({len(msg.items)})"
    return f"{subject}: {headline}" if headline else subject


def _item_view(item: DigestItem) -> dict[str, Any]:
    coverage = item.coverage
    return {
        "headline": one_line(item.headline),
        "url": safe_url(item.url),
        "outlet": one_line(item.outlet),
        "date": format_date(item.published_at) if item.published_at else "",
        "topics": " · ".join(topic_label(t) for t in item.topics),
        "countries": countries_text(item.countries),
        "coverage": coverage_text(coverage) if coverage else "",
        "outlets": outlets_text(coverage) if coverage else "",
        "marsad_url": safe_url(item.marsad_url),
    }


def _view(msg: AlertMessage) -> dict[str, Any]:
    """What both bodies show, as plain one-line text; the templates only lay it out."""
    view: dict[str, Any] = {
        "layout": msg.layout,
        "captions": CAPTIONS,
        "footer": footer_text(msg),
        "nothing_new": NOTHING_NEW,
    }
    if msg.layout == "list":
        items = [_item_view(i) for i in msg.digest_items()]
        return view | {"title": kind_label(msg.kind), "note": one_line(msg.note), "items": items}
    if msg.layout == "note":
        note = one_line(msg.note or msg.headline or kind_label(msg.kind))
        return view | {"title": kind_label(msg.kind), "note": note}
    # (caption, value, its direction in the HTML)
    facts: list[tuple[str, str, str]] = []
    if msg.outlet:
        facts.append((CAPTIONS["outlet"], one_line(msg.outlet), "auto"))
    if msg.published_at:
        facts.append((CAPTIONS["date"], format_date(msg.published_at), "ltr"))
    if msg.countries:
        facts.append((CAPTIONS["countries"], countries_text(msg.countries), "auto"))
    if msg.amounts:
        facts.append((CAPTIONS["amounts"], amounts_text(msg.amounts), "auto"))
    if msg.coverage is not None:
        facts.append((CAPTIONS["coverage"], coverage_text(msg.coverage), "auto"))
        if msg.coverage.outlets:
            facts.append((CAPTIONS["outlets"], outlets_text(msg.coverage), "auto"))
    evidence = msg.evidence or ""
    # Cut on the text before one_line() would move the highlighted spans.
    pieces = segments(flat(evidence), highlight_spans(evidence, msg.highlight_terms))
    return view | {
        "title": header_text(msg),
        "headline": one_line(msg.headline),
        "url": safe_url(msg.url),
        "facts": facts,
        # The plain-text body marks the highlighted terms *like this*.
        "evidence": one_line("".join(f"*{p}*" if marked else p for p, marked in pieces)),
        "evidence_pieces": pieces,
        "marsad_url": safe_url(msg.marsad_url),
    }


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
    em["Subject"] = email_subject(msg)
    em["From"] = one_line(sender)
    em["To"] = ", ".join(one_line(r) for r in recipients)
    em["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
    em["Message-ID"] = message_id_for(msg, message_id_domain)
    parent = in_reply_to
    if parent is None and msg.kind == "follow-up" and msg.development_id is not None:
        parent = development_message_id(msg.development_id, message_id_domain)
    if parent:
        parent = one_line(parent)
        em["In-Reply-To"] = parent
        em["References"] = parent
    # RFC 3834: tells vacation responders not to answer the alert.
    em["Auto-Submitted"] = "auto-generated"
    em["X-Marsad-Kind"] = one_line(msg.kind)
    view = _view(msg)
    em.set_content(_templates().get_template("email.txt").render(view))
    em.add_alternative(_templates().get_template("email.html").render(view), subtype="html")
    return em
