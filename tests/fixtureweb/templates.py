"""HTML, feed and sitemap rendering for the fixture outlets.

Three page templates stand in for the kinds of Arabic news sites a crawler meets:

- ``modern``: utf-8, ``<article>``, Open Graph and ``article:published_time``, JSON-LD,
  ``<link rel=canonical>``;
- ``classic``: utf-8, no date metadata at all; the date is only Arabic text in the byline
  ("الأربعاء 8 صفر 1443 هـ - الموافق 15 سبتمبر-أيلول 2021");
- ``legacy``: a table layout encoded in windows-1256 whose charset is declared only in a
  ``<meta http-equiv>`` tag, with Maghrebi month names ("15 جوان 2021 - 14:20").

Every page carries navigation, a "الأكثر قراءة" box and a "related" box with S-400
headlines, so a relevance decision must be made on the main text only.
"""

from __future__ import annotations

import html
import json
import math
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .articles import SIDEBAR_HEADLINES, ArticleSpec

if TYPE_CHECKING:
    from .server import Outlet

NAV = ["الرئيسية", "سياسة", "اقتصاد", "دفاع وأمن", "رياضة", "منوعات", "رأي", "فيديو"]
NAV_PATHS = [
    "/",
    "/section/politics",
    "/section/economy",
    "/section/defence",
    "/section/sports",
    "/section/misc",
    "/section/opinion",
    "/section/video",
]
SECTION_NAMES = {
    "defence": "دفاع وأمن",
    "politics": "سياسة",
    "economy": "اقتصاد",
    "sports": "رياضة",
    "misc": "منوعات",
    "opinion": "رأي",
    "video": "فيديو",
}

WEEKDAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
MONTHS_EGYPTIAN = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
]
MONTHS_LEVANTINE = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
]
MONTHS_MAGHREBI = [
    "جانفي",
    "فيفري",
    "مارس",
    "أفريل",
    "ماي",
    "جوان",
    "جويلية",
    "أوت",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
]
MONTHS_HIJRI = [
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
]

_E = html.escape


# --- dates -------------------------------------------------------------------------


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def hijri(d: date) -> tuple[int, int, int]:
    """Tabular (civil) Hijri date; may differ by a day from Umm al-Qura, as sites' own do."""
    epoch = 1948439.5
    jd = math.floor(d.toordinal() + 1721424.5) + 0.5

    def to_jd(y: int, m: int, day: int) -> float:
        return day + math.ceil(29.5 * (m - 1)) + (y - 1) * 354 + (3 + 11 * y) // 30 + epoch - 1

    year = math.floor((30 * (jd - epoch) + 10646) / 10631)
    month = min(12, math.ceil((jd - (29 + to_jd(year, 1, 1))) / 29.5) + 1)
    day = int(jd - to_jd(year, month, 1) + 1)
    return year, month, day


def classic_date_text(dt: datetime, tz: str, with_hijri: bool = True) -> str:
    """'الأربعاء 8 صفر 1443 هـ - الموافق 15 سبتمبر-أيلول 2021' in the outlet's local date."""
    d = local(dt, tz).date()
    greg = f"{d.day} {MONTHS_EGYPTIAN[d.month - 1]}-{MONTHS_LEVANTINE[d.month - 1]} {d.year}"
    weekday = WEEKDAYS[d.weekday()]
    if not with_hijri:
        return f"{weekday} {greg}"
    hy, hm, hd = hijri(d)
    return f"{weekday} {hd} {MONTHS_HIJRI[hm - 1]} {hy} هـ - الموافق {greg}"


def legacy_date_text(dt: datetime, tz: str) -> str:
    d = local(dt, tz)
    return f"{d.day} {MONTHS_MAGHREBI[d.month - 1]} {d.year} - {d:%H:%M}"


