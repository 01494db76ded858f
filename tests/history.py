"""A year of stored developments, written straight into a database, for the timeline and the
charts: the crawled fixture web covers a few days, and a chart of one month says little.

Every headline here is written for these tests. The rows are what the store would write
(originals, copies pointing at them, developments naming their first report), without the
crawl; :class:`History` keeps what was written so that tests can count it themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from crawler.storage.db import Database
from crawler.storage.models import Article, Development

ACTORS = [
    ("مصر", "Egypt", "negotiation"),
    ("الجزائر", "Algeria", "delivery"),
    ("الهند", "India", "delivery"),
    ("تركيا", "Turkey", "contract"),
    ("السعودية", "Saudi Arabia", "negotiation"),
    ("إيران", "Iran", "sanction"),
]
HEADLINES = {
    "contract": "{actor} توقّع عقداً جديداً لمنظومات إس-400",
    "negotiation": "محادثات بين موسكو و{actor} حول منظومة إس-400",
    "delivery": "{actor} تتسلم دفعة من منظومات إس-400",
    "sanction": "واشنطن تلوّح بعقوبات على {actor} بسبب إس-400",
}
OUTLETS = ["sawt", "nafitha", "bayraq"]


@dataclass
class SeededDevelopment:
    id: int
    topic: str
    countries: list[str]
    published: datetime
    article_ids: list[int] = field(default_factory=list)
    copies: int = 0
    sources: list[str] = field(default_factory=list)


@dataclass
class History:
    developments: list[SeededDevelopment] = field(default_factory=list)
    # (source, is_copy) of every article written.
    articles: list[tuple[str, bool]] = field(default_factory=list)


def seed_history(
    db: Database, *, months: int = 12, end: datetime | None = None, seed: int = 17
) -> History:
    """About three developments a month for ``months`` months up to ``end``, each with a first
    report, sometimes a follow-up on another outlet, and zero to two copies."""
    rng = random.Random(seed)
    end = end or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    history = History()
    with db.write() as session:
        serial = session.scalar(select(Article.id).order_by(Article.id.desc()).limit(1)) or 0
        for month in range(months):
            for _ in range(rng.randint(2, 4)):
                serial += 1
                published = end - timedelta(days=30 * month + rng.randint(0, 27), hours=serial % 7)
                actor, country, topic = rng.choice(ACTORS)
                countries = ["Russia", country] if rng.random() < 0.6 else [country]
                dev = Development(
                    topic=topic,
                    topics=[topic],
                    countries=countries,
                    evidence=HEADLINES[topic].format(actor=actor) + ".",
                    first_published_at=published,
                    last_report_at=published,
                    created_at=published,
                )
                session.add(dev)
                session.flush()
                seeded = SeededDevelopment(dev.id, topic, countries, published)
                first_source = rng.choice(OUTLETS)
                rows = [(first_source, None, published)]
                if rng.random() < 0.4:
                    rows.append((rng.choice(OUTLETS), None, published + timedelta(hours=5)))
                for _ in range(rng.randint(0, 2)):
                    rows.append((rng.choice(OUTLETS), 0, published + timedelta(hours=2)))
                for n, (source, copy_of, when) in enumerate(rows):
                    title = HEADLINES[topic].format(actor=actor)
                    values = {
                        "url": f"https://history.example/{dev.id}/{n}",
                        "source": source,
                        "title": title,
                        "text": title + ".",
                        "normalized_text": title,
                        "content_hash": f"history-{dev.id}-{n}",
                        "published_at": when,
                        "published_precision": "second",
                        "fetched_at": when + timedelta(minutes=3),
                        "topics": [topic],
                        "countries": countries,
                        "duplicate_of": None if copy_of is None else seeded.article_ids[copy_of],
                        "development_id": dev.id,
                    }
                    article_id = session.execute(
                        insert(Article).returning(Article.id), values
                    ).scalar_one()
                    seeded.article_ids.append(article_id)
                    seeded.sources.append(source)
                    seeded.copies += copy_of is not None
                    history.articles.append((source, copy_of is not None))
                dev.first_article_id = seeded.article_ids[0]
                dev.report_count = len(rows)
                history.developments.append(seeded)
    return history
