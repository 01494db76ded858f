"""Search latency over N stored articles (default 100k), p50 and p99, on SQLite and PostgreSQL.

    python -m benchmarks.bench_search [--articles 100000] [--queries 300]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test] [--only sqlite|postgres]

Synthetic Arabic articles are generated from a phrase bank written for this benchmark and bulk
inserted with SQLAlchemy core, through the real migrations, so the FTS5 / tsvector triggers fill
the index exactly as a crawl does. Then a fixed mix of queries (common and rare terms, spelling
variants, phrases, with and without filters) is timed: the ranked id query alone, and the whole
`search()` (articles loaded, snippets and highlight spans made) as the CLI and the web page call
it. PostgreSQL runs in a schema of its own, dropped afterwards; it is skipped when no URL is
given (``--pg-url`` or ``$MARSAD_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.bench_crawl import pg_schema_url
from crawler.analysis.searchterms import search_form
from crawler.review.queries import ArticleFilter
from crawler.review.search import search, search_ids
from crawler.storage.db import Database, open_database
from crawler.storage.models import Article
from crawler.text.arabic import normalize

# --- the phrase bank (written for this benchmark) --------------------------------------------

OPENERS = [
    "قالت مصادر مطلعة إن",
    "أعلنت وزارة الدفاع أن",
    "ذكرت وكالة أنباء رسمية أن",
    "أفاد مسؤول رفيع بأن",
    "كشف تقرير صحفي أن",
    "أكد متحدث حكومي أن",
    "نقلت صحيفة محلية عن دبلوماسي أن",
    "رجح محللون عسكريون أن",
]
ACTORS = [
    ("تركيا", "contract"),
    ("الهند", "delivery"),
    ("السعودية", "negotiation"),
    ("الجزائر", "negotiation"),
    ("مصر", "negotiation"),
    ("الصين", "delivery"),
    ("بيلاروسيا", "delivery"),
    ("قطر", "negotiation"),
    ("الإمارات", "negotiation"),
    ("العراق", "negotiation"),
    ("فيتنام", "other"),
    ("إيران", "sanction"),
]
COUNTRY_NAMES = {
    "تركيا": "Turkey",
    "الهند": "India",
    "السعودية": "Saudi Arabia",
    "الجزائر": "Algeria",
    "مصر": "Egypt",
    "الصين": "China",
    "بيلاروسيا": "Belarus",
    "قطر": "Qatar",
    "الإمارات": "United Arab Emirates",
    "العراق": "Iraq",
    "فيتنام": "Vietnam",
    "إيران": "Iran",
}
ACTIONS = [
    "تقترب من توقيع عقد لشراء",
    "تسلمت الدفعة الثانية من",
    "تجري مفاوضات متقدمة بشأن",
    "تدرس عرضاً روسياً لتوريد",
    "نفت وجود خطط لشراء",
    "بدأت نشر وحدات من",
    "طلبت تسريع تسليم",
    "أرجأت قرارها بشأن",
]
SYSTEMS = [
    "منظومة إس-400",
    "منظومة «اس 400»",
    "منظومات إس ٤٠٠ الروسية",
    'منظومة "أس-400 تريومف"',
    "منظومة الدفاع الجوي إس–400",
    "منظومة إس-300",
    "مقاتلات سوخوي 35",
    "صواريخ بانتسير",
    "منظومة إس-500",
    "مروحيات مي-17",
]
TAILS = [
    "قبل نهاية العام الجاري.",
    "وفق ما نقلته وسائل إعلام محلية.",
    "رغم التحذيرات الأمريكية من عقوبات بموجب قانون كاتسا.",
    "في صفقة تقدر قيمتها بمليارات الدولارات.",
    "بحسب شركة روس أوبورون إكسبورت.",
    "وهو ما نفته الخارجية في بيان مقتضب.",
    "على أن يبدأ التدريب في الربيع المقبل.",
    "في إطار خطة لتحديث الدفاع الجوي.",
    "من دون الكشف عن عدد البطاريات.",
    "بعد زيارة وفد عسكري إلى موسكو.",
]
FILLERS = [
    "وأضاف أن المحادثات تناولت أيضاً التعاون في مجالات التدريب والصيانة ونقل الخبرات.",
    "ويرى خبراء أن الصفقة تعكس رغبة في تنويع مصادر التسلح بعيداً عن الموردين الغربيين.",
    "وكانت واشنطن قد لوحت مراراً بفرض عقوبات على الدول التي تبرم صفقات كبيرة مع موسكو.",
    "ولم يصدر أي تعليق رسمي من الجانب الروسي حتى ساعة إعداد هذا الخبر.",
    "وتأتي هذه التطورات في ظل توتر إقليمي متصاعد وسباق على منظومات الدفاع الجوي.",
    "وأشار المصدر إلى أن الجانبين اتفقا على معظم البنود الفنية والمالية.",
    "وتشير تقديرات إلى أن تشغيل المنظومة يتطلب تدريب مئات العسكريين.",
    "وفي سياق متصل، ناقش البرلمان تقريراً عن ميزانية الدفاع للعام المقبل.",
]
RARE = ["سينوب", "البنجاب", "كالينينغراد", "أستراخان", "تبوك", "ورقلة"]

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("اس 400", {}),
    ("إس ٤٠٠", {}),
    ("أس-400 تركيا", {}),
    ("روس أوبورون إكسبورت", {}),
    ("الهند", {}),
    ("للهند", {}),
    ("عقوبات كاتسا", {}),
    ('"الدفعة الثانية"', {}),
    ("سوخوي 35 الجزائر", {}),
    ("بانتسير", {}),
    ("سينوب", {}),
    ("كالينينغراد تبوك", {}),
    ("اس 400", {"topic": "delivery"}),
    ("عقد", {"country": "Turkey"}),
    ("تريومف", {"since": datetime(2025, 6, 1, tzinfo=UTC)}),
]


def phrase_parts(rng: random.Random) -> list[str]:
    actor, _ = rng.choice(ACTORS)
    return [rng.choice(OPENERS), actor, rng.choice(ACTIONS), rng.choice(SYSTEMS), rng.choice(TAILS)]


class Forms:
    """Normalized and search forms per phrase, computed once: a join of word-aligned parts
    has the join of their forms, so 100k articles cost no per-character Python work."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, str]] = {}

    def __call__(self, part: str) -> tuple[str, str]:
        if part not in self._cache:
            self._cache[part] = (normalize(part), search_form(part))
        return self._cache[part]