def relative_text(dt: datetime, now: datetime, tz: str) -> str:
    """Listing-page times as Arabic sites print them: 'منذ ساعتين', 'أمس', or a date."""
    minutes = int((now - dt).total_seconds() // 60)
    if minutes < 1:
        return "الآن"
    if minutes < 60:
        if minutes == 1:
            return "منذ دقيقة"
        if minutes == 2:
            return "منذ دقيقتين"
        return f"منذ {minutes} دقائق" if minutes <= 10 else f"منذ {minutes} دقيقة"
    hours = minutes // 60
    if hours < 24:
        if hours == 1:
            return "منذ ساعة"
        if hours == 2:
            return "منذ ساعتين"
        return f"منذ {hours} ساعات" if hours <= 10 else f"منذ {hours} ساعة"
    if local(now, tz).date().toordinal() - local(dt, tz).date().toordinal() == 1:
        return "أمس"
    return classic_date_text(dt, tz, with_hijri=False)


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC).replace(microsecond=0), usegmt=True)


def iso(dt: datetime, tz: str | None = None) -> str:
    d = local(dt, tz) if tz else dt.astimezone(UTC)
    return d.replace(microsecond=0).isoformat()


# --- page chrome ---------------------------------------------------------------------


def _pick(slug: str, n: int, salt: int) -> list[str]:
    start = (zlib.crc32(slug.encode()) + salt) % len(SIDEBAR_HEADLINES)
    return [SIDEBAR_HEADLINES[(start + i) % len(SIDEBAR_HEADLINES)] for i in range(n)]


def _archive_href(headline: str) -> str:
    return f"/archive/{zlib.crc32(headline.encode()) % 90000 + 10000}"


def _nav_ul(cls: str) -> str:
    items = "".join(
        f'<li><a href="{p}">{_E(n)}</a></li>' for n, p in zip(NAV, NAV_PATHS, strict=True)
    )
    return f'<ul class="{cls}">{items}</ul>'


def _boxes(slug: str, outer: str, heading: str) -> str:
    most = "".join(f'<li><a href="{_archive_href(h)}">{_E(h)}</a></li>' for h in _pick(slug, 5, 0))
    related = "".join(
        f'<li><a href="{_archive_href(h)}">{_E(h)}</a></li>' for h in _pick(slug, 3, 5)
    )
    return (
        f'<{outer} class="most-read"><{heading}>الأكثر قراءة</{heading}><ol>{most}</ol></{outer}>'
        f'<{outer} class="related"><{heading}>أخبار ذات صلة</{heading}><ul>{related}</ul></{outer}>'
    )


def _sidebar_note(spec: ArticleSpec | None) -> str:
    if spec is None or not spec.sidebar_note:
        return ""
    return (
        '<div class="special-file"><h2>ملف خاص</h2>'
        f'<p class="teaser">{_E(spec.sidebar_note)}</p>'
        '<a class="more" href="/section/defence">المزيد</a></div>'
    )


def _footer(outlet: Outlet) -> str:
    return (
        f"<p>جميع الحقوق محفوظة © {_E(outlet.display_name)}</p>"
        '<p><a href="/privacy">سياسة الخصوصية</a> | <a href="/contact">اتصل بنا</a> | '
        '<a href="/rss.xml">خدمة RSS</a></p>'
    )


def _paragraphs(spec: ArticleSpec) -> str:
    return "".join(f"<p>{_E(p)}</p>" for p in spec.paragraphs)


def _json_ld(data: dict) -> str:
    # "</script>" inside a headline must not close the script element.
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- article pages ----------------------------------------------------------------------


def render_article(outlet: Outlet, spec: ArticleSpec) -> str:
    """The article page as a str; the server encodes it with ``outlet.encoding``."""
    renderer = {"modern": _modern, "classic": _classic, "legacy": _legacy}[outlet.template]
    return renderer(outlet, spec)


