"""An analyst's corrections (crawler.storage.corrections) through the CLI, on SQLite and
PostgreSQL: each is a row of its own, changes what is listed and alerted, and outlasts the
store revising the article."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crawler.config import load_config
from crawler.storage.db import Database, open_database
from crawler.storage.dedup import fingerprint
from crawler.storage.grouping import DevelopmentRecorder
from crawler.storage.models import Alert, Article, Correction, Development
from crawler.storage.store import ArticleRecord, Store, StoreResult
from tests.conftest import write_config
from tests.helpers import invoke_marsad

# Recent enough to alert (alerts.max_age is 3 days).
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)

DELIVERY_TITLE = "أردوغان: تسليم منظومة إس-400 لتركيا سيبدأ الشهر المقبل رغم الضغوط الأمريكية"
DELIVERY_BODY = [
    "قال الرئيس التركي إن الدفعة الأولى من مكونات منظومة إس-400 الروسية ستصل إلى بلاده خلال "
    "الشهر المقبل، مؤكداً أن أنقرة لن تتراجع عن الصفقة مهما اشتدت الضغوط.",
    "وأضاف في كلمة أمام نواب حزبه أن فرقاً فنية تركية أنهت تدريباتها في روسيا، وأن مواقع "
    "النشر جرى تجهيزها قرب العاصمة.",
    "وكانت واشنطن قد لوّحت بعقوبات على الشركات التركية المشاركة في المشروع، بينما ترى "
    "أنقرة أن من حقها اختيار مصادر تسليحها.",
]
FOLLOW_TITLE = "أنقرة: بدء تسليم المنظومة الروسية إلى تركيا في يوليو كما أعلن أردوغان"
FOLLOW_BODY = [
    "أكدت وزارة الدفاع التركية أن أولى شحنات المنظومة الروسية للدفاع الجوي ستنقل جواً إلى "
    "قاعدة قريبة من أنقرة مطلع يوليو، في موعد يتفق مع ما أعلنه الرئيس.",
    "وأوضح بيان للوزارة أن الضباط الأتراك الذين تلقوا التدريب سيتولون تشغيل البطاريات بعد "
    "اكتمال اختبارات القبول.",
    "ولم يصدر تعليق فوري من السفارة الأمريكية على البيان، فيما يواصل الكونغرس مناقشة مشروع "
    "قانون يقيد صفقات السلاح مع تركيا.",
]
SECOND_FOLLOW_BODY = [
    "نقلت صحيفة تركية عن مصدر عسكري أن الطائرات الروسية الأولى التي تحمل أجزاء المنظومة "
    "ستهبط في قاعدة مرتد الجوية، وأن عملية النقل ستستمر أسابيع.",
    "وبحسب المصدر فإن الرادارات ومنصات الإطلاق ستصل على دفعات منفصلة، وأن التشغيل الكامل "
    "متوقع قبل نهاية العام.",
    "ويرى محللون أن توقيت التسليم يضع العلاقات بين أنقرة وحلف الأطلسي أمام اختبار جديد.",
]
INDIA_TITLE = "الهند تتفاوض مع موسكو على دفعة جديدة من صواريخ إس-400"
INDIA_BODY = [
    "بدأ وفد من وزارة الدفاع الهندية في موسكو جولة مفاوضات حول شراء كتائب إضافية من منظومة "
    "إس-400، إلى جانب اتفاق لصيانة الكتائب التي تسلمتها نيودلهي.",
    "وقال مسؤول هندي إن المحادثات تتناول آلية الدفع بالعملات المحلية لتفادي القيود المصرفية "
    "الغربية.",
    "ولم يحدد الجانبان موعداً لتوقيع أي اتفاق، لكن مصادر روسية وصفت الأجواء بالإيجابية.",
]


def report(
    url: str,
    title: str,
    body: list[str],
    *,
    source: str = "sawt",
    topics: tuple[str, ...] = ("delivery",),
    countries: tuple[str, ...] = ("Russia", "Turkey"),
    hours: float = 0,
    extra: str = "",
) -> tuple[ArticleRecord, Any]:
    text = "\n".join([*body, extra] if extra else body)
    record = ArticleRecord(
        source=source,
        url=url,
        title=title,
        text=text,
        fetched_at=datetime.now(UTC),
        published_at=T0 + timedelta(hours=hours),
        published_precision="second",
        topics=list(topics),
        countries=list(countries),
        evidence={t: title for t in topics},
    )
    return record, fingerprint(text)


@dataclass
class Desk:
    config: Path
    db: Database
    store: Store

    def put(self, *args: Any, **kwargs: Any) -> StoreResult:
        return self.store.store_article(*report(*args, **kwargs))

    def put_india(self, url: str, *, source: str) -> StoreResult:
        """India's talks on S-400: a story of its own beside the Turkish ones."""
        return self.put(
            url,
            INDIA_TITLE,
            INDIA_BODY,
            source=source,
            topics=("negotiation",),
            countries=("India", "Russia"),
        )

    def marsad(self, *args: str, ok: bool = True) -> Any:
        result = invoke_marsad(*args, config=self.config)
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    def listed_ids(self) -> set[int]:
        rows = json.loads(self.marsad("articles", "list", "--format", "json").stdout)
        return {r["id"] for r in rows}

    def alerts(self, **where: Any) -> list[Alert]:
        with self.db.read() as session:
            stmt = select(Alert).order_by(Alert.id)
            for name, value in where.items():
                stmt = stmt.where(getattr(Alert, name) == value)
            return list(session.scalars(stmt))

    def article(self, article_id: int) -> Article:
        with self.db.read() as session:
            article = session.get(Article, article_id)
            assert article is not None
            return article

    def development(self, development_id: int) -> Development:
        with self.db.read() as session:
            dev = session.get(Development, development_id)
            assert dev is not None
            return dev


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    sources = "".join(
        f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "http://127.0.0.1:9/{name}.xml"\n\n'
        for name in ("sawt", "nafitha", "bayraq")
    )
    config = write_config(tmp_path / "marsad.toml", db_url, sources)
    db = open_database(db_url)
    try:
        yield Desk(config, db, Store(db, DevelopmentRecorder(load_config(config))))
    finally:
        db.dispose()