def generate(n: int, seed: int = 400) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    forms = Forms()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(n):
        title_parts = phrase_parts(rng)[1:4]
        body_parts: list[str] = []
        for _ in range(rng.randint(2, 4)):
            body_parts += phrase_parts(rng)
            body_parts.append(rng.choice(FILLERS))
        if rng.random() < 0.02:
            body_parts.append(f"وجرت الاختبارات قرب {rng.choice(RARE)}.")
        actor = title_parts[0]
        topic = next(t for a, t in ACTORS if a == actor)
        published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
        body_forms = [forms(p) for p in body_parts]
        title_forms = [forms(p) for p in title_parts]
        yield {
            "url": f"https://bench.example/{i}",
            "source": f"outlet{i % 40}",
            "title": " ".join(title_parts),
            "text": " ".join(body_parts),
            "normalized_text": " ".join(f[0] for f in body_forms),
            "search_title": " ".join(f[1] for f in title_forms),
            "search_body": " ".join(f[1] for f in body_forms),
            "content_hash": f"{i:064x}",
            "published_at": published,
            "published_precision": "second",
            "fetched_at": published + timedelta(minutes=5),
            "updated_at": published + timedelta(minutes=5),
            "revision": 1,
            "terms": [],
            "topics": [topic],
            "countries": ["Russia", COUNTRY_NAMES[actor]],
            "evidence": {},
            "amounts": [],
        }


def fill(db: Database, n: int, batch: int = 2000) -> float:
    began = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with db.engine.begin() as conn:
        for row in generate(n):
            rows.append(row)
            if len(rows) == batch:
                conn.execute(insert(Article), rows)
                rows = []
        if rows:
            conn.execute(insert(Article), rows)
        if db.is_sqlite:
            # Merge FTS5 segments once, as a long-running install ends up after its automerges.
            conn.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        else:
            conn.exec_driver_sql("ANALYZE articles")
            conn.exec_driver_sql("ANALYZE articles_fts")
    return time.perf_counter() - began


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def time_queries(db: Database, rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"ids": [], "full": []}
    per_query: dict[str, list[float]] = {}
    with db.read() as session:
        for q, flt in QUERIES:  # warm-up: page cache, prepared plans
            search_ids(session, q, ArticleFilter(limit=20, **flt))
        for r in range(rounds):
            q, flt = QUERIES[r % len(QUERIES)]
            f = ArticleFilter(limit=20, **flt)
            t0 = time.perf_counter()
            search_ids(session, q, f)
            t1 = time.perf_counter()
            search(session, q, f)
            t2 = time.perf_counter()
            timings["ids"].append((t1 - t0) * 1000)
            timings["full"].append((t2 - t1) * 1000)
            per_query.setdefault(q + (" +filter" if flt else ""), []).append((t2 - t1) * 1000)
            session.expunge_all()
    timings.update({f"q:{k}": v for k, v in per_query.items()})
    return timings


def report(name: str, n: int, load_s: float, timings: dict[str, list[float]]) -> None:
    print(f"\n{name}: {n} articles, loaded in {load_s:.1f} s ({n / load_s:.0f} articles/s)")
    for key, label in (("ids", "ranked ids (DB query)"), ("full", "search() with snippets")):
        v = timings[key]
        print(
            f"  {label:<24} p50 {percentile(v, 50):7.1f} ms   p99 {percentile(v, 99):7.1f} ms"
            f"   mean {statistics.fmean(v):6.1f} ms   ({len(v)} queries)"
        )
    print("  per query (search() p50):")
    for key, v in timings.items():
        if key.startswith("q:"):
            print(f"    {percentile(v, 50):7.1f} ms  {key[2:]}")


def run_sqlite(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            load = fill(db, n)
            report("SQLite (FTS5)", n, load, time_queries(db, rounds))
        finally:
            db.dispose()


def run_postgres(url: str, n: int, rounds: int) -> None:
    with pg_schema_url(url) as schema_url:
        db = open_database(schema_url)
        try:
            load = fill(db, n)
            report("PostgreSQL (tsvector + GIN)", n, load, time_queries(db, rounds))
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="timed searches per database")
    parser.add_argument("--pg-url", default=os.environ.get("MARSAD_TEST_DATABASE_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args(argv)
    print(f"search benchmark: {args.articles} articles, {args.queries} timed queries each")
    if args.only != "postgres":
        run_sqlite(args.articles, args.queries)
    if args.only != "sqlite":
        if args.pg_url:
            run_postgres(args.pg_url, args.articles, args.queries)
        else:
            print("\nPostgreSQL: skipped (no --pg-url or $MARSAD_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