def _modern(outlet: Outlet, spec: ArticleSpec) -> str:
    url = outlet.url_for(spec)
    tz = outlet.timezone
    summary = spec.summary or (spec.paragraphs[0] if spec.paragraphs else "")
    ld = _json_ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": spec.title,
            "datePublished": iso(spec.published, tz),
            "dateModified": iso(spec.updated, tz),
            "author": {"@type": "Person", "name": spec.author or outlet.display_name},
            "publisher": {"@type": "Organization", "name": outlet.display_name},
            "mainEntityOfPage": url,
        }
    )
    tags = "".join(f'<a href="/tag/{i}">{_E(t)}</a>' for i, t in enumerate(spec.tags))
    author = f'<span class="author">{_E(spec.author)}</span> · ' if spec.author else ""
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_E(spec.title)} | {_E(outlet.display_name)}</title>
<link rel="canonical" href="{_E(spec.canonical or url)}">
<meta name="description" content="{_E(summary)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{_E(outlet.display_name)}">
<meta property="og:title" content="{_E(spec.title)}">
<meta property="og:url" content="{_E(spec.canonical or url)}">
<meta property="og:description" content="{_E(summary)}">
<meta property="article:published_time" content="{iso(spec.published, tz)}">
<meta property="article:modified_time" content="{iso(spec.updated, tz)}">
<meta property="article:section" content="{_E(SECTION_NAMES.get(spec.section, spec.section))}">
{f'<meta name="author" content="{_E(spec.author)}">' if spec.author else ""}
<script type="application/ld+json">{ld}</script>
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
</head>
<body>
<header class="site-header">
<a class="logo" href="/">{_E(outlet.display_name)}</a>
<nav class="main-nav">{_nav_ul("menu")}</nav>
<div class="ticker"><span>عاجل</span> <a href="/section/politics">مجلس الوزراء يعقد جلسة استثنائية لبحث الموازنة</a></div>
</header>
<main class="container">
<article class="post">
<div class="breadcrumb"><a href="/">الرئيسية</a> › <a href="/section/{spec.section}">{_E(SECTION_NAMES.get(spec.section, spec.section))}</a></div>
<h1 class="headline">{_E(spec.title)}</h1>
<div class="byline">{author}<time datetime="{iso(spec.published, tz)}">{local(spec.published, tz):%Y/%m/%d %H:%M}</time></div>
<div class="article-body">
{_paragraphs(spec)}
</div>
<div class="tags">{tags}</div>
<div class="share"><a href="#">شارك</a> <a href="#">تغريد</a></div>
</article>
<aside class="sidebar">
{_sidebar_note(spec)}
{_boxes(spec.slug, "section", "h3")}
</aside>
</main>
<footer class="site-footer">{_footer(outlet)}</footer>
</body>
</html>
"""


def _classic(outlet: Outlet, spec: ArticleSpec) -> str:
    by = f'<span class="by">بقلم: {_E(spec.author)}</span> | ' if spec.author else ""
    return f"""<!DOCTYPE html>
<html dir="rtl" lang="ar">
<head>
<meta charset="utf-8">
<title>{_E(spec.title)} - {_E(outlet.display_name)}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<div id="top"><div class="logo"><a href="/">{_E(outlet.display_name)}</a></div>{_nav_ul("menu")}</div>
<div id="wrap">
<div id="content">
<div class="post">
<h2 class="post-title">{_E(spec.title)}</h2>
<div class="post-meta">{by}<span class="date">{classic_date_text(spec.published, outlet.timezone)}</span></div>
<div class="post-content">
{_paragraphs(spec)}
</div>
<div class="post-share">شارك الخبر: <a href="#">فيسبوك</a> <a href="#">تويتر</a> <a href="#">واتساب</a></div>
</div>
</div>
<div id="side">
{_sidebar_note(spec)}
{_boxes(spec.slug, "div", "h4")}
</div>
</div>
<div id="foot">{_footer(outlet)}</div>
</body>
</html>
"""


def _legacy(outlet: Outlet, spec: ArticleSpec) -> str:
    writer = f'<div class="NewsWriter">{_E(spec.author)}</div>' if spec.author else ""
    return f"""<html dir="rtl">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">
