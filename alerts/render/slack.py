"""An alert as a Slack Block Kit payload, for an incoming webhook or chat.postMessage.

Article text is escaped for mrkdwn: a headline that contains ``<!channel>`` must show as text
and never ping anyone, and one that contains ``*`` or ``_`` must not reformat the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from alerts.render.message import (
    CAPTIONS,
    HEADLINE_LIMIT,
    NOTHING_NEW,
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
from crawler.text.display import flat, format_date, merge_spans, one_line, safe_url, segments

# Slack's documented block limits.
SLACK_HEADER_LIMIT = 150
SLACK_SECTION_LIMIT = 3000
SLACK_FIELD_LIMIT = 2000
SLACK_MAX_BLOCKS = 50
SLACK_URL_LIMIT = 1500
DIGEST_ITEMS_SLACK = 40

# Slack's mrkdwn has no escape for its formatting markers, so article text gets
# look-alike characters instead; otherwise "S*400" or "_x_" would reformat the message.
_SLACK_MARKUP = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


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
    text = one_line(text) if strip else flat(text)
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
    evidence = flat(evidence)
    # Slack only renders *bold* at word boundaries, so a term glued to a proclitic
    # ("وإس-400") is bolded as the whole word.
    spans = [_whole_words(evidence, s, e) for s, e in highlight_spans(evidence, highlights)]
    out: list[str] = []
    used = 0
    for seg, bold in segments(evidence, merge_spans(spans)):
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


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to the whitespace on either side."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def _item_line(item: DigestItem) -> str:
    """One item of a list: the headline linked, outlet, date, topics, countries, how widely it
    ran, and its page in Marsad."""
    title = _slack_fit(truncate(one_line(item.headline), HEADLINE_LIMIT), 1000)
    line = f"• *{slack_link(item.url, title)}*" if title else "•"
    meta = [slack_escape(item.outlet)] if item.outlet else []
    if item.published_at:
        meta.append(format_date(item.published_at))
    if item.topics:
        meta.append(" · ".join(slack_escape(topic_label(t)) for t in item.topics))
    if item.countries:
        meta.append(_slack_fit(countries_text(item.countries), 300))
    if meta:
        line += "\n" + " — ".join(meta)
    if item.coverage is not None:
        line += f"\n{coverage_text(item.coverage)}"
        if item.coverage.outlets:
            line += f" — {_slack_fit(outlets_text(item.coverage), 600)}"
    if safe_url(item.marsad_url):
        line += f"\n→ {slack_link(item.marsad_url, CAPTIONS['marsad'])}"
    return line


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


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, 3000)}]}


def render_slack(msg: AlertMessage) -> dict[str, Any]:
    """A chat.postMessage / incoming-webhook payload: Block Kit ``blocks`` plus ``text`` fallback."""
    blocks: list[dict[str, Any]] = [_header(header_text(msg))]
    headline = _slack_fit(truncate(one_line(msg.headline), HEADLINE_LIMIT), 1000)

    if msg.layout == "list":
        if msg.note:
            blocks.append(_section(_slack_fit(msg.note, SLACK_SECTION_LIMIT)))
        items = msg.digest_items()
        for item in items[:DIGEST_ITEMS_SLACK]:
            blocks.append(_section(_item_line(item)))
        rest = len(items) - DIGEST_ITEMS_SLACK
        if rest > 0:
            blocks.append(_context(f"+{rest} أخرى / more"))
        if not items:
            blocks.append(_section(NOTHING_NEW))
        fallback = f"{kind_label(msg.kind)}: {len(items)}"
    elif msg.layout == "note":
        body = msg.note or msg.headline or kind_label(msg.kind)
        blocks.append(_section(_slack_fit(body, SLACK_SECTION_LIMIT)))
        fallback = f"{kind_label(msg.kind)}: {_slack_fit(body, 500)}"
    else:
        blocks.append(_section(f"*{slack_link(msg.url, headline)}*" if headline else "—"))
        fields = []
        if msg.outlet:
            fields.append(f"*{CAPTIONS['outlet']}*\n{_slack_fit(msg.outlet, 500)}")
        if msg.published_at:
            fields.append(f"*{CAPTIONS['date']}*\n{format_date(msg.published_at)}")
        if msg.countries:
            countries = countries_text(msg.countries)
            fields.append(f"*{CAPTIONS['countries']}*\n{_slack_fit(countries, 1500)}")
        if len(msg.topics) > 1:
            topics = "، ".join(topic_label(t) for t in msg.topics)
            fields.append(f"*{CAPTIONS['topics']}*\n{slack_escape(topics)}")
        if msg.amounts:
            fields.append(f"*{CAPTIONS['amounts']}*\n{_slack_fit(amounts_text(msg.amounts), 1500)}")
        if msg.coverage is not None:
            fields.append(f"*{CAPTIONS['coverage']}*\n{coverage_text(msg.coverage)}")
            if msg.coverage.outlets:
                outlets = _slack_fit(outlets_text(msg.coverage), 1500)
                fields.append(f"*{CAPTIONS['outlets']}*\n{outlets}")
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
            caption = f"*{CAPTIONS['evidence']}*\n>"
            evidence = _slack_evidence(
                msg.evidence, msg.highlight_terms, SLACK_SECTION_LIMIT - len(caption)
            )
            blocks.append(_section(caption + evidence))
        if safe_url(msg.marsad_url):
            blocks.append(_section(f"→ {slack_link(msg.marsad_url, CAPTIONS['marsad'])}"))
        label = header_text(msg)
        outlet = f" ({_slack_fit(msg.outlet, 200)})" if msg.outlet else ""
        fallback = f"{label}: {headline}{outlet}"

    blocks.append(_context(footer_text(msg)))
    return {
        "text": truncate(fallback, SLACK_SECTION_LIMIT),
        "blocks": blocks[:SLACK_MAX_BLOCKS],
        # Previews of a news page would repeat the headline and bury the evidence.
        "unfurl_links": False,
        "unfurl_media": False,
    }
