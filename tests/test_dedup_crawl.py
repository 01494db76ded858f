"""Dedup and incremental crawling end to end: the real `marsad crawl` over the loopback web.

Covers issue 3: syndicated copies stored once with copies pointing at the original, related
but different developments kept apart, a no-change re-crawl costing one 304 per feed (and per
sitemap), a late earlier copy re-pointing the original, and the seen-URL rules (irrelevant
pages, tracking parameters, revisions announced by a feed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crawler.storage.db import open_database
from crawler.storage.models import CrawlRun
from crawler.storage.store import Store
from tests.conftest import write_config
from tests.fixtureweb import ArticleSpec, Expected, FixtureWeb, default_outlets
from tests.helpers import invoke_marsad, stored_articles

# --- Fixture stories: written for these tests (facts approximate, outlets invented) -------

# An agency story as the first outlet printed it.
ALGERIA_ORIGINAL = [
    "أعلنت شركة «روس أوبورون إكسبورت» الروسية أن العقد الموقع مع الجزائر لتوريد فوجين من "
    "منظومات الدفاع الجوي «إس-400» دخل حيز التنفيذ، وأن الدفعة الأولى من المعدات ستشحن خلال "
    "الربع الأول من العام المقبل.",
    'وقال نائب المدير العام للشركة في مؤتمر صحفي عقده في موسكو إن "الجانب الجزائري سدد الدفعة '
    'المقدمة كاملة، وبدأت المصانع الروسية تجهيز المنصات والرادارات وفق الجدول المتفق عليه".',
    "وأضاف أن العقد يتضمن تدريب نحو 200 عسكري جزائري في مراكز تأهيل روسية، إلى جانب إنشاء ورشة "
    "صيانة محلية تتولى الإصلاحات الدورية للمنظومة وتخزين قطع الغيار.",
    'وامتنع المسؤول عن الكشف عن قيمة الصفقة، مكتفياً بالقول إنها "من أكبر عقود التصدير التي '
    'أبرمتها الشركة في القارة الأفريقية خلال العقد الأخير".',
    "وتعد الجزائر من أكبر مستوردي السلاح الروسي في العالم، إذ تعتمد قواتها الجوية والبرية بدرجة "
    "كبيرة على معدات سوفيتية وروسية الصنع منذ ستينيات القرن الماضي.",
    "وكانت تقارير صحفية قد أشارت في السنوات الماضية إلى اهتمام جزائري بالمنظومة، من دون أن يؤكد "
    "أي من البلدين رسمياً توقيع العقد قبل هذا الإعلان.",
]

# Second outlet: its own headline and lead, Arabic-Indic digits, the price paragraph dropped,
# and the service lines its CMS appends.
ALGERIA_COPY_LEAD = [
    "تستعد الجزائر لتعزيز دفاعاتها الجوية بمنظومات روسية بعيدة المدى، في صفقة يرجح أن تثير "
    "قلق عواصم غربية.",
    "أعلنت شركة «روس أوبورون إكسبورت» الروسية أن العقد الموقع مع الجزائر لتوريد فوجين من "
    'منظومات الدفاع الجوي "إس ٤٠٠" دخل حيز التنفيذ، وأن الدفعة الأولى من المعدات ستشحن خلال '
    "الربع الأول من العام المقبل.",
    ALGERIA_ORIGINAL[1],
    "وأضاف أن العقد يتضمن تدريب نحو ٢٠٠ عسكري جزائري في مراكز تأهيل روسية، إلى جانب إنشاء ورشة "
    "صيانة محلية تتولى الإصلاحات الدورية للمنظومة وتخزين قطع الغيار.",
    ALGERIA_ORIGINAL[4],
    ALGERIA_ORIGINAL[5],
    "اقرأ أيضاً: موسكو تعرض على شركائها الأفارقة تسهيلات في الدفع بالعملات المحلية",
    "تابعونا على منصات التواصل الاجتماعي لمتابعة آخر المستجدات.",
]

# Third outlet: an attribution in front, phrases trimmed, two paragraphs swapped, the last one
# dropped and a closing paragraph of its own (about a fifth of the text is new or missing).
ALGERIA_COPY_AGENCY = [
    "موسكو (وكالات) - أعلنت شركة «روس أوبورون إكسبورت» أن العقد الموقع مع الجزائر لتوريد فوجين "
    "من منظومات الدفاع الجوي «اس-400» دخل حيز التنفيذ، وأن الدفعة الأولى من المعدات ستشحن خلال "
    "الربع الأول من العام المقبل.",
    "وأضاف نائب المدير العام للشركة أن العقد يتضمن تدريب نحو 200 عسكري جزائري في مراكز تأهيل "
    "روسية، إلى جانب إنشاء ورشة صيانة محلية تتولى الإصلاحات الدورية للمنظومة.",
    'وقال المسؤول في مؤتمر صحفي إن "الجانب الجزائري سدد الدفعة المقدمة كاملة، وبدأت المصانع '
    'الروسية تجهيز المنصات والرادارات وفق الجدول المتفق عليه".',
    ALGERIA_ORIGINAL[3],
    ALGERIA_ORIGINAL[4],
    "ويرى خبراء عسكريون أن دخول المنظومة الخدمة سيمنح الجزائر مظلة دفاعية تغطي مساحات واسعة من "
    "شمال البلاد وسواحلها المتوسطية.",
]

# Two different developments (a denial of talks, and a US sanctions warning) that repeat the
# same three background paragraphs.
_EGYPT_BACKGROUND = [
    "وكانت مصر قد وقعت في 2018 عقداً مع روسيا لشراء أكثر من عشرين مقاتلة من طراز «سو-35»، وهي "
    "صفقة أثارت اعتراض واشنطن التي لوحت حينها بعقوبات بموجب قانون «كاتسا».",
    "ويجيز القانون الأمريكي معاقبة أي دولة تبرم صفقات كبيرة مع قطاع الدفاع الروسي، وقد طبق فعلاً "
    "على الصين عام 2018 وعلى تركيا عام 2020 بسبب شرائهما منظومة «إس-400».",
    "وتتلقى مصر مساعدات عسكرية أمريكية سنوية تبلغ نحو 1.3 مليار دولار، ما يمنح واشنطن أوراق ضغط "
    "على قرارات التسلح في القاهرة.",
]
EGYPT_DENIAL = [
    "نفى مصدر عسكري مصري وجود مفاوضات مع موسكو لشراء منظومة الدفاع الجوي «إس-400»، مؤكداً أن ما "
    'نشرته وسائل إعلام روسية عن قرب توقيع عقد "لا أساس له من الصحة".',
    "وقال المصدر إن أولويات القوات المصرية في مجال الدفاع الجوي محددة ضمن خطة تحديث معلنة، وإن "
    "القاهرة تعتمد على تنويع مصادر السلاح من دون الارتباط بصفقات بعينها.",
    *_EGYPT_BACKGROUND,
    "وكانت صحيفة روسية قد نقلت الأسبوع الماضي عن مصدر في قطاع الصناعات العسكرية أن مشاورات تجري "
    "مع القاهرة حول المنظومة.",
]
EGYPT_WARNING = [
    "حذر مسؤول في وزارة الخارجية الأمريكية مصر من أن أي صفقة لشراء منظومة «إس-400» الروسية "
    "ستعرضها لعقوبات، في أول موقف علني لواشنطن من التقارير المتداولة عن اهتمام القاهرة بالمنظومة.",
    'وقال المسؤول خلال جلسة استماع في الكونغرس إن الإدارة "أبلغت الجانب المصري بوضوح" أن شراء '
    "أسلحة روسية جديدة قد يهدد جزءاً من المساعدات العسكرية.",
    *_EGYPT_BACKGROUND,
    "ولم يصدر تعليق رسمي من القاهرة على تصريحات المسؤول الأمريكي حتى مساء اليوم.",
]

ALGERIA_SLUGS = {
    "sawt": "algeria-s400-contract",
    "nafitha": "algeria-s400-early-next-year",
    "bayraq": "algeria-s400-agency",
}


def algeria_specs(anchor: datetime, hours: dict[str, float] | None = None) -> list[ArticleSpec]:
    """The agency story on three outlets; `hours` (before `anchor`) places each copy in time."""
    hours = hours or {"sawt": 30, "nafitha": 26, "bayraq": 22}
    expected = Expected(
        relevant=True,
        terms=("S-400", "Rosoboronexport"),
        topics=("contract",),
        countries=("Algeria", "Russia"),
        event="algeria-contract",
    )
    texts = {
        "sawt": (
            "«روس أوبورون إكسبورت»: عقد توريد «إس-400» إلى الجزائر يدخل حيز التنفيذ",
            ALGERIA_ORIGINAL,
        ),
        "nafitha": ("الجزائر تبدأ استلام «إس ٤٠٠» الروسية مطلع العام المقبل", ALGERIA_COPY_LEAD),
        "bayraq": ('موسكو تشحن أولى بطاريات "اس-400" إلى الجزائر خلال أشهر', ALGERIA_COPY_AGENCY),
    }
    return [
        ArticleSpec(
            slug=ALGERIA_SLUGS[outlet],
            outlet=outlet,
            title=texts[outlet][0],
            paragraphs=list(texts[outlet][1]),
            published=anchor - timedelta(hours=hours[outlet]),
            expected=expected,
        )
        for outlet in hours
    ]


def egypt_specs(anchor: datetime) -> list[ArticleSpec]:
    return [
        ArticleSpec(
            slug="egypt-denies-s400-talks",
            outlet="nafitha",
            title="مصدر مصري ينفي التفاوض مع موسكو على منظومة «إس-400»",
            paragraphs=list(EGYPT_DENIAL),
            published=anchor - timedelta(hours=35),
            expected=Expected(relevant=True, terms=("S-400",), event="egypt-denial"),
        ),
        ArticleSpec(
            slug="us-warns-egypt-s400",
            outlet="bayraq",
            title="واشنطن تحذر القاهرة من عقوبات إذا اشترت «إس-400»",
            paragraphs=list(EGYPT_WARNING),
            published=anchor - timedelta(hours=14),
            expected=Expected(relevant=True, terms=("S-400",), event="egypt-warning"),
        ),
    ]


# --- helpers ------------------------------------------------------------------------------


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def crawl(config: Path) -> None:
    result = invoke_marsad("crawl", config=config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "could not record" not in result.stderr, result.stderr


def by_key(web: FixtureWeb, articles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for article in articles:
        key = web.key_for_url(article["url"])
        assert key is not None, article["url"]
        assert key not in out, f"{key} stored twice"
        out[key] = article
    return out


def article_requests(web: FixtureWeb, since: int = 0) -> list[str]:
    """Paths of requests for anything but a feed, a sitemap or robots.txt."""
    index = {"/rss.xml", "/atom.xml", "/sitemap.xml", "/news-sitemap.xml", "/robots.txt"}
    return [f"{r.outlet}{r.path}" for r in web.requests[since:] if r.path not in index]


def assert_one_story(stored: dict[str, dict[str, Any]], original: str, copies: list[str]) -> None:
    root = stored[original]
    assert root["duplicate_of"] is None, f"{original} should be the original"
    for key in copies:
        copy = stored[key]
        assert copy["duplicate_of"] == root["id"], (key, copy["duplicate_of"], root["id"])
        # A copy keeps its own url, source and title, and shares the original's analysis.
        assert copy["source"] == key.split("/")[0]
        assert copy["topics"] == root["topics"]
        assert copy["countries"] == root["countries"]
        assert copy["development_id"] == root["development_id"]


def show(config: Path, article_id: int) -> dict[str, Any]:
    result = invoke_marsad("articles", "show", str(article_id), "--format", "json", config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def harvest_spec(outlet: str, published: datetime) -> ArticleSpec:
    """An irrelevant page (farm news)."""
    return ArticleSpec(
        slug=f"dates-harvest-{outlet}",
        outlet=outlet,
        section="economy",
        title="موسم جني التمور يبدأ مبكراً في واحات الجنوب",
        paragraphs=[
            "بدأ المزارعون في واحات الجنوب جني محصول التمور قبل موعده المعتاد بأسبوعين، بسبب "
            "ارتفاع درجات الحرارة خلال فصل الصيف.",
            "وتتوقع الغرف الفلاحية أن يتجاوز الإنتاج هذا العام مستواه في الموسم الماضي، مع "
            "تحسن ملحوظ في جودة الأصناف الموجهة للتصدير.",
        ],
        published=published,
    )


def started_web(specs: list[ArticleSpec]) -> FixtureWeb:
    web = FixtureWeb(default_outlets())
    web.publish_many(specs)
    return web.start()


# --- tests --------------------------------------------------------------------------------


def test_syndicated_copies_related_stories_and_a_304_recrawl(
    web: FixtureWeb, db_url: str, tmp_path: Path
) -> None:
    anchor = now_minute()
    web.publish_many(algeria_specs(anchor) + egypt_specs(anchor))
    config = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["rss"]))
    crawl(config)
    stored = by_key(web, stored_articles(config))

    # Three outlets, one agency story with realistic edits: one original, two copies.
    algeria = [f"{o}/{s}" for o, s in ALGERIA_SLUGS.items()]
    assert set(algeria) <= set(stored)
    assert_one_story(stored, "sawt/algeria-s400-contract", algeria[1:])
    # The starter set's Turkish agency story too (its copies may be crawled before it).
    turkey = "sawt/turkey-second-contract"
    assert_one_story(
        stored,
        turkey,
        ["nafitha/turkey-second-contract-copy", "bayraq/turkey-second-contract-agency"],
    )
    root = show(config, stored[algeria[0]]["id"])
    assert {c["source"] for c in root["copies"]} == {"nafitha", "bayraq"}
    assert stored[algeria[0]]["topics"], "the original is classified"

    # Related but different developments that repeat background paragraphs stay apart.
    for a, b in [
        ("nafitha/egypt-denies-s400-talks", "bayraq/us-warns-egypt-s400"),
        ("nafitha/india-first-regiment", "bayraq/india-caatsa-waiver"),
    ]:
        assert stored[a]["duplicate_of"] is None and stored[b]["duplicate_of"] is None, (a, b)
    originals = stored_articles(config, "--originals")
    assert len(originals) == len(stored) - 4

    # A re-crawl of the unchanged web: one 304 per feed, and no article request at all.
    before = len(web.requests)
    crawl(config)
    assert article_requests(web, before) == []
    feeds = [r for r in web.requests[before:] if r.path == "/rss.xml"]
    assert sorted(r.outlet for r in feeds) == ["bayraq", "nafitha", "sawt"]
    assert all(r.status == 304 and r.header("If-None-Match") for r in feeds), feeds
    assert web.count(path="/rss.xml", status=304) == 3
    assert len(stored_articles(config)) == len(stored)


def test_sitemap_recrawl_is_304_and_a_changed_child_is_still_read(
    web: FixtureWeb, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["sitemap"]))
    crawl(config)
    count = len(stored_articles(config))
    assert count > 0

    before = len(web.requests)
    crawl(config)
    assert article_requests(web, before) == []
    got = sorted((r.outlet, r.path, r.status) for r in web.requests[before:] if "sitemap" in r.path)
    assert got == sorted(
        (o, p, 304)
        for o in ("sawt", "nafitha", "bayraq")
        for p in ("/sitemap.xml", "/news-sitemap.xml")
    )

    # An older story added late changes the child sitemap but not the index (whose lastmod is
    # the newest article's): the index answers 304 and the child must still be read.
    late = algeria_specs(now_minute(), {"sawt": 100})[0]
    web.publish("sawt", late)
    # A remembered child sitemap that is gone is forgotten, not counted as a source error.
    web.set_fault("/news-sitemap.xml", "404", outlet="bayraq")
    before = len(web.requests)
    crawl(config)
    requests = {(r.outlet, r.path): r.status for r in web.requests[before:]}
    assert requests[("sawt", "/sitemap.xml")] == 304
    assert requests[("sawt", "/news-sitemap.xml")] == 200
    assert requests[("nafitha", "/news-sitemap.xml")] == 304
    assert requests[("bayraq", "/news-sitemap.xml")] == 404
    assert article_requests(web, before) == ["sawt" + web.outlet("sawt").path_for(late)]
    assert len(stored_articles(config)) == count + 1
    db = open_database(db_url)
    try:
        assert Store(db).index_children("bayraq") == []
        assert Store(db).index_children("sawt") == [
            web.outlet("sawt").base_url + "/news-sitemap.xml"
        ]
        with db.read() as session:
            run = session.scalars(
                select(CrawlRun).where(CrawlRun.source == "bayraq").order_by(CrawlRun.id.desc())
            ).first()
        assert run is not None and (run.status, run.errors) == ("ok", 0)
    finally:
        db.dispose()


def test_late_earlier_copy_repoints_the_original(db_url: str, tmp_path: Path) -> None:
    anchor = now_minute()
    first, second, late = algeria_specs(anchor, {"sawt": 20, "nafitha": 10, "bayraq": 30})
    web = started_web([first, second])
    try:
        config = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["rss"]))
        crawl(config)
        stored = by_key(web, stored_articles(config))
        assert_one_story(stored, first.key, [second.key])
        development = stored[first.key]["development_id"]
        alerts_before = json.loads(
            invoke_marsad("alerts", "list", "--format", "json", config=config).stdout
        )

        # A late-crawled outlet had the story ten hours before the stored original.
        web.publish("bayraq", late)
        before = len(web.requests)
        crawl(config)
        assert article_requests(web, before) == ["bayraq" + web.outlet("bayraq").path_for(late)]
        stored = by_key(web, stored_articles(config))
        assert set(stored) == {first.key, second.key, late.key}, "nothing lost, nothing added"
        assert_one_story(stored, late.key, [first.key, second.key])
        assert stored[late.key]["development_id"] == development
        originals = stored_articles(config, "--originals")
        assert [web.key_for_url(a["url"]) for a in originals] == [late.key]
        alerts_after = json.loads(
            invoke_marsad("alerts", "list", "--format", "json", config=config).stdout
        )
        assert len(alerts_after) == len(alerts_before), "a re-pointed story alerts nobody again"
        root = show(config, stored[late.key]["id"])
        assert sorted(c["source"] for c in root["copies"]) == ["nafitha", "sawt"]
    finally:
        web.stop()


def test_seen_urls_tracking_parameters_and_revisions(
    web: FixtureWeb, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["atom"]))
    crawl(config)
    stored = by_key(web, stored_articles(config))
    irrelevant = [s for s in web.articles() if not s.expected.relevant]
    assert {"sawt/greece-s300-patriot", "nafitha/derby-result"} <= {s.key for s in irrelevant}

    # Every feed changes: sawt's links carry other tracking parameters, nafitha revises a
    # story (its Atom <updated> moves on), bayraq adds an irrelevant page.
    sawt = web.outlet("sawt")
    sawt.tracking_params = "utm_source=newsletter&utm_campaign=weekly&utm_content=top&fbclid=x1"
    sawt.version += 1
    revised_key = "nafitha/india-first-regiment"
    old = web.spec(revised_key)
    added = "وأكد المصدر في تصريح لاحق أن الفوج الثاني سيصل قبل نهاية الربيع المقبل."
    web.revise("nafitha", old.slug, paragraphs=[*old.paragraphs, added])
    wheat = web.spec("bayraq/wheat-prices")
    fresh = harvest_spec("bayraq", wheat.published + timedelta(hours=1))
    web.publish("bayraq", fresh)

    before = len(web.requests)
    crawl(config)
    fetched = article_requests(web, before)
    nafitha = web.outlet("nafitha")
    # Only the revision and the new page: no irrelevant page again, no URL that only differs
    # in its tracking parameters.
    assert sorted(fetched) == sorted(
        ["nafitha" + nafitha.path_for(old), "bayraq" + web.outlet("bayraq").path_for(fresh)]
    )
    assert {r.status for r in web.requests[before:] if r.path == "/atom.xml"} == {200}

    after = by_key(web, stored_articles(config))
    assert set(after) == set(stored)
    revised = show(config, after[revised_key]["id"])
    assert revised["id"] == stored[revised_key]["id"]
    assert revised["revision"] == 2
    assert added in revised["text"]

    # nafitha's feed changes again and still announces the revision's date: the revised page
    # is not fetched a second time.
    later = harvest_spec("nafitha", wheat.published + timedelta(hours=2))
    web.publish("nafitha", later)
    before = len(web.requests)
    crawl(config)
    assert {r.status for r in web.find(outlet="nafitha", path="/atom.xml")[-1:]} == {200}
    assert article_requests(web, before) == ["nafitha" + nafitha.path_for(later)]