<title>{_E(outlet.display_name)} :: {_E(spec.title)}</title>
</head>
<body bgcolor="#ffffff">
<div id="container">
<div id="header"><a href="index.php"><img src="images/logo.gif" alt="{_E(outlet.display_name)}" border="0"></a>{_nav_ul("topmenu")}</div>
<div id="right-col">
<h1 class="NewsTitle">{_E(spec.title)}</h1>
<div class="NewsDate">{legacy_date_text(spec.published, outlet.timezone)}</div>
{writer}
<div id="NewsText">
{_paragraphs(spec)}
</div>
<div class="print"><a href="#">طباعة</a> | <a href="#">أرسل لصديق</a></div>
</div>
<div id="left-col">
{_sidebar_note(spec)}
{_boxes(spec.slug, "div", "b")}
</div>
<div id="footer">{_footer(outlet)}</div>
</div>
</body>
</html>
"""


# --- other pages ------------------------------------------------------------------------


def _chrome_page(outlet: Outlet, title: str, inner: str) -> str:
    """A non-article page (home, listing, error) in the outlet's style."""
    meta = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
        if outlet.template == "legacy"
        else '<meta charset="utf-8">'
    )
    return f"""<!DOCTYPE html>
<html dir="rtl" lang="ar">
<head>{meta}<title>{_E(title)} - {_E(outlet.display_name)}</title></head>
<body>
<header><a class="logo" href="/">{_E(outlet.display_name)}</a><nav>{_nav_ul("menu")}</nav></header>
<main>
<h1>{_E(title)}</h1>
{inner}
</main>
<aside class="sidebar">{_boxes(title, "section", "h3")}</aside>
<footer>{_footer(outlet)}</footer>
</body>
</html>
"""


def render_listing(
    outlet: Outlet, title: str, specs: Sequence[ArticleSpec], now: datetime, absolute: bool = False
) -> str:
    """A section page whose article links sit in ``div.news-list a``."""
    items = []
    for spec in specs:
        href = outlet.url_for(spec) if absolute else outlet.link_for(spec)
        if outlet.template == "modern":
            when = (
                f'<time datetime="{iso(spec.published, outlet.timezone)}">'
                f"{local(spec.published, outlet.timezone):%Y/%m/%d}</time>"
            )
        elif outlet.template == "classic":
            when = f'<span class="ago">{relative_text(spec.published, now, outlet.timezone)}</span>'
        else:
            when = f'<span class="date">{legacy_date_text(spec.published, outlet.timezone)}</span>'
        items.append(f'<li class="item"><a href="{_E(href)}">{_E(spec.title)}</a> {when}</li>')
    inner = f'<div class="news-list"><ul>{"".join(items)}</ul></div>'
    inner += '<div class="pager"><span class="current">1</span></div>'
    return _chrome_page(outlet, title, inner)


def render_archive_page(
    outlet: Outlet, specs: Sequence[ArticleSpec], number: int, older: str | None
) -> str:
    """One page of an outlet's archive: links in ``div.news-list a``, the next (older) page in
    ``a.next``."""
    items = "".join(
        f'<li class="item"><a href="{_E(outlet.link_for(s))}">{_E(s.title)}</a></li>' for s in specs
    )
    pager = f'<a class="next" href="{_E(older)}">الأقدم</a>' if older else ""
    inner = f'<div class="news-list"><ul>{items}</ul></div><div class="pager">{pager}</div>'
    return _chrome_page(outlet, f"الأرشيف - صفحة {number}", inner)


def monthly_sitemap_index(outlet: Outlet, months: dict[str, datetime]) -> str:
    entries = "".join(
        f"<sitemap><loc>{outlet.base_url}/archive/sitemap-{month}.xml</loc>"
        f"<lastmod>{iso(updated, outlet.timezone)}</lastmod></sitemap>\n"
        for month, updated in sorted(months.items())
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + entries
        + "</sitemapindex>\n"
    )


def render_empty(outlet: Outlet, title: str) -> str:
    """A page with full chrome and no main text at all."""
    return _chrome_page(outlet, title, '<div class="article-body"></div>')


def render_error(outlet: Outlet, status: int) -> str:
    message = {404: "الصفحة غير موجودة"}.get(status, "حدث خطأ في الخادم، يرجى المحاولة لاحقاً")
    return _chrome_page(outlet, f"{status} - {message}", f'<p class="error">{message}</p>')


