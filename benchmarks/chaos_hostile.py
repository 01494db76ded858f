"""The hostile-source probe of `benchmarks.chaos`: one `marsad crawl` of the fixture web's three
outlets beside a source for each way a feed or a page misbehaved in issue 16's adversarial
review, all on loopback.

Hosts: the fixture web's outlets on 127.0.0.1-3 (the good sources, and the fault routes of the
big page, the redirect loop and the 403/404/500 feeds), a static site on 127.0.0.4 (feeds and
pages written here, wrong headers included), a host that never answers on 127.0.0.5, and a
fourth outlet on 127.0.0.6 whose page claims a good outlet's article as its canonical URL.
Each hostile source stands on its own line of the table with what it should leave behind.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crawler.storage.db import open_database
from crawler.storage.models import Article, CrawlRun
from tests.fakes.site import (
    ARABIC_PAGE,
    PAGE,
    HungHost,
    StaticSite,
    hung_host,
    rss,
    static_site,
)
from tests.fixtureweb import ArticleSpec, FixtureWeb, Outlet, default_outlets, starter_specs
from tests.helpers import invoke_marsad, run_marsad, write_config

GOOD = ("sawt", "nafitha", "bayraq")
# The crawl's bound: its child closes its crawlers after this, and the parent kills it soon after.
HARD_TIMEOUT = 90
MAX_PAGE_BYTES = 2_000_000
MAX_ARTICLES = 200
BIG_PAGE_BYTES = 50_000_000
BULK_ITEMS = 10_000
CRAWL_SETTINGS = f"""hard_timeout = "{HARD_TIMEOUT}s"
max_page_bytes = {MAX_PAGE_BYTES}
max_articles_per_run = {MAX_ARTICLES}
"""
NOW = datetime.now(UTC).replace(microsecond=0)
FEED_DATE = "Mon, 06 Jan 2025 08:00:00 GMT"

# Articles of the static site's sources, written for this probe.
MAINTENANCE = (
    "وفد عسكري يبحث في موسكو صيانة بطاريات «إس-400»",
    [
        "وصل وفد عسكري رفيع إلى موسكو لبحث عقد صيانة طويل الأمد لبطاريات منظومة الدفاع الجوي "
        "«إس-400» التي تسلمها بلده قبل عامين.",
        "وقال مصدر في الوفد إن المحادثات مع شركة «روس أوبورون إكسبورت» تشمل قطع الغيار وتدريب "
        "الفنيين المحليين على الإصلاح.",
        "ولم يحدد المصدر قيمة العقد المرتقب، لكنه أشار إلى أن التوقيع قد يتم قبل نهاية العام.",
    ],
)
EXERCISE = (
    "تأجيل مناورة للدفاع الجوي كانت ستشارك فيها منظومة «إس-400»",
    [
        "أعلنت قيادة الدفاع الجوي تأجيل مناورة سنوية كان من المقرر أن تشارك فيها وحدات من منظومة "
        "«إس-400» للمرة الأولى منذ وصولها.",
        "وعزت القيادة التأجيل إلى أحوال جوية سيئة متوقعة في منطقة الرماية خلال الأسبوع المقبل.",
        "وأكد بيان القيادة أن المناورة ستجرى في موعد جديد يعلن عنه لاحقا.",
    ],
)
RUNNING_COSTS = (
    "لجنة برلمانية تطلب إيضاحات عن كلفة تشغيل «إس-400»",
    [
        "طلبت لجنة الدفاع في البرلمان من الحكومة تقديم إيضاحات مكتوبة عن الكلفة السنوية لتشغيل "
        "منظومة «إس-400» التي اشترتها البلاد من روسيا.",
        "وقال رئيس اللجنة إن النواب يريدون أرقاما دقيقة عن الرواتب والوقود وقطع الغيار قبل "
        "مناقشة ميزانية الدفاع.",
        "ويتوقع أن ترد وزارة الدفاع على أسئلة اللجنة خلال جلسة مغلقة الشهر المقبل.",
    ],
)
FORGED = [
    "نفت شركة «روس أوبورون إكسبورت» في بيان مقتضب أن تكون قد وقعت أي عقد جديد لتوريد منظومة "
    "«إس-400» خلال الأشهر الماضية، ووصفت ما تردد عن ذلك بأنه تكهنات.",
    "وقال البيان إن الشركة تعلن عقودها عبر قنواتها الرسمية وحدها، ولا تعلق على ما ينشر خارجها.",
]
FILLER = "نشرة الطقس: سماء صافية ورياح خفيفة على معظم المناطق مع ارتفاع طفيف في درجات الحرارة. "


@dataclass
class Result:
    """What the checks read after the crawl."""

    runs: dict[str, CrawlRun]
    status: dict[str, dict[str, Any]]  # `marsad status --format json`, by source
    articles: dict[int, tuple[str, ...]]  # id -> url, source, title, content hash, revision
    before: dict[int, tuple[str, ...]]  # the same, after the good sources' first crawl
    site: StaticSite
    web: FixtureWeb


Check = Callable[[Result], tuple[str, bool]]
# A row of the table: probe, expected, seen, passed.
Line = tuple[str, str, str, bool]


@dataclass(frozen=True)
class Hostile:
    source: str
    url: str
    expected: str
    check: Check


def error_named(source: str, kind: str, hint: str = "") -> Check:
    """The run counted `kind` (its message mentioning `hint`), and `status` shows an error."""

    def check(result: Result) -> tuple[str, bool]:
        run, shown = result.runs.get(source), result.status.get(source, {})
        if run is None:
            return "no run recorded", False
        counted = ", ".join(f"{k} x{n}" for k, n in sorted(run.error_kinds.items())) or "none"
        seen = f"run {run.status}, errors {counted}; status errors={shown.get('errors')}"
        if shown.get("last_error"):
            seen += f", last error {shown['last_error'][:60]!r}"
        named = kind in run.error_kinds and hint in (run.last_error or "")
        return seen, named and shown.get("errors", 0) >= 1

    return check


def stored_by(result: Result, source: str) -> list[tuple[str, ...]]:
    return [a for a in result.articles.values() if a[1] == source]


def page_bytes(title: str, paragraphs: list[str]) -> bytes:
    return PAGE.format(title=title, body="</p><p>".join(paragraphs)).encode()


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed a megabyte at a time (about a thousandth of `size`)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1_000_000)
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join([*parts, packer.flush()])


def hostile_sources(
    web: FixtureWeb, site: StaticSite, hung: HungHost, victim: ArticleSpec
) -> list[Hostile]:
    """Serve every hostile route; the sources that crawl them, with what each should leave."""
    html, feed_type = "text/html; charset=utf-8", "application/rss+xml; charset=utf-8"

    def feed(name: str, links: list[str], guid: str | None = None) -> str:
        items = [(link, FEED_DATE) for link in links]
        return site.serve(f"/{name}/feed.xml", feed_type, rss(site, items, guid))

    def fetched(result: Result, path: str) -> int:
        return result.site.requested.count(path)

    # The big page and the redirect loop are fault routes of the fixture web (a feed may list
    # pages on any host); the 403/404/500 feeds too.
    nafitha, bayraq = web.outlet("nafitha").base_url, web.outlet("bayraq").base_url
    # Sent without a length, so the crawl has to count the bytes as they come.
    web.set_fault(
        "/big-page.html", "oversize", outlet="nafitha", size=BIG_PAGE_BYTES, declare_length=False
    )
    web.set_fault("/loop.html", "redirect_loop", outlet="nafitha")
    for code in ("403", "404", "500"):
        web.set_fault(f"/feed-{code}.xml", code, outlet="bayraq")
    bomb = gzip_bomb(BIG_PAGE_BYTES)
    site.serve("/gzip/page.html", html, bomb, headers={"Content-Encoding": "gzip"})
    site.serve("/pdf/article-1", "application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
    site.serve("/dup/a.html", html, page_bytes(*MAINTENANCE))
    site.serve("/dup/b.html", html, page_bytes(*EXERCISE))
    site.serve("/robots.txt", "text/plain", b"User-agent: *\nDisallow: /private/\n")
    site.serve("/private/feed.xml", feed_type, rss(site, []))
    filler = page_bytes("الطقس", [FILLER * 4])
    bulk = [f"/bulk/{i}.html" for i in range(BULK_ITEMS)]
    for path in [*bulk, "/dates/overflow.html", "/dates/normal.html"]:
        site.serve(path, html, filler)
    site.serve("/redesign/feed.xml", html, page_bytes("الصفحة الرئيسية الجديدة", [FILLER * 2]))
    overflowing = [
        ("/dates/overflow.html", "Fri, 31 Dec 9999 23:00:00 -0500"),
        ("/dates/normal.html", FEED_DATE),
    ]
    dates = site.serve("/dates/feed.xml", feed_type, rss(site, overflowing))
    title_1256, paragraphs_1256 = RUNNING_COSTS
    page_1256 = ARABIC_PAGE.format(
        title=title_1256, paragraphs="".join(f"<p>{p}</p>" for p in paragraphs_1256)
    )
    site.serve("/cp1256/1.html", html, page_1256.encode("cp1256"))

    def duplicate_guids(result: Result) -> tuple[str, bool]:
        counts = [fetched(result, p) for p in ("/dup/a.html", "/dup/b.html")]
        titles = sorted(a[2] for a in stored_by(result, "dup-guids"))
        seen = f"pages fetched {counts[0]}x and {counts[1]}x; {len(titles)} stored"
        return seen, counts == [1, 1] and titles == sorted([MAINTENANCE[0], EXERCISE[0]])

    def robots(result: Result) -> tuple[str, bool]:
        seen, named = error_named("robots-disallow", "ignored", "robots.txt")(result)
        count = fetched(result, "/private/feed.xml")
        return f"feed fetched {count}x; {seen}", named and count == 0

    def bulk_feed(result: Result) -> tuple[str, bool]:
        run = result.runs["feed-10000"]
        count = sum(
            1 for p in result.site.requested if p.startswith("/bulk/") and p != "/bulk/feed.xml"
        )
        seen = f"{count} of {BULK_ITEMS} pages requested; run {run.status}, {run.pages} pages"
        return seen, run.status == "ok" and 0 < count <= MAX_ARTICLES

    def pdf_page(result: Result) -> tuple[str, bool]:
        run, stored = result.runs["pdf-article"], stored_by(result, "pdf-article")
        count = fetched(result, "/pdf/article-1")
        seen = f"fetched {count}x; run {run.status}; {len(stored)} stored"
        return seen, count == 1 and run.status == "ok" and not stored

    def dates_feed(result: Result) -> tuple[str, bool]:
        seen, named = error_named("overflow-dates", "bad_date", "9999")(result)
        counts = [fetched(result, path) for path, _ in overflowing]
        return f"items fetched {counts}; {seen}", named and counts == [1, 1]

    def charset(result: Result) -> tuple[str, bool]:
        titles = [a[2] for a in stored_by(result, "windows-1256")]
        return f"stored: {titles}", titles == [title_1256]

    def canonical(result: Result) -> tuple[str, bool]:
        victim_url = web.url(victim)
        before = [a for a in result.before.values() if a[0] == victim_url]
        after = [a for a in result.articles.values() if a[0] == victim_url]
        forged = stored_by(result, "mirage")
        intact = len(after) == 1 and after == before
        own_url = all(a[0].startswith(web.outlet("mirage").base_url) for a in forged)
        seen = (
            f"nafitha's article {'unchanged' if intact else 'CHANGED'}; the claiming page "
            f"stored {len(forged)}x, {'under its own URL' if own_url else 'under ANOTHER URL'}"
        )
        return seen, intact and own_url

    errors = [("big-page", "too_large", ""), ("gzip-bomb", "ignored", "decompression")]
    errors += [("redirect-loop", "redirect_loop", ""), ("hung-host", "timeout", "")]
    errors += [(f"http-{code}", f"http_{code}", "") for code in ("403", "404", "500")]
    errors += [("html-feed", "got_html", "expected RSS/Atom")]
    named = {name: error_named(name, kind, hint) for name, kind, hint in errors}
    return [
        Hostile(
            "big-page",
            feed("big", [nafitha + "/big-page.html"]),
            f"a {BIG_PAGE_BYTES // 10**6} MB page cut at max_page_bytes: too_large",
            named["big-page"],
        ),
        Hostile(
            "gzip-bomb",
            feed("gzip", ["/gzip/page.html"]),
            f"{len(bomb) // 1000} KB inflating to {BIG_PAGE_BYTES // 10**6} MB: dropped while "
            "inflating ('decompression')",
            named["gzip-bomb"],
        ),
        Hostile(
            "redirect-loop",
            feed("loop", [nafitha + "/loop.html"]),
            "redirect_loop",
            named["redirect-loop"],
        ),
        Hostile("hung-host", hung.base_url + "/feed.xml", "timeout", named["hung-host"]),
        *[
            Hostile(
                f"http-{code}", f"{bayraq}/feed-{code}.xml", f"http_{code}", named[f"http-{code}"]
            )
            for code in ("403", "404", "500")
        ],
        Hostile(
            "pdf-article",
            feed("pdf", ["/pdf/article-1"]),
            "a PDF at an article URL: fetched once, nothing stored, run ok",
            pdf_page,
        ),
        Hostile(
            "dup-guids",
            feed("dup", ["/dup/a.html", "/dup/b.html"] * 2, guid="same-guid"),
            "4 items, 1 GUID, 2 links: each page fetched once, both stored",
            duplicate_guids,
        ),
        Hostile(
            "robots-disallow",
            site.base_url + "/private/feed.xml",
            "feed never fetched; robots.txt named",
            robots,
        ),
        Hostile(
            "feed-10000",
            feed("bulk", bulk),
            f"a {BULK_ITEMS:,}-item feed: at most max_articles_per_run ({MAX_ARTICLES}) "
            "pages requested, run ok",
            bulk_feed,
        ),
        Hostile(
            "html-feed",
            site.base_url + "/redesign/feed.xml",
            "HTML at the feed URL: got_html, 'expected RSS/Atom'",
            named["html-feed"],
        ),
        Hostile(
            "overflow-dates", dates, "year 9999 -0500: bad_date, both items fetched", dates_feed
        ),
        Hostile(
            "windows-1256",
            feed("cp1256", ["/cp1256/1.html"]),
            "windows-1256 bytes sent as utf-8: stored with its Arabic title",
            charset,
        ),
        Hostile(
            "mirage",
            f"{web.outlet('mirage').base_url}/rss.xml",
            "a page on another host naming nafitha's article canonical: that article unchanged",
            canonical,
        ),
    ]


@contextmanager
def hostile_web() -> Iterator[tuple[FixtureWeb, StaticSite, HungHost]]:
    """The fixture web with a fourth outlet (modern template, so its pages declare a canonical
    link), the static site and the hung host, each on a loopback address of its own: a host
    that hangs holds only its own connection slots."""
    mirage = Outlet(name="mirage", display_name="سراب", template="modern", host="127.0.0.6")
    web = FixtureWeb([*default_outlets(), mirage])
    web.publish_many(starter_specs())
    with web, static_site("127.0.0.4") as site, hung_host("127.0.0.5") as hung:
        yield web, site, hung


def article_states(db_url: str) -> dict[int, tuple[str, ...]]:
    db = open_database(db_url)
    try:
        with db.read() as session:
            rows = session.execute(
                select(
                    Article.id,
                    Article.url,
                    Article.source,
                    Article.title,
                    Article.content_hash,
                    Article.revision,
                )
            ).all()
            return {row[0]: (row[1], row[2], row[3], row[4], str(row[5])) for row in rows}
    finally:
        db.dispose()


def last_runs(db_url: str) -> dict[str, CrawlRun]:
    db = open_database(db_url)
    try:
        with db.read() as session:
            runs = {r.source: r for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))}
            session.expunge_all()
        return runs
    finally:
        db.dispose()


def crawl_hostile_web(workdir: Path) -> list[Line]:
    """Crawl the good and the hostile sources; a line of the table for the crawl, the good
    sources, each hostile source and the articles stored before."""

    db_url = f"sqlite:///{workdir / 'marsad.db'}"
    with hostile_web() as (web, site, hung):
        victim = next(s for s in web.articles("nafitha") if s.expected.relevant)
        hostile = hostile_sources(web, site, hung, victim)
        sources = web.sources_toml(["rss"]) + "".join(
            f'\n[[sources]]\nname = "{h.source}"\nkind = "rss"\nurl = "{h.url}"\n'
            for h in hostile
            if h.source not in web.outlets
        )
        config = write_config(workdir / "marsad.toml", db_url, sources, crawl=CRAWL_SETTINGS)
        # The victim's outlet first, so that there is a stored article to claim.
        first = run_marsad("crawl", "--source", "nafitha", config=config, timeout=120)
        if first.returncode != 0:
            raise RuntimeError(f"the first crawl failed: {first.stderr[-500:]}")
        before = article_states(db_url)
        web.publish(
            "mirage",
            ArticleSpec(
                slug="denial",
                title="نفي توقيع عقد جديد لمنظومة «إس-400»",
                paragraphs=FORGED,
                published=NOW - timedelta(hours=1),
                canonical=web.url(victim),
            ),
        )
        started = time.monotonic()
        crawl = run_marsad("crawl", config=config, timeout=HARD_TIMEOUT + 60)
        took = time.monotonic() - started
        (workdir / "crawl.log").write_text(crawl.stderr, encoding="utf-8")
        status = invoke_marsad("status", "--format", "json", config=config)
        shown = {s["name"]: s for s in json.loads(status.stdout)["sources"]}
        result = Result(last_runs(db_url), shown, article_states(db_url), before, site, web)
        relevant = {s.key for o in GOOD for s in web.articles(o) if s.expected.relevant}
        stored = {web.key_for_url(a[0]) for a in result.articles.values()} & relevant
        good_runs = {o: result.runs[o].status for o in GOOD if o in result.runs}
        rows = [
            (
                "hostile: the crawl",
                f"every source in one `marsad crawl`, which ends within its {HARD_TIMEOUT}s "
                "bound, exit 0",
                f"{len(hostile) + len(GOOD)} sources; exit {crawl.returncode} after {took:.0f}s",
                crawl.returncode == 0 and took < HARD_TIMEOUT,
            ),
            (
                "hostile: the good sources",
                "every relevant article of sawt, nafitha, bayraq stored; their runs ok",
                f"{len(stored)}/{len(relevant)} stored; runs {good_runs}",
                stored == relevant and set(good_runs.values()) == {"ok"} and len(good_runs) == 3,
            ),
        ]
        for h in hostile:
            seen, passed = h.check(result)
            rows.append((f"hostile: {h.source}", h.expected, seen, passed))
        changed = sum(1 for i, state in before.items() if result.articles.get(i) != state)
        revised = sum(1 for state in result.articles.values() if state[4] != "1")
        rows.append(
            (
                "hostile: stored articles",
                "none overwritten or revised by the hostile crawl",
                f"{changed} of {len(before)} stored before changed; "
                f"{revised} of {len(result.articles)} revised",
                changed == 0 and revised == 0,
            )
        )
    return rows