def test_a_story_marked_not_relevant_is_listed_searched_and_alerted_nowhere(desk: Desk) -> None:
    first = desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    copy = desk.put("http://nafitha.test/7", DELIVERY_TITLE, DELIVERY_BODY, source="nafitha")
    assert first.status == "new" and copy.status == "copy"
    assert [a.status for a in desk.alerts(article_id=first.article_id)] == ["pending"]
    assert {first.article_id, copy.article_id} <= desk.listed_ids()

    # Marked through the copy: the verdict is on the story.
    result = desk.marsad(
        "articles", "mark", str(copy.article_id), "--not-relevant", "--by", "huda", "--note", "x"
    )
    assert "pending alerts skipped" in result.stderr

    assert not {first.article_id, copy.article_id} & desk.listed_ids()
    found = desk.marsad("search", "أردوغان", "--format", "json").stdout
    assert json.loads(found) == []
    assert [a.status for a in desk.alerts(article_id=first.article_id)] == ["skipped"]
    assert first.development_id is not None
    assert desk.development(first.development_id).status == "empty"

    # A revision of the article, and a copy that arrives later, keep the verdict.
    revised = desk.put(
        "http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY, extra="وتابعت الصحف التركية الخبر."
    )
    late_copy = desk.put("http://bayraq.test/3", DELIVERY_TITLE, DELIVERY_BODY, source="bayraq")
    assert revised.status == "revision" and late_copy.status == "copy"
    for article_id in (first.article_id, late_copy.article_id):
        article = desk.article(article_id)
        assert article.not_relevant and article.development_id is None
    assert len(desk.alerts()) == 1, "no alert for the revision or the late copy"

    lines = desk.marsad("export", "--corrections").stdout.splitlines()
    assert len(lines) == 1
    exported = json.loads(lines[0])
    assert exported["kind"] == "not-relevant" and exported["by"] == "huda"
    assert exported["article_id"] == copy.article_id and exported["note"] == "x"
    assert set(exported["change"]["articles"]) == {first.article_id, copy.article_id}