def robots_txt(outlet: Outlet) -> str:
    return (
        "User-agent: *\nAllow: /\n\n"
        f"Sitemap: {outlet.base_url}/sitemap.xml\n"
        f"Sitemap: {outlet.base_url}/news-sitemap.xml\n"
    )


# --- feeds and sitemaps --------------------------------------------------------------------


def _x(text: str) -> str:
    return html.escape(text, quote=False)


def rss(outlet: Outlet, specs: Sequence[ArticleSpec], built: datetime) -> str:
    items = []
    for spec in specs:
        link = outlet.feed_link(spec)
        desc = spec.summary or (spec.paragraphs[0] if spec.paragraphs else "")
        creator = f"<dc:creator>{_x(spec.author)}</dc:creator>" if spec.author else ""
        items.append(
            f"<item><title>{_x(spec.title)}</title><link>{_x(link)}</link>"
            f'<guid isPermaLink="false">{_x(outlet.name)}-{_x(spec.slug)}</guid>'
            f"<pubDate>{format_datetime(local(spec.published, outlet.timezone).replace(microsecond=0))}</pubDate>"
            f"{creator}<category>{_x(SECTION_NAMES.get(spec.section, spec.section))}</category>"
            f"<description>{_x(desc)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>'
        f"<title>{_x(outlet.display_name)}</title><link>{outlet.base_url}/</link>"
        f"<description>آخر أخبار {_x(outlet.display_name)}</description><language>ar</language>"
        f"<lastBuildDate>{format_datetime(built.replace(microsecond=0))}</lastBuildDate>"
        f'<atom:link href="{outlet.base_url}/rss.xml" rel="self" type="application/rss+xml"/>\n'
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def atom(outlet: Outlet, specs: Sequence[ArticleSpec], updated: datetime) -> str:
    entries = []
    for spec in specs:
        desc = spec.summary or (spec.paragraphs[0] if spec.paragraphs else "")
        author = f"<author><name>{_x(spec.author)}</name></author>" if spec.author else ""
        entries.append(
            f"<entry><title>{_x(spec.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{_E(outlet.feed_link(spec, "atom"))}"/>'
            f"<id>tag:{outlet.name},2021:{_x(spec.slug)}</id>"
            f"<published>{iso(spec.published, outlet.timezone)}</published>"
            f"<updated>{iso(spec.updated, outlet.timezone)}</updated>"
            f'{author}<summary type="text">{_x(desc)}</summary></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">'
        f"<title>{_x(outlet.display_name)}</title><id>{outlet.base_url}/</id>"
        f'<link rel="self" href="{outlet.base_url}/atom.xml"/>'
        f'<link rel="alternate" href="{outlet.base_url}/"/>'
        f"<updated>{iso(updated, outlet.timezone)}</updated>\n" + "\n".join(entries) + "\n</feed>\n"
    )


def news_sitemap(outlet: Outlet, specs: Sequence[ArticleSpec]) -> str:
    urls = []
    for spec in specs:
        urls.append(
            f"<url><loc>{_x(outlet.url_for(spec))}</loc>"
            f"<lastmod>{iso(spec.updated, outlet.timezone)}</lastmod>"
            "<news:news><news:publication>"
            f"<news:name>{_x(outlet.display_name)}</news:name><news:language>ar</news:language>"
            "</news:publication>"
            f"<news:publication_date>{iso(spec.published, outlet.timezone)}</news:publication_date>"
            f"<news:title>{_x(spec.title)}</news:title></news:news></url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )


def sitemap_index(outlet: Outlet, updated: datetime) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"<sitemap><loc>{outlet.base_url}/news-sitemap.xml</loc>"
        f"<lastmod>{iso(updated, outlet.timezone)}</lastmod></sitemap>\n"
        "</sitemapindex>\n"
    )


def broken_xml(body: str) -> str:
    """A feed cut off mid-element with a stray ampersand: not well-formed XML."""
    cut = body[: max(len(body) * 3 // 5, 60)]
    return cut + '\n<item><title>خبر & غير مكتمل <link href="\n'
