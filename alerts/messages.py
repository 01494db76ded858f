"""What an outbox row says, read when it is sent: the article, the outlet's display name, how
widely its development ran so far (reports, copies, outlets), and its page in Marsad.

Lists (digest, summary, spike) store one small dict per item (``list_item``); the counts
and names are read at send time, so that a digest shows the copies that came in since.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alerts.render import AlertMessage, Amount, Coverage, DigestItem
from crawler.config import Config
from crawler.storage.models import Alert, Article
from crawler.storage.outbox import destination_of
from crawler.vocab import AlertKind

_LIST_KINDS = frozenset({AlertKind.DIGEST, AlertKind.SUMMARY, AlertKind.SPIKE})
_NOTE_KINDS = frozenset({AlertKind.SOURCE_HEALTH, AlertKind.TEST})


def list_item(article: Article, *, prefix: str = "") -> dict[str, Any]:
    """An article as one item of a list alert's payload."""
    return {
        "headline": f"{prefix}{article.title}",
        "url": article.url,
        "source": article.source,
        "topics": list(article.topics or []),
        "countries": list(article.countries or []),
        "article_id": article.id,
        "development_id": article.development_id,
    }


def coverage_of(
    session: Session, config: Config, *, development_id: int | None, article_id: int | None
) -> Coverage | None:
    """The development's reports and copies so far (an article's own, without one), and the
    outlets that ran them in the order they did."""
    if development_id is not None:
        where = Article.development_id == development_id
    elif article_id is not None:
        where = or_(Article.id == article_id, Article.duplicate_of == article_id)
    else:
        return None
    rows = session.execute(
        select(Article.source, Article.duplicate_of)
        .where(where)
        .order_by(func.coalesce(Article.published_at, Article.fetched_at), Article.id)
    ).all()
    if not rows:
        return None
    reports = sum(1 for row in rows if row.duplicate_of is None)
    outlets = tuple(dict.fromkeys(config.display_name(row.source) for row in rows))
    return Coverage(reports=reports, copies=len(rows) - reports, outlets=outlets)


def _digest_item(session: Session, config: Config, item: Any) -> DigestItem:
    if not isinstance(item, dict):
        # Rows queued before items were dicts: (headline, url, source, topics).
        return DigestItem(*item)
    article_id = item.get("article_id")
    return DigestItem(
        headline=str(item.get("headline") or ""),
        url=item.get("url"),
        outlet=config.display_name(item["source"]) if item.get("source") else None,
        topics=list(item.get("topics") or []),
        countries=list(item.get("countries") or []),
        marsad_url=config.article_page(article_id) if article_id is not None else None,
        coverage=coverage_of(
            session, config, development_id=item.get("development_id"), article_id=article_id
        ),
    )


def build_message(session: Session, row: Alert, config: Config) -> tuple[AlertMessage, str | None]:
    """The renderable message for an outbox row, and the id of the message it replies to."""
    payload = row.payload or {}
    if row.kind in _LIST_KINDS:
        items: list[DigestItem | tuple[Any, ...]] = [
            _digest_item(session, config, item) for item in payload.get("items", [])
        ]
        return AlertMessage(
            kind=row.kind, alert_id=row.id, items=items, note=payload.get("note")
        ), None
    if row.kind in _NOTE_KINDS:
        return AlertMessage(
            kind=row.kind,
            alert_id=row.id,
            headline=payload.get("headline", ""),
            note=payload.get("note"),
        ), None
    article = session.get(Article, row.article_id) if row.article_id else None
    if article is None:
        return AlertMessage(kind=row.kind, alert_id=row.id, note="the article was removed"), None
    topics = list(article.topics or [])
    topic = topics[0] if topics else None
    evidence = (article.evidence or {}).get(topic) if topic else None
    terms = sorted({t["text"] for t in article.terms or [] if evidence and t["text"] in evidence})
    message = AlertMessage(
        kind=row.kind,
        alert_id=row.id,
        development_id=row.development_id,
        headline=article.title,
        topics=topics,
        url=article.url,
        outlet=config.display_name(article.source),
        published_at=article.published_at,
        countries=list(article.countries or []),
        evidence=evidence,
        highlight_terms=list(terms),
        thread_key=f"dev-{row.development_id}" if row.development_id else None,
        amounts=[
            Amount(str(a.get("text") or ""), a.get("value"), a.get("currency"))
            for a in article.amounts or []
            if isinstance(a, dict)
        ],
        coverage=coverage_of(
            session, config, development_id=row.development_id, article_id=article.id
        ),
        marsad_url=config.article_page(article.id),
    )
    reply_to = None
    if row.kind == AlertKind.FOLLOW_UP and row.development_id is not None:
        # The development's first alert at the same destination (channel and route).
        parent_key = f"new:{row.development_id}:{destination_of(row).name}"
        reply_to = session.scalar(
            select(Alert.external_id).where(Alert.key == parent_key, Alert.status == "sent")
        )
    return message, reply_to