def test_topics_set_by_hand_outlast_revisions_and_reach_copies(desk: Desk) -> None:
    first = desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    desk.marsad("articles", "mark", str(first.article_id), "--topics", "sanction,other")
    shown = json.loads(
        desk.marsad("articles", "show", str(first.article_id), "--format", "json").stdout
    )
    assert shown["topics"] == ["sanction", "other"]
    assert shown["analyst_topics"] == ["sanction", "other"]

    # The detector still says "delivery" when the page is re-analysed: the analyst wins.
    desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY, extra="تحديث: أضيفت تفاصيل.")
    copy = desk.put("http://nafitha.test/2", DELIVERY_TITLE, DELIVERY_BODY, source="nafitha")
    assert desk.article(first.article_id).topics == ["sanction", "other"]
    assert desk.article(copy.article_id).topics == ["sanction", "other"]
    rows = json.loads(
        desk.marsad("articles", "list", "--format", "json", "--topic", "sanction").stdout
    )
    assert {r["id"] for r in rows} == {first.article_id, copy.article_id}

    bad = desk.marsad("articles", "mark", str(first.article_id), "--topics", "weather", ok=False)
    assert bad.returncode == 1 and f"article {first.article_id}" in bad.stderr
    missing = desk.marsad("articles", "mark", "99999", "--not-relevant", ok=False)
    assert missing.returncode == 1 and "article 99999 does not exist" in missing.stderr
    with desk.db.read() as session:
        assert [c.kind for c in session.scalars(select(Correction))] == ["topics"]


def test_a_development_marked_wrong_sends_no_further_follow_ups(desk: Desk) -> None:
    first = desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    follow = desk.put("http://nafitha.test/2", FOLLOW_TITLE, FOLLOW_BODY, source="nafitha", hours=3)
    assert follow.status == "new" and follow.development_id == first.development_id
    assert first.development_id is not None
    parked = desk.alerts(article_id=follow.article_id)
    assert [(a.kind, a.status) for a in parked] == [("follow-up", "pending")]

    desk.marsad("developments", "mark", str(first.development_id), "--wrong")
    assert desk.development(first.development_id).status == "wrong"
    assert [a.status for a in desk.alerts(article_id=follow.article_id)] == ["skipped"]

    later = desk.put(
        "http://bayraq.test/5", FOLLOW_TITLE, SECOND_FOLLOW_BODY, source="bayraq", hours=5
    )
    assert later.development_id == first.development_id, "it still groups"
    assert desk.alerts(article_id=later.article_id) == []
    listed = json.loads(desk.marsad("developments", "list", "--format", "json").stdout)
    assert [(d["id"], d["status"], d["reports"]) for d in listed] == [
        (first.development_id, "wrong", 3)
    ]


def test_merge_and_split_move_reports_and_silence_what_was_merged(desk: Desk) -> None:
    turkey = desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    india = desk.put_india("http://nafitha.test/2", source="nafitha")
    keep, other = turkey.development_id, india.development_id
    assert keep is not None and other is not None and keep != other

    desk.marsad("developments", "merge", str(keep), str(other))
    assert desk.article(india.article_id).development_id == keep
    merged = desk.development(other)
    assert (merged.status, merged.merged_into) == ("merged", keep)
    assert [a.status for a in desk.alerts(development_id=other)] == ["skipped"]
    assert desk.development(keep).report_count == 2
    listed = json.loads(desk.marsad("developments", "list", "--format", "json").stdout)
    assert [d["id"] for d in listed] == [keep]
    everything = json.loads(desk.marsad("developments", "list", "--format", "json", "--all").stdout)
    assert {d["id"] for d in everything} == {keep, other}
    again = desk.marsad("developments", "merge", str(keep), str(other), ok=False)
    assert again.returncode == 1 and f"development {other} was merged into" in again.stderr

    split = desk.marsad("developments", "split", str(india.article_id))
    new_dev = int(split.stdout.strip())
    assert desk.article(india.article_id).development_id == new_dev
    assert desk.development(keep).report_count == 1
    assert desk.development(new_dev).topics == ["negotiation"]
    shown = json.loads(desk.marsad("developments", "show", str(keep), "--format", "json").stdout)
    assert [a["id"] for a in shown["articles"]] == [turkey.article_id]
    assert [c["kind"] for c in shown["corrections"]] == ["merge"]
    lonely = desk.marsad("developments", "split", str(india.article_id), ok=False)
    assert lonely.returncode == 1 and f"article {india.article_id} is the only report" in (
        lonely.stderr
    )
    kinds = [
        json.loads(line)["kind"]
        for line in desk.marsad("export", "--corrections").stdout.splitlines()
    ]
    assert kinds == ["merge", "split"]


