"""Article extraction on three differently templated pages, plus the guards around it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.analysis.extract import Extracted, decode_html, extract_article

PAGES = Path(__file__).parent / "data" / "pages"


def load(name: str, content_type: str | None = "text/html") -> str:
    return decode_html((PAGES / name).read_bytes(), content_type)


# Headlines from each page's "الأكثر قراءة" / related boxes: all about S-400 too.
SIDEBARS = {
    "article_meta.html": [
        "الهند تنشر الفوج الثاني من منظومة إس-400 على حدودها الشمالية",
        "القاهرة تنفي التفاوض على شراء منظومات إس-400 الروسية",
        "الجزائر تجري مناورة بالذخيرة الحية بمشاركة منظومة إس-400",
        "الكونغرس يناقش إعفاء حلفاء من عقوبات كاتسا بسبب إس-400",
    ],
    "arabic_date_only.html": [
        "الصين تختبر صاروخا جديدا لمنظومة إس-400 في صحراء غوبي",
        "بيلاروسيا تتسلم كتيبة إضافية من صواريخ إس-400",
        "روسيا تعلن إنتاج ثلاثين قاذفة إس-400 خلال العام",
    ],
    "cp1256_meta_charset.html": [
        "تركيا تنقل بطاريات إس-400 إلى قاعدة جديدة قرب البحر الأسود",
        "واشنطن تلوح بعقوبات على مشتري منظومة إس-400",
        "فيتنام تبدي اهتماما بشراء منظومات إس-400 الروسية",
    ],
}
CHROME_WORDS = ["الأكثر قراءة", "أخبار ذات صلة", "الرئيسية", "جميع الحقوق محفوظة", "اقرأ أيضا"]


def assert_clean_text(result: Extracted, page: str) -> None:
    for headline in SIDEBARS[page]:
        assert headline not in result.text
        assert headline.split()[0] + " " + headline.split()[1] not in result.text
    for word in CHROME_WORDS:
        assert word not in result.text
    assert result.title not in result.text.split("\n")[0]
    assert all(line.strip() == line and line for line in result.text.split("\n"))


def test_utf8_article_with_metadata_date() -> None:
    url = "https://gulf-observer.example/news/2021/09/ankara-second-batch-s400?utm_source=tw#top"
    result = extract_article(
        load("article_meta.html", "text/html; charset=utf-8"), url, tz="Asia/Riyadh"
    )
    assert result is not None
    assert result.title == "أنقرة تقترب من دفعة ثانية لمنظومة إس-400"
    lines = result.text.split("\n")
    assert len(lines) == 4
    assert lines[0].startswith("قال مسؤول في شركة روس أبورون إكسبورت")
    assert lines[-1].endswith("بعد تقييم الموقف الأمريكي.")
    assert_clean_text(result, "article_meta.html")
    # article:published_time carries +03:00.
    assert result.published_at == datetime(2021, 9, 15, 7, 30, tzinfo=UTC)
    assert result.published_precision == "second"
    assert result.author == "سامر الحلبي"
    # <link rel=canonical> (relative, with a tracking parameter) wins over og:url.
    assert (
        result.canonical_url
        == "https://gulf-observer.example/news/2021/09/ankara-second-batch-s400"
    )
    assert result.language == "ar"


def test_metadata_date_beats_listed_at() -> None:
    listed = datetime(2021, 9, 16, 8, 0, tzinfo=UTC)
    result = extract_article(
        load("article_meta.html"), "https://gulf-observer.example/x", listed_at=listed
    )
    assert result is not None
    assert result.published_at == datetime(2021, 9, 15, 7, 30, tzinfo=UTC)


def test_date_only_in_arabic_text() -> None:
    url = "https://alwadi-news.example/ar/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%AF%D9%81%D8%A7%D8%B9/12345"
    result = extract_article(load("arabic_date_only.html"), url, tz="Asia/Riyadh")
    assert result is not None
    # "<title> | outlet" lost its suffix.
    assert result.title == "الرياض تدرس عرضا روسيا جديدا"
    lines = result.text.split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("كشفت مصادر دبلوماسية")
    assert lines[1].startswith("وبحسب المصادر ذاتها")
    # The inline "اقرأ أيضا" teaser is not part of the article.
    assert "موسكو تعرض أسلحتها" not in result.text
    assert_clean_text(result, "arabic_date_only.html")
    # "الأربعاء 15 سبتمبر-أيلول 2021" in the byline, not the header's "today" (the 16th).
    assert result.published_at == datetime(2021, 9, 15, tzinfo=UTC)
    assert result.published_precision == "day"
    assert result.author == "ليلى منصور"
    # og:url with a raw Arabic path and fbclid: encoded, tracking dropped.
    assert result.canonical_url == url
    assert result.language == "ar"


def test_listed_at_beats_date_written_in_text() -> None:
    listed = datetime(2021, 9, 15, 9, 40, tzinfo=UTC)
    result = extract_article(
        load("arabic_date_only.html"), "https://alwadi-news.example/a", listed_at=listed
    )
    assert result is not None
    assert (result.published_at, result.published_precision) == (listed, "second")


def test_windows_1256_page_declared_only_in_meta() -> None:
    raw = (PAGES / "cp1256_meta_charset.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    html = decode_html(raw, "text/html")
    assert "موسكو: تسليم منظومات إس-400" in html
    result = extract_article(
        html, "https://beirut-times.example/Article.aspx?ID=8812", tz="Asia/Beirut"
    )
    assert result is not None
    # "<outlet> :: <headline>" in <title>, no h1 or og:title on the page.
    assert result.title == "موسكو: تسليم منظومات إس-400 للهند يبدأ قبل نهاية العام"
    lines = result.text.split("\n")
    assert len(lines) == 3
    assert lines[0].startswith("أكد مدير الهيئة الفيدرالية الروسية")
    assert_clean_text(result, "cp1256_meta_charset.html")
    # Byline: "الخميس 7 صفر 1443 هـ - نُشر في 14 أيلول 2021 الساعة 09:15 مساءً", Beirut UTC+3.
    assert result.published_at == datetime(2021, 9, 14, 18, 15, tzinfo=UTC)
    assert result.published_precision == "second"
    # Canonical link: tracking dropped, fragment dropped, parameters sorted, case kept.
    assert result.canonical_url == "https://beirut-times.example/Article.aspx?Cat=3&ID=8812"
    assert result.language == "ar"


def test_http_charset_wins_over_meta() -> None:
    body = (
        '<html><head><meta charset="windows-1256"></head><body><p>منظومة إس-400</p></body></html>'
    ).encode()
    assert "منظومة إس-400" in decode_html(body, "text/html; charset=UTF-8")


def test_utf8_when_nothing_is_declared() -> None:
    body = "<html><body><p>روس أبورون إكسبورت</p></body></html>".encode()
    assert "روس أبورون إكسبورت" in decode_html(body, None)


SHORT_PAGE = """<html><head><title>خبر قصير</title></head><body>
<div class="wrap"><div class="a"><h1>موسكو تؤكد تسليم إس-400</h1>
<div class="txt"><p>أكدت موسكو اكتمال تسليم دفعة من منظومة إس-400 إلى شريك آسيوي.</p></div></div>
<div class="b"><div class="t">مختارات</div><ul>
<li><a href="/1">الهند تختبر منظومة إس-400 قرب الحدود الغربية للمرة الأولى</a></li>
<li><a href="/2">مصر ترفض عرضا روسيا لشراء إس-400 وتفضل أنظمة غربية بديلة</a></li>
<li><a href="/3">الصين تستعرض بطاريات إس-400 في عرض عسكري ضخم ببكين</a></li>
<li><a href="/4">تقرير: العراق يدرس شراء منظومة إس-400 لحماية أجوائه من الهجمات</a></li>
</ul></div></div></body></html>"""


def test_short_article_does_not_pull_in_link_lists() -> None:
    # A one-line story makes trafilatura try its fallback extractors; the
    # headlines of the unlabelled link list beside it must still stay out.
    result = extract_article(SHORT_PAGE, "https://x.example/a/1")
    assert result is not None
    assert result.text == "أكدت موسكو اكتمال تسليم دفعة من منظومة إس-400 إلى شريك آسيوي."
    assert result.title == "موسكو تؤكد تسليم إس-400"
    assert result.published_at is None and result.published_precision is None


def test_no_main_text_gives_none() -> None:
    html = "<html><body><nav><a href='/'>الرئيسية</a> <a href='/w'>العالم</a></nav></body></html>"
    assert extract_article(html, "https://x.example/") is None
    assert extract_article("", "https://x.example/") is None


META_PAGE = """<html lang="ar"><head><title>{title}</title>{head}</head><body>
<article><h1>{title}</h1><p>قالت وزارة الدفاع الهندية إن الفوج الثالث من منظومة إس-400 وصل إلى قاعدة في الشمال
وإن الفرق الفنية بدأت أعمال التركيب والاختبار تمهيدا لإدخاله الخدمة خلال الأسابيع المقبلة.</p>
<p>وأضافت الوزارة في بيان أن الجدول الزمني للتسليم لم يتأثر بالعقوبات المفروضة على موسكو،
وأن الدفعتين المتبقيتين ستصلان تباعا خلال العام المقبل بحسب الاتفاق المبرم بين البلدين.</p></article>
</body></html>"""


@pytest.mark.parametrize(
    ("head", "expected", "precision"),
    [
        # A metadata timestamp without a zone is in the outlet's zone (Asia/Kolkata, UTC+5:30).
        (
            '<meta property="article:published_time" content="2022-04-10T09:00:00">',
            datetime(2022, 4, 10, 3, 30, tzinfo=UTC),
            "second",
        ),
        (
            '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, {"@type": "NewsArticle", "datePublished": "2022-04-10T09:00:00Z"}]}</script>',
            datetime(2022, 4, 10, 9, 0, tzinfo=UTC),
            "second",
        ),
        ('<meta name="pubdate" content="2022-04-10">', datetime(2022, 4, 10, tzinfo=UTC), "day"),
    ],
)
def test_metadata_dates(head: str, expected: datetime, precision: str) -> None:
    html = META_PAGE.format(title="الهند تتسلم الفوج الثالث", head=head)
    result = extract_article(html, "https://in.example/ar/story", tz="Asia/Kolkata")
    assert result is not None
    assert (result.published_at, result.published_precision) == (expected, precision)


def test_time_element_in_article() -> None:
    html = META_PAGE.format(title="الهند تتسلم الفوج الثالث", head="").replace(
        "<article>", '<article><time datetime="2022-04-10T11:00:00+05:30">10 أبريل</time>'
    )
    result = extract_article(html, "https://in.example/ar/story")
    assert result is not None
    assert result.published_at == datetime(2022, 4, 10, 5, 30, tzinfo=UTC)


def test_day_only_metadata_refined_by_listed_at_on_same_day() -> None:
    html = META_PAGE.format(title="الهند", head='<meta name="pubdate" content="2022-04-10">')
    same_day = datetime(2022, 4, 10, 6, 15, tzinfo=UTC)
    result = extract_article(html, "https://in.example/a", listed_at=same_day)
    assert result is not None and result.published_at == same_day
    other_day = datetime(2022, 4, 12, 6, 15, tzinfo=UTC)
    result = extract_article(html, "https://in.example/a", listed_at=other_day)
    assert result is not None
    assert (result.published_at, result.published_precision) == (
        datetime(2022, 4, 10, tzinfo=UTC),
        "day",
    )


def test_selectors_override_extraction() -> None:
    html = load("arabic_date_only.html")
    selectors = {
        "title": "css:div.info span.writer",
        "body": "xpath://div[@class='content-text']",
        "date": "css:#top-bar span.today",
    }
    result = extract_article(html, "https://alwadi-news.example/a", selectors=selectors)
    assert result is not None
    assert result.title == "بقلم: ليلى منصور"
    assert result.text.split("\n")[0].startswith("كشفت مصادر دبلوماسية")
    assert "موسكو تعرض أسلحتها" not in result.text
    assert result.published_at == datetime(2021, 9, 16, tzinfo=UTC)
    # The sidebar is still not in the body.
    assert_clean_text(result, "arabic_date_only.html")


def test_title_suffix_kept_when_part_of_headline() -> None:
    html = META_PAGE.format(title="روسيا - تركيا: مفاوضات جديدة حول منظومة إس-400 الثانية", head="")
    result = extract_article(html, "https://x.example/a")
    assert result is not None
    assert result.title == "روسيا - تركيا: مفاوضات جديدة حول منظومة إس-400 الثانية"


HTML5_PAGE = """<!DOCTYPE html><html lang="ar"><head><title>بغداد تدرس شراء منظومة دفاع روسية - وكالة دجلة</title></head>
<body>
<header class="site-header"><nav><a href="/">الرئيسية</a></nav><span class="date">الجمعة 4 آذار 2022</span></header>
<main>
<article class="post">
  <header class="post-header">
    <h1>بغداد تدرس شراء منظومة دفاع روسية</h1>
    <div class="post-date">نُشر في 3 آذار 2022 - 14:20</div>
  </header>
  <p>قال نائب في لجنة الأمن والدفاع البرلمانية إن الحكومة العراقية تدرس عرضا لشراء منظومة إس-400 الروسية لتعزيز حماية الأجواء.</p>
  <p>وأضاف أن المباحثات ما زالت في بدايتها وأن أي قرار نهائي سيأخذ بالحسبان موقف الشركاء الغربيين واحتمال التعرض لعقوبات.</p>
