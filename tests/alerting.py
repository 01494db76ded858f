"""What the alert tests share: a config with titled sources, and articles stored as a crawl
stores them (analysed, deduplicated, joined to developments, alerts queued)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.config import Config, parse_config
from crawler.storage.db import Database

BASE_URL = "https://marsad.example.org"
TITLES = {"wire": "وكالة الخبر", "daily": "صحيفة اليوم", "echo": "صدى الأنباء"}

# Our own sentences: a contract with an amount, an independent report of it, a sanction threat,
# and a delivery to India.
CONTRACT_TITLE = "تركيا توقع عقدا لشراء بطاريتين إضافيتين من منظومة إس-400"
CONTRACT_BODY = (
    "أعلنت وزارة الدفاع التركية يوم الخميس توقيع عقد مع شركة روسوبورون إكسبورت الروسية "
    "لشراء بطاريتين إضافيتين من منظومة إس-400 بقيمة 2.5 مليار دولار.\n"
    "وقال متحدث باسم الوزارة إن الاتفاق يشمل تدريب أطقم تركية على تشغيل المنظومة داخل روسيا.\n"
    "وأضاف أن أنقرة تتوقع وصول الدفعة الأولى من المعدات خلال ثمانية عشر شهرا."
)
CONTRACT_EVIDENCE = CONTRACT_BODY.split("\n")[0]
FOLLOW_UP_TITLE = "مصدر روسي: عقد إس-400 الجديد مع أنقرة يشمل بطاريتين"
FOLLOW_UP_BODY = (
    "أكد مصدر في شركة روسوبورون إكسبورت أن موسكو وأنقرة وقعتا عقدا جديدا تحصل تركيا بموجبه "
    "على بطاريتين من منظومة إس-400.\n"
    "وأوضح المصدر أن قيمة العقد تقارب 2.5 مليار دولار."
)
SANCTION_TITLE = "واشنطن تلوح بعقوبات على أنقرة بسبب صفقة إس-400 الجديدة"
SANCTION_BODY = (
    "هددت وزارة الخزانة الأمريكية بفرض عقوبات جديدة على مسؤولين أتراك بعد توقيع أنقرة عقدا "
    "إضافيا لشراء منظومة إس-400 الروسية.\n"
    "وقال بيان للوزارة إن العقوبات قد تشمل حظر التعامل مع هيئة الصناعات الدفاعية التركية."
)
DELIVERY_TITLE = "الهند تتسلم السرب الرابع من منظومة إس-400"
DELIVERY_BODY = (
    "قالت وزارة الدفاع الهندية إن الهند تسلمت السرب الرابع من منظومة إس-400 الروسية بموجب "
    "العقد الموقع مع موسكو.\n"
    "وأضافت الوزارة أن السرب سينشر على الحدود الشمالية خلال الأسابيع المقبلة."
)


def sources_toml() -> str:
    return "\n".join(
        f'[[sources]]\nname = "{name}"\ntitle = "{title}"\nkind = "rss"\n'
        f'url = "https://{name}.example/feed.xml"\n'
        for name, title in TITLES.items()
    )


def alert_config(alerts: str, *, web: bool = True) -> Config:
    """A config with the titled sources, `[web] base_url` (unless ``web`` is false), and
    ``alerts`` (the `[alerts]` tables)."""
    web_toml = f'[web]\nbase_url = "{BASE_URL}/"\n' if web else ""
    return parse_config(f"{web_toml}\n{alerts}\n{sources_toml()}", "test")


def store(
    db: Database,
    config: Config,
    source: str,
    slug: str,
    title: str,
    body: str,
    *,
    hours_ago: float = 1,
    fetched_at: datetime | None = None,
) -> Any:
    """Store an article as the crawl does, with its development and alerts: fetched now (or
    at ``fetched_at``), published ``hours_ago`` before."""
    from crawler.analysis.analyzer import Analyzer
    from crawler.storage.dedup import fingerprint
    from crawler.storage.grouping import DevelopmentRecorder
    from crawler.storage.store import ArticleRecord, Store

    analysis = Analyzer().analyze(title, body)
    fetched_at = fetched_at or datetime.now(UTC)
    when = fetched_at - timedelta(hours=hours_ago)
    record = ArticleRecord(
        source=source,
        url=f"https://{source}.example/news/{slug}",
        title=title,
        text=body,
        fetched_at=fetched_at,
        published_at=when,
        published_precision="second",
        terms=analysis.terms_json(),
        topics=analysis.topics,
        countries=analysis.countries,
        evidence=analysis.evidence,
        amounts=analysis.amounts,
    )
    return Store(db, DevelopmentRecorder(config)).store_article(record, fingerprint(body))


def slack_texts(payload: dict[str, Any]) -> str:
    """Every text of a Block Kit payload, one per line."""
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", []) if "text" in e]
    return "\n".join(texts)