def test_a_muted_source_raises_no_alerts_until_the_mute_ends(desk: Desk) -> None:
    queued = desk.put_india("http://sawt.test/0", source="sawt")
    result = desk.marsad("sources", "mute", "sawt", "--for", "2h", "--by", "omar")
    assert "muted until" in result.stderr
    status = json.loads(desk.marsad("status", "--format", "json", ok=False).stdout)
    muted_until = {s["name"]: s["muted_until"] for s in status["sources"]}
    assert muted_until["sawt"] is not None and muted_until["nafitha"] is None
    assert [a.status for a in desk.alerts(article_id=queued.article_id)] == ["skipped"]

    muted = desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    assert muted.status == "new" and muted.development_id is not None, "still stored"
    assert desk.alerts(article_id=muted.article_id) == []
    other = desk.put(
        "http://nafitha.test/9",
        "موسكو تعلن تسليم الجزائر بطاريات إس-400 جديدة",
        INDIA_BODY[:1] + DELIVERY_BODY[1:2] + FOLLOW_BODY[2:],
        source="nafitha",
        countries=("Algeria", "Russia"),
    )
    assert [a.kind for a in desk.alerts(article_id=other.article_id)] == ["new"]

    desk.marsad("sources", "unmute", "sawt")
    status = json.loads(desk.marsad("status", "--format", "json", ok=False).stdout)
    assert all(s["muted_until"] is None for s in status["sources"])
    after = desk.put(
        "http://sawt.test/2",
        FOLLOW_TITLE,
        SECOND_FOLLOW_BODY,
        topics=("sanction",),
        countries=("Turkey", "United States"),
        hours=30,
    )
    assert [a.status for a in desk.alerts(article_id=after.article_id)] == ["pending"]

    unknown = desk.marsad("sources", "mute", "nowhere", "--for", "1h", ok=False)
    assert unknown.returncode == 2 and "nowhere" in unknown.stderr
    both = desk.marsad("sources", "mute", "sawt", "--for", "1h", "--until", "2030-01-01", ok=False)
    assert both.returncode == 2
    lines = desk.marsad("export", "--corrections").stdout.splitlines()
    assert [(json.loads(x)["kind"], json.loads(x)["source"]) for x in lines] == [
        ("mute", "sawt"),
        ("unmute", "sawt"),
    ]
    assert json.loads(lines[0])["by"] == "omar"


def test_the_digest_leaves_out_what_was_ruled_out_marked_wrong_or_muted(desk: Desk) -> None:
    from alerts.digest import queue_digest

    ruled_out = desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    wrong = desk.put_india("http://nafitha.test/2", source="nafitha")
    muted = desk.put(
        "http://bayraq.test/3",
        "موسكو تعلن تسليم الجزائر بطاريات إس-400 جديدة",
        FOLLOW_BODY[:1] + SECOND_FOLLOW_BODY[1:],
        source="bayraq",
        countries=("Algeria", "Russia"),
    )
    assert len({ruled_out.development_id, wrong.development_id, muted.development_id}) == 3
    desk.marsad("articles", "mark", str(ruled_out.article_id), "--not-relevant")
    desk.marsad("developments", "mark", str(wrong.development_id), "--wrong")
    assert queue_digest(desk.db, load_config(desk.config)) == 1, "the muted one, still"
    with desk.db.write() as session:
        for row in session.scalars(select(Alert).where(Alert.kind == "digest")):
            session.delete(row)

    desk.marsad("sources", "mute", "bayraq", "--for", "1d")
    assert queue_digest(desk.db, load_config(desk.config)) == 0
    assert [a for a in desk.alerts() if a.kind == "digest"] == []


def test_a_muted_source_raises_no_health_alert(desk: Desk) -> None:
    from crawler.crawl.run import SourceSummary, record_run

    config = load_config(desk.config)
    desk.marsad("sources", "mute", "sawt", "--for", "1h")
    for source in ("sawt", "nafitha"):
        for _ in range(config.alerts.source_failure_threshold):
            record_run(desk.db, None, SourceSummary(source, status="error"), config)
    health = [a for a in desk.alerts() if a.kind == "source-health"]
    assert [a.payload["note"].split()[1] for a in health] == ["nafitha"]


def test_a_ruled_out_report_does_not_count_towards_a_spike(desk: Desk) -> None:
    from alerts.spike import check_spike

    config = load_config(desk.config)
    alerts = config.alerts.model_copy(update={"spike_min_reports": 2})
    config = config.model_copy(update={"alerts": alerts})
    desk.put("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY)
    india = desk.put_india("http://nafitha.test/2", source="nafitha")
    desk.marsad("articles", "mark", str(india.article_id), "--not-relevant")
    check = check_spike(desk.db, config, now=T0)
    assert (check.reports, check.queued) == (1, 0)