</article>
</main>
<footer><p>وكالة دجلة للأنباء</p></footer>
</body></html>"""


def test_byline_inside_article_header_not_site_header_date() -> None:
    result = extract_article(HTML5_PAGE, "https://dijla.example/ar/1", tz="Asia/Baghdad")
    assert result is not None
    assert result.title == "بغداد تدرس شراء منظومة دفاع روسية"
    assert result.text.split("\n")[0].startswith("قال نائب في لجنة الأمن والدفاع")
    # 14:20 in Baghdad (UTC+3); the site header's "today" (the 4th) is ignored.
    assert result.published_at == datetime(2022, 3, 3, 11, 20, tzinfo=UTC)
    assert result.published_precision == "second"


_PARAGRAPH = (
    "وأوضح المسؤول في تصريحات للصحفيين أن الاستعدادات الفنية لاستقبال المنظومة اكتملت في"
    " القاعدة الجوية، وأن الأطقم أنهت تدريبها في مراكز متخصصة خلال الأشهر الماضية."
)


def _page(article: str, aside: str = "", head: str = "") -> str:
    return (
        f'<html lang="ar"><head><meta charset="utf-8"><title>خبر | صحيفة المرصد</title>{head}'
        f'</head><body><div id="page"><header><nav><a href="/">الرئيسية</a></nav></header>'
        f"<main>{aside}<article>{article}</article></main><footer>جميع الحقوق محفوظة</footer>"
        "</div></body></html>"
    )


def test_a_lead_in_a_block_of_its_own_is_kept() -> None:
    lead = (
        "أعلنت وزارة الدفاع الجزائرية اليوم تسلم الدفعة الثانية من منظومة إس-400 الروسية"
        " في قاعدة جوية قرب العاصمة."
    )
    body = "".join(
        f"<p>{_PARAGRAPH.replace('الفنية', w)}</p>" for w in ("الفنية", "التقنية", "اللوجستية")
    )
    html = _page(
        f'<h1>الجزائر تتسلم الدفعة الثانية من إس-400</h1><div class="lead"><strong>{lead}</strong>'
        f'</div><div class="article-body">{body}</div>'
    )
    result = extract_article(html, "https://example.com/news/2")
    assert result is not None
    assert result.text.split("\n")[0] == lead


def test_a_ticker_above_the_headline_is_no_lead() -> None:
    ticker = "عاجل: انقطاع التيار الكهربائي عن عدة أحياء في العاصمة بسبب أعمال صيانة طارئة."
    body = "".join(
        f"<p>{_PARAGRAPH.replace('الفنية', w)}</p>" for w in ("الفنية", "التقنية", "اللوجستية")
    )
    html = _page(f'<div class="ticker">{ticker}</div><h1>الجزائر تتسلم الدفعة الثانية</h1>{body}')
    result = extract_article(html, "https://example.com/news/3")
    assert result is not None and ticker not in result.text


def test_the_pages_date_line_beats_dates_in_its_sidebar_links() -> None:
    aside = (
        '<aside><h3>أخبار ذات صلة</h3><ul><li><a href="/a/1">الجيش يتسلم معدات جديدة بتاريخ'
        ' 2019/02/09</a></li><li><a href="/a/2">مناورات بحرية بتاريخ 2019/02/09</a></li></ul></aside>'
    )
    body = "".join(f"<p>{_PARAGRAPH}</p>" for _ in range(3))
    html = _page(
        f'<h1>وصول الدفعة الثانية</h1><div class="date">الاثنين 10 مايو 2021</div>{body}', aside
    )
    result = extract_article(html, "https://example.com/news/4")
    assert result is not None and result.published_at == datetime(2021, 5, 10, tzinfo=UTC)
    with_meta = _page(
        f"<h1>وصول الدفعة الثانية</h1>{body}",
        aside,
        head='<meta name="dc.date" content="2021-05-11">',
    )
    result = extract_article(with_meta, "https://example.com/news/5")
    assert result is not None and result.published_at == datetime(2021, 5, 11, tzinfo=UTC)


def test_a_photo_caption_outside_a_figure_is_no_lead() -> None:
    caption = "صورة أرشيفية لبطارية صواريخ خلال عرض عسكري في العاصمة الروسية موسكو قبل عامين."
    body = "".join(
        f"<p>{_PARAGRAPH.replace('الفنية', w)}</p>" for w in ("الفنية", "التقنية", "اللوجستية")
    )
    html = _page(
        f'<h1>الجزائر تتسلم الدفعة الثانية</h1><div class="photo-caption">{caption}</div>{body}'
    )
    result = extract_article(html, "https://example.com/news/6")
    assert result is not None and caption not in result.text
