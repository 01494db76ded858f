"""Arabic publication dates: month families, digits, Hijri, relative dates, zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.text.dates import ParsedDate, find_arabic_dates, parse_arabic_date, parse_machine_date
from spiders.feed import feed_entries, parse_xml
from spiders.sitemap import sitemap_entries

NOW = datetime(2021, 9, 15, 12, 0, tzinfo=UTC)


def day(y: int, m: int, d: int) -> ParsedDate:
    return ParsedDate(datetime(y, m, d, tzinfo=UTC), "day")


def moment(y: int, m: int, d: int, hh: int, mm: int, ss: int = 0) -> ParsedDate:
    return ParsedDate(datetime(y, m, d, hh, mm, ss, tzinfo=UTC), "second")


EGYPTIAN = [
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
LEVANTINE = [
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
MAGHREBI = [
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


@pytest.mark.parametrize(
    ("family", "month"),
    [(family, m) for family in ("eg", "lev", "mag") for m in range(1, 13)],
)
def test_every_month_of_every_family(family: str, month: int) -> None:
    name = {"eg": EGYPTIAN, "lev": LEVANTINE, "mag": MAGHREBI}[family][month - 1]
    assert parse_arabic_date(f"12 {name} 2020", now=NOW) == day(2020, month, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("إبريل 3، 2021", day(2021, 4, 3)),  # month-first order, hamza under alef
        ("3 ابريل 2021", day(2021, 4, 3)),  # no hamza
        ("3 يونيه 2021", day(2021, 6, 3)),
        ("3 يوليه 2021", day(2021, 7, 3)),
        ("3 كانون ثاني 2021", day(2021, 1, 3)),  # without the article
        ("3 تشرين الثانى 2021", day(2021, 11, 3)),  # final ى for ي
        ("3 غشت 2021", day(2021, 8, 3)),  # Moroccan
        ("3 شتنبر 2021", day(2021, 9, 3)),
        ("3 دجنبر 2021", day(2021, 12, 3)),
        ("3 يوليوز 2021", day(2021, 7, 3)),
    ],
)
def test_month_spelling_variants(text: str, expected: ParsedDate) -> None:
    assert parse_arabic_date(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "الأربعاء 15 سبتمبر-أيلول 2021",
        "الأربعاء، 15 أيلول (سبتمبر) 2021",
        "15 سبتمبر/ أيلول 2021",
        "15 أيلول – سبتمبر 2021",
        "١٥ سبتمبر ٢٠٢١",  # Arabic-Indic digits
        "۱۵ سبتمبر ۲۰۲۱",  # Persian digits
        "الأربعاء ١٥/٠٩/٢٠٢١",
        "2021/09/15",
        "15-09-2021",
        "تاريخ النشر: 2021.09.15",
        "الأربعاء 8 صفر 1443 هـ الموافق 15 سبتمبر 2021 م",
        "8 صفر 1443هـ - 15 أيلول 2021",
        "1443/02/08 هـ | 2021/09/15",
        "15 سبتمبر 2021 (8 صفر 1443 هـ)",
        "نُشر في 15 أيلول 2021",
        "15 من شهر سبتمبر عام 2021",
    ],
)
def test_day_only_forms(text: str) -> None:
    # A date without a time is that date at 00:00 UTC, whatever the outlet's zone.
    assert parse_arabic_date(text, "Asia/Riyadh", now=NOW) == day(2021, 9, 15)


def test_hijri_year_is_not_a_year() -> None:
    assert parse_arabic_date("8 صفر 1443 هـ", now=NOW) is None
    assert parse_arabic_date("1445 هـ", now=NOW) is None


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        # Naive times are in the outlet's zone: Riyadh is UTC+3.
        ("15 سبتمبر 2021 10:30", "Asia/Riyadh", moment(2021, 9, 15, 7, 30)),
        ("15 سبتمبر 2021 10:30", "UTC", moment(2021, 9, 15, 10, 30)),
        ("الأربعاء 15 سبتمبر 2021 - الساعة 10:30 صباحاً", "Asia/Riyadh", moment(2021, 9, 15, 7, 30)),
        ("15 سبتمبر 2021 الساعة 10:30 مساءً", "Asia/Riyadh", moment(2021, 9, 15, 19, 30)),
        ("15 سبتمبر 2021 | 10:30 م", "Africa/Cairo", moment(2021, 9, 15, 20, 30)),
        ("15 سبتمبر 2021 | 10:30 ص", "Africa/Cairo", moment(2021, 9, 15, 8, 30)),
        ("15 سبتمبر 2021 12:15 ص", "UTC", moment(2021, 9, 15, 0, 15)),
        ("15 سبتمبر 2021 12:15 م", "UTC", moment(2021, 9, 15, 12, 15)),
        ("١٥ أيلول ٢٠٢١ - ٠٩:٤٥ مساءً", "Asia/Beirut", moment(2021, 9, 15, 18, 45)),
        ("10:30 ص، الأربعاء 15 سبتمبر 2021", "Asia/Riyadh", moment(2021, 9, 15, 7, 30)),
        ("15/09/2021 - 22:05:09", "Asia/Dubai", moment(2021, 9, 15, 18, 5, 9)),
        # Winter time in Beirut is UTC+2.
        ("3 كانون الثاني 2021 الساعة 08:00", "Asia/Beirut", moment(2021, 1, 3, 6, 0)),
        ("12 جانفي 2021 على الساعة 18:20", "Africa/Algiers", moment(2021, 1, 12, 17, 20)),
        # An explicit zone in the text beats the outlet's zone.
        ("15 سبتمبر 2021 10:30 GMT", "Asia/Riyadh", moment(2021, 9, 15, 10, 30)),
        ("15 سبتمبر 2021 10:30 بتوقيت غرينتش", "Asia/Riyadh", moment(2021, 9, 15, 10, 30)),
        ("15 سبتمبر 2021 10:30 GMT+2", "UTC", moment(2021, 9, 15, 8, 30)),
        ("15 سبتمبر 2021 الساعة 10:30 بتوقيت مكة المكرمة", "UTC", moment(2021, 9, 15, 7, 30)),
        ("2021-09-15T10:30:00+03:00", "UTC", moment(2021, 9, 15, 7, 30)),
        ("2021-09-15T10:30:00Z", "Asia/Riyadh", moment(2021, 9, 15, 10, 30)),
        ("2021-09-15 10:30", "Asia/Riyadh", moment(2021, 9, 15, 7, 30)),
    ],
)
def test_times_and_zones(text: str, tz: str, expected: ParsedDate) -> None:
    assert parse_arabic_date(text, tz, now=NOW) == expected


def test_day_only_date_is_not_shifted_by_zone() -> None:
    # Tokyo is UTC+9 and Honolulu UTC-10: a date without a time stays that date.
    for tz in ("Asia/Tokyo", "Pacific/Honolulu", "Asia/Riyadh"):
        assert parse_arabic_date("15 سبتمبر 2021", tz, now=NOW) == day(2021, 9, 15)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("منذ ساعتين", "UTC", moment(2021, 9, 15, 10, 0)),
        ("منذ ساعة", "UTC", moment(2021, 9, 15, 11, 0)),
        ("منذ 3 ساعات", "Asia/Riyadh", moment(2021, 9, 15, 9, 0)),
        ("منذ ٥ ساعات", "UTC", moment(2021, 9, 15, 7, 0)),
        ("منذ ثلاث ساعات", "UTC", moment(2021, 9, 15, 9, 0)),
        ("قبل 45 دقيقة", "UTC", moment(2021, 9, 15, 11, 15)),
        ("منذ دقيقتين", "UTC", moment(2021, 9, 15, 11, 58)),
        ("منذ يومين", "UTC", day(2021, 9, 13)),
        ("منذ 3 أيام", "UTC", day(2021, 9, 12)),
        ("منذ أسبوع", "UTC", day(2021, 9, 8)),
        ("أمس", "UTC", day(2021, 9, 14)),
        ("الأمس", "UTC", day(2021, 9, 14)),
        ("أمس 18:30", "Asia/Riyadh", moment(2021, 9, 14, 15, 30)),
        ("أول أمس", "UTC", day(2021, 9, 13)),
        ("اليوم", "UTC", day(2021, 9, 15)),
        ("اليوم 09:00", "Asia/Riyadh", moment(2021, 9, 15, 6, 0)),
        ("اليوم، 09:00 ص", "Asia/Riyadh", moment(2021, 9, 15, 6, 0)),
    ],
)
def test_relative_dates(text: str, tz: str, expected: ParsedDate) -> None:
    assert parse_arabic_date(text, tz, now=NOW) == expected


def test_minutes_without_number_is_a_recent_moment() -> None:
    parsed = parse_arabic_date("منذ دقائق", now=NOW)
    assert parsed is not None and parsed.precision == "second"
    assert 0 < (NOW - parsed.value).total_seconds() <= 600


def test_relative_day_follows_outlet_zone() -> None:
    # 22:00 UTC on the 15th is already the 16th in Riyadh, so "yesterday" there is the 15th.
    late = datetime(2021, 9, 15, 22, 0, tzinfo=UTC)
    assert parse_arabic_date("أمس", "Asia/Riyadh", now=late) == day(2021, 9, 15)
    assert parse_arabic_date("أمس", "UTC", now=late) == day(2021, 9, 14)


def test_listing_date_without_year_takes_latest_past_year() -> None:
    assert parse_arabic_date("15 سبتمبر 10:30", "UTC", now=NOW) == moment(2021, 9, 15, 10, 30)
    assert parse_arabic_date("20 ديسمبر", "UTC", now=NOW) == day(2020, 12, 20)


def test_absolute_date_wins_over_relative_word() -> None:
    assert parse_arabic_date("اليوم الأربعاء 8 سبتمبر 2021", now=NOW) == day(2021, 9, 8)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "منظومة إس-400 الروسية", "31 فبراير 2021", "الباب 2021", "400 مليون دولار"],
)
def test_not_a_date(text: str) -> None:
    assert parse_arabic_date(text, now=NOW) is None


def test_dateparser_fallback_reads_english_month() -> None:
    assert parse_arabic_date("Sep 15, 2021", now=NOW) == day(2021, 9, 15)


def test_find_dates_in_text_keeps_each_time_with_its_date() -> None:
    text = "أعلنت الوزارة اليوم ... نُشر في 14 أيلول 2021 الساعة 10:00 وآخر تحديث 15 أيلول 2021"
    assert find_arabic_dates(text, "UTC") == [moment(2021, 9, 14, 10, 0), day(2021, 9, 15)]
    # Relative words in running text are not dates.
    assert find_arabic_dates("قال الوزير اليوم إن الصفقة أُنجزت أمس", "UTC") == []


def test_now_defaults_to_current_time() -> None:
    parsed = parse_arabic_date("منذ ساعة")
    assert parsed is not None
    age = datetime.now(UTC) - parsed.value
    assert 3500 <= age.total_seconds() <= 3700


@pytest.mark.parametrize(
    "text",
    [
        "15 ایلول 2021",  # Persian yeh, as Persian keyboards type it
        "15 أيلولَ 2021",  # a mark on the month
        "١٥ ﺃﻳﻠﻮﻝ ٢٠٢١",  # presentation forms
    ],
)
def test_dates_fold_as_the_matcher_does(text: str) -> None:
    # Dates use crawler.text.arabic's fold, so every spelling it folds reads alike here.
    assert parse_arabic_date(text, now=NOW) == day(2021, 9, 15)


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("2021-09-15T10:30:00+03:00", "UTC", moment(2021, 9, 15, 7, 30)),
        ("2021-09-15t10:30:00z", "UTC", moment(2021, 9, 15, 10, 30)),
        ("2021-09-15 10:30", "Asia/Riyadh", moment(2021, 9, 15, 7, 30)),
        ("2021-09-15", "Asia/Riyadh", day(2021, 9, 15)),
        ("20210915", "UTC", day(2021, 9, 15)),
        ("Wed, 15 Sep 2021 10:30:00 +0300", "UTC", moment(2021, 9, 15, 7, 30)),
        ("Wed, 15 Sep 2021 10:30:00 -0000", "Asia/Riyadh", moment(2021, 9, 15, 7, 30)),
        ("1631701800", "UTC", moment(2021, 9, 15, 10, 30)),
        ("1631701800000", "UTC", moment(2021, 9, 15, 10, 30)),
        ("15 سبتمبر 2021", "UTC", None),
        ("", "UTC", None),
        (None, "UTC", None),
    ],
)
def test_machine_dates(value: str | None, tz: str, expected: ParsedDate | None) -> None:
    assert parse_machine_date(value, tz) == expected


def test_iso_dates_in_text_are_read_as_machine_dates() -> None:
    text = "آخر تحديث: 2021-09-15T10:30:00+03:00 - المصدر"
    assert find_arabic_dates(text) == [parse_machine_date("2021-09-15T10:30:00+03:00")]
    assert parse_arabic_date("نشر 2021-09-15 10:30", "Asia/Riyadh") == moment(2021, 9, 15, 7, 30)


def test_feed_and_sitemap_entries_read_machine_dates() -> None:
    rss = b"""<rss><channel>
      <item><link>https://x.example/a</link><pubDate>Wed, 15 Sep 2021 10:30:00 +0300</pubDate></item>
      <item><guid>https://x.example/b</guid><pubDate>2021-09-15t10:30:00z</pubDate></item>
      <item><link>https://x.example/c</link><pubDate>not a date</pubDate></item>
    </channel></rss>"""
    assert feed_entries(parse_xml(rss)) == [
        ("https://x.example/a", datetime(2021, 9, 15, 7, 30, tzinfo=UTC)),
        ("https://x.example/b", datetime(2021, 9, 15, 10, 30, tzinfo=UTC)),
        ("https://x.example/c", None),
    ]
    sitemap = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://x.example/a</loc><lastmod>2021-09-15</lastmod></url>
    </urlset>"""
    assert sitemap_entries(parse_xml(sitemap)) == (
        [("https://x.example/a", datetime(2021, 9, 15, tzinfo=UTC))],
        [],
    )
