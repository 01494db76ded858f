"""Publication dates written in Arabic.

Arabic outlets write the same date many ways: Egyptian month names (سبتمبر),
Levantine ones (أيلول), Maghrebi ones (جانفي, أوت), both at once
("سبتمبر-أيلول", "أيلول (سبتمبر)"), Arabic-Indic or Persian digits, a Hijri
date beside the Gregorian one, and relative dates on listing pages. dateparser
knows only part of this, so the common shapes are read here with explicit rules
and dateparser is the fallback for what is left, after the text has been
normalized into a form it understands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Precision = Literal["second", "day"]


@dataclass(frozen=True)
class ParsedDate:
    """An aware UTC datetime; precision "day" means only the calendar date is known."""

    value: datetime
    precision: Precision


# --- normalization ---------------------------------------------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ـ": None,  # tatweel
        "،": ",",
        "٫": ":",  # Arabic decimal separator sometimes stands in for the time colon
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
    }
)
_INVISIBLE_RE = re.compile(
    "[\u064b-\u0652\u0670\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]"
)


def _normalize(text: str) -> str:
    text = _INVISIBLE_RE.sub("", text)
    return text.translate(_DIGITS).translate(_FOLD)


# Month names after _normalize (alef forms folded, ى -> ي). Longer names first so
# that "كانون الثاني" wins over a bare "كانون" and "ابريل" over "اب".
_MONTHS: dict[str, int] = {
    # Egyptian / Gulf
    "يناير": 1,
    "فبراير": 2,
    "فبرابر": 2,
    "مارس": 3,
    "ابريل": 4,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليو": 7,
    "يوليه": 7,
    "اغسطس": 8,
    "اغسطوس": 8,
    "سبتمبر": 9,
    "اكتوبر": 10,
    "نوفمبر": 11,
    "ديسمبر": 12,
    # Levantine / Iraqi
    "كانون الثاني": 1,
    "كانون ثاني": 1,
    "شباط": 2,
    "اذار": 3,
    "نيسان": 4,
    "ايار": 5,
    "حزيران": 6,
    "تموز": 7,
    "اب": 8,
    "ايلول": 9,
    "تشرين الاول": 10,
    "تشرين اول": 10,
    "تشرين الثاني": 11,
    "تشرين ثاني": 11,
    "كانون الاول": 12,
    "كانون اول": 12,
    # Maghrebi (Algeria, Tunisia; Morocco's French- and Spanish-derived forms)
    "جانفي": 1,
    "جانفييه": 1,
    "فيفري": 2,
    "فيفرييه": 2,
    "افريل": 4,
    "ماي": 5,
    "جوان": 6,
    "جويلية": 7,
    "جويليه": 7,
    "يوليوز": 7,
    "اوت": 8,
    "غشت": 8,
    "شتنبر": 9,
    "نونبر": 11,
    "دجنبر": 12,
}
# One standard (Egyptian) name per month: dateparser's Arabic locale knows these.
_STANDARD_MONTH = {
    1: "يناير",
    2: "فبراير",
    3: "مارس",
    4: "أبريل",
    5: "مايو",
    6: "يونيو",
    7: "يوليو",
    8: "أغسطس",
    9: "سبتمبر",
    10: "أكتوبر",
    11: "نوفمبر",
    12: "ديسمبر",
}

_MONTH_ALT = "|".join(
    sorted((re.escape(name).replace(r"\ ", r"\s+") for name in _MONTHS), key=len, reverse=True)
)
# Arabic letters count as word characters, so a month must not be glued to a
# longer word (a bare "اب" must not match inside "ابريل" or "الباب"); a digit
# may touch it ("15سبتمبر").
_MONTH = rf"(?<![^\W\d])(?:{_MONTH_ALT})(?!\w)"
# A dual form: "سبتمبر-أيلول", "سبتمبر/ أيلول", "أيلول (سبتمبر)".
_MONTH_GROUP = rf"(?P<month>{_MONTH})(?:\s*(?:[-/|]|\()\s*(?P<month2>{_MONTH})\s*\)?)?"

_DAY_NAMES = r"(?:ال)?(?:احد|اثنين|ثلاثاء|اربعاء|اربعا|خميس|جمعه|جمعة|سبت)"

_HIJRI_MONTHS = (
    r"(?:محرم|صفر|ربيع\s+(?:الاول|الثاني|الاخر|الآخر|اول|ثاني)|"
    r"جمادي\s+(?:الاولي|الاولى|الاول|الثانيه|الثانية|الاخره|الاخرة|الآخرة|الثاني)|"
    r"رجب|شعبان|رمضان|شوال|ذو\s+القعده|ذو\s+القعدة|ذي\s+القعده|ذي\s+القعدة|"
    r"ذو\s+الحجه|ذو\s+الحجة|ذي\s+الحجه|ذي\s+الحجة)"
)
# Hijri parts are removed before anything else: "1445 هـ" is not a year, and a
# Hijri day-month must not be read with the Gregorian year beside it.
_HIJRI_RES = [
    re.compile(rf"(?:\d{{1,2}}\s+)?{_HIJRI_MONTHS}(?:\s+1[34]\d\d)?(?:\s*(?:هـ|ه)(?!\w))?"),
    re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*1[34]\d\d\s*(?:هـ|ه)?(?!\w)"),
    re.compile(r"1[34]\d\d\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{1,2}\s*(?:هـ|ه)?(?!\w)"),
    re.compile(r"\d{3,4}\s*(?:هـ|ه)(?!\w)\.?"),
    re.compile(r"(?:الموافق|الموافقه|الموافقة|هجري|هجريه|هجرية)"),
]

_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NAMED_RE = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})(?:\s*(?:من\s+)?(?:شهر\s+)?)\s*[-/.,]?\s*{_MONTH_GROUP}"
    rf"\s*[-/.,]?\s*(?:عام\s+|سنه\s+|سنة\s+)?{_YEAR}(?!\d)"
)
# "سبتمبر 15, 2021" (English order, used by some Gulf sites)
_NAMED_MDY_RE = re.compile(rf"{_MONTH_GROUP}\s+(?P<day>\d{{1,2}})\s*,?\s*{_YEAR}(?!\d)")
_ISO_RE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)"
    r"(?:[T ](?P<hour>\d\d):(?P<minute>\d\d)(?::(?P<second>\d\d)(?:\.\d+)?)?"
    r"\s*(?P<zone>Z|[+-]\d\d:?\d\d)?)?(?!\d)"
)
_YMD_RE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)\s*[/.]\s*(?P<month>\d{1,2})\s*[/.]\s*(?P<day>\d{1,2})(?!\d)"
)
# Arab outlets write numeric dates day first.
_DMY_RE = re.compile(
    r"(?<![\d:])(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>(?:19|20)\d\d)(?!\d)"
)

_AM = r"(?:صباحا|صباحاً|صباح|ص|فجرا|فجراً|فجر|قبل\s+الظهر|am|a\.m\.)"
_PM = r"(?:مساء|مساءً|مساءا|مساءاً|م|ظهرا|ظهراً|ظهر|بعد\s+الظهر|عصرا|عصراً|عصر|ليلا|ليلاً|ليل|pm|p\.m\.)"
_TIME_RE = re.compile(
    r"(?<![\d/.-])(?P<hour>[01]?\d|2[0-3])\s*:\s*(?P<minute>[0-5]\d)(?:\s*:\s*(?P<second>[0-5]\d))?(?!\d)"
    rf"(?:\s*(?:(?P<am>{_AM})|(?P<pm>{_PM}))(?!\w))?"
    r"(?:\s*(?:بتوقيت\s+)?(?P<zone>(?:GMT|UTC|غرينتش|غرينيتش|جرينتش|جرينيتش|غرينتشن)"
    r"(?:\s*(?P<offset>[+-]\s*\d{1,2}(?::?\d\d)?))?))?",
    re.IGNORECASE,
)
_CITY_ZONE_RE = re.compile(
    r"بتوقيت\s+(?:مدينه\s+|مدينة\s+)?(?P<city>مكه|مكة|الرياض|السعوديه|السعودية|القاهره|القاهرة|مصر|"
    r"بيروت|لبنان|دمشق|سوريا|بغداد|العراق|عمان|الاردن|القدس|فلسطين|الدوحه|الدوحة|قطر|"
    r"ابوظبي|ابو\s+ظبي|دبي|الامارات|الكويت|المنامه|المنامة|البحرين|مسقط|الجزائر|تونس|"
    r"الرباط|المغرب|طرابلس|ليبيا|الخرطوم|السودان|صنعاء|اليمن|موسكو|انقره|انقرة|اسطنبول|تركيا)"
)
_CITY_ZONES = {
    "مكه": "Asia/Riyadh",
    "مكة": "Asia/Riyadh",
    "الرياض": "Asia/Riyadh",
    "السعوديه": "Asia/Riyadh",
    "السعودية": "Asia/Riyadh",
    "القاهره": "Africa/Cairo",
    "القاهرة": "Africa/Cairo",
    "مصر": "Africa/Cairo",
    "بيروت": "Asia/Beirut",
    "لبنان": "Asia/Beirut",
    "دمشق": "Asia/Damascus",
    "سوريا": "Asia/Damascus",
    "بغداد": "Asia/Baghdad",
    "العراق": "Asia/Baghdad",
    "عمان": "Asia/Amman",
    "الاردن": "Asia/Amman",
    "القدس": "Asia/Jerusalem",
    "فلسطين": "Asia/Gaza",
    "الدوحه": "Asia/Qatar",
    "الدوحة": "Asia/Qatar",
    "قطر": "Asia/Qatar",
    "ابوظبي": "Asia/Dubai",
    "ابو ظبي": "Asia/Dubai",
    "دبي": "Asia/Dubai",
    "الامارات": "Asia/Dubai",
    "الكويت": "Asia/Kuwait",
    "المنامه": "Asia/Bahrain",
    "المنامة": "Asia/Bahrain",
    "البحرين": "Asia/Bahrain",
    "مسقط": "Asia/Muscat",
    "الجزائر": "Africa/Algiers",
    "تونس": "Africa/Tunis",
    "الرباط": "Africa/Casablanca",
    "المغرب": "Africa/Casablanca",
    "طرابلس": "Africa/Tripoli",
    "ليبيا": "Africa/Tripoli",
    "الخرطوم": "Africa/Khartoum",
    "السودان": "Africa/Khartoum",
    "صنعاء": "Asia/Aden",
    "اليمن": "Asia/Aden",
    "موسكو": "Europe/Moscow",
    "انقره": "Europe/Istanbul",
    "انقرة": "Europe/Istanbul",
    "اسطنبول": "Europe/Istanbul",
    "تركيا": "Europe/Istanbul",
}

# --- relative dates ----------------------------------------------------------------

_NUMBER_WORDS = {
    "واحد": 1,
    "واحده": 1,
    "واحدة": 1,
    "اثنين": 2,
    "اثنان": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "ثلاثة": 3,
    "اربع": 4,
    "اربعه": 4,
    "اربعة": 4,
    "خمس": 5,
    "خمسه": 5,
    "خمسة": 5,
    "ست": 6,
    "سته": 6,
    "ستة": 6,
    "سبع": 7,
    "سبعه": 7,
    "سبعة": 7,
    "ثمان": 8,
    "ثماني": 8,
    "ثمانيه": 8,
    "ثمانية": 8,
    "تسع": 9,
    "تسعه": 9,
    "تسعة": 9,
    "عشر": 10,
    "عشره": 10,
    "عشرة": 10,
}
# unit word -> (seconds per unit, count implied by the word alone)
_UNITS: dict[str, tuple[int, int | None]] = {
    "ثانيه": (1, 1),
    "ثانية": (1, 1),
    "ثانيتين": (1, 2),
    "ثانيتان": (1, 2),
    "ثوان": (1, None),
    "ثواني": (1, None),
    "ثوانٍ": (1, None),
    "دقيقه": (60, 1),
    "دقيقة": (60, 1),
    "دقيقتين": (60, 2),
    "دقيقتان": (60, 2),
    "دقائق": (60, None),
    "ساعه": (3600, 1),
    "ساعة": (3600, 1),
    "ساعتين": (3600, 2),
    "ساعتان": (3600, 2),
    "ساعات": (3600, None),
    "يوم": (86400, 1),
    "يومين": (86400, 2),
    "يومان": (86400, 2),
    "ايام": (86400, None),
    "اسبوع": (604800, 1),
    "اسبوعين": (604800, 2),
    "اسبوعان": (604800, 2),
    "اسابيع": (604800, None),
    "شهر": (2592000, 1),
    "شهرين": (2592000, 2),
    "شهران": (2592000, 2),
    "اشهر": (2592000, None),
    "شهور": (2592000, None),
}
_UNIT_ALT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_NUMBER_ALT = "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
_AGO_RE = re.compile(
    rf"(?<!\w)(?:منذ|قبل)\s+(?:(?P<num>\d{{1,3}})\s*|(?P<word>{_NUMBER_ALT})\s+)?"
    rf"(?P<unit>{_UNIT_ALT})(?!\w)"
)
_FEW_RE = re.compile(r"(?<!\w)(?:منذ|قبل)\s+(?:بضع|بضعة|بضعه|عدة|عده)\s+(?P<unit>\w+)")
# How many units "منذ دقائق" stands for when the page gives no number.
_VAGUE_COUNT = 3
_DAY_WORD_RE = re.compile(
    r"(?<!\w)(?P<word>اول\s+امس|اول\s+من\s+امس|امس|الامس|البارحه|البارحة|اليوم|الان|الآن|للتو)(?!\w)"
)
_DAY_WORD_OFFSET = {"اليوم": 0, "امس": 1, "الامس": 1, "البارحه": 1, "البارحة": 1}


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo | type[UTC]:
    try:
        return ZoneInfo(tz) if tz and tz.upper() != "UTC" else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _to_utc(naive: datetime, tz: str) -> datetime:
    return naive.replace(tzinfo=_zone(tz)).astimezone(UTC)


def local_to_utc(naive: datetime, tz: str) -> datetime:
    """A naive wall-clock time in zone `tz` (unknown zones count as UTC), as aware UTC."""
    return _to_utc(naive.replace(tzinfo=None), tz)


def local_date(moment: datetime, tz: str) -> date:
    """The calendar date of an aware `moment` in zone `tz`."""
    return moment.astimezone(_zone(tz)).date()


def _day(year: int, month: int, day: int) -> ParsedDate | None:
    try:
        return ParsedDate(datetime(year, month, day, tzinfo=UTC), "day")
    except ValueError:
        return None


def _strip_hijri(text: str) -> str:
    for pattern in _HIJRI_RES:
        text = pattern.sub(" | ", text)
    return text


@dataclass
class _Found:
    start: int
    end: int
    year: int
    month: int
    day: int
    hour: int | None = None
    minute: int = 0
    second: int = 0
    zone: str | None = None  # an explicit offset or zone name written in the text


def _find_dates(text: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _ISO_RE.finditer(text):
        item = _Found(
            match.start(), match.end(), int(match["year"]), int(match["month"]), int(match["day"])
        )
        if match["hour"]:
            item.hour, item.minute = int(match["hour"]), int(match["minute"])
            item.second = int(match["second"] or 0)
            if match["zone"]:
                zone = match["zone"]
                item.zone = "+00:00" if zone == "Z" else zone
        found.append(item)
    for pattern in (_NAMED_RE, _NAMED_MDY_RE):
        for match in pattern.finditer(text):
            month = _MONTHS[re.sub(r"\s+", " ", match["month"])]
            found.append(
                _Found(match.start(), match.end(), int(match["year"]), month, int(match["day"]))
            )
    for pattern in (_YMD_RE, _DMY_RE):
        for match in pattern.finditer(text):
            found.append(
                _Found(
                    match.start(),
                    match.end(),
                    int(match["year"]),
                    int(match["month"]),
                    int(match["day"]),
                )
            )
    # Earliest in the text first; for overlapping matches keep the longest.
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[_Found] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept


# How far from a date a time may stand and still belong to it ("15 سبتمبر 2021 - 10:30 م").
_TIME_WINDOW = 40


def _attach_time(text: str, found: _Found, others: list[_Found], used: set[int]) -> None:
    """Give `found` the time written beside it; `used` holds time positions already taken."""
    if found.hour is not None:
        return
    after = text[found.end : found.end + _TIME_WINDOW]
    before_start = max(0, found.start - _TIME_WINDOW)
    before = text[before_start : found.start]
    candidates: list[tuple[int, re.Match[str]]] = []
    following = _TIME_RE.search(after)
    if following and found.end + following.start() not in used:
        candidates.append((following.start(), following))
    preceding = None
    for preceding in _TIME_RE.finditer(before):  # noqa: B007 - the last one is wanted
        pass
    if preceding is not None:
        # The time must not belong to an earlier date that stands between.
        absolute = before_start + preceding.start()
        if absolute not in used and not any(
            absolute < o.end <= found.start for o in others if o is not found
        ):
            candidates.append((len(before) - preceding.end(), preceding))
    if not candidates:
        return
    distance, match = min(candidates, key=lambda c: c[0])
    used.add(found.end + distance if match is following else before_start + match.start())
    hour = int(match["hour"])
    if match["pm"] and hour < 12:
        hour += 12
    elif match["am"] and hour == 12:
        hour = 0
    found.hour, found.minute, found.second = hour, int(match["minute"]), int(match["second"] or 0)
    if match["zone"]:
        offset = (match["offset"] or "").replace(" ", "")
        found.zone = _offset_string(offset) if offset else "+00:00"
    else:
        city = _CITY_ZONE_RE.search(text[found.start : found.end + _TIME_WINDOW + 30])
        if city:
            found.zone = _CITY_ZONES.get(re.sub(r"\s+", " ", city["city"]))


def _offset_string(offset: str) -> str:
    sign = offset[0]
    digits = offset[1:].replace(":", "")
    hours = int(digits[:-2]) if len(digits) > 2 else int(digits)
    minutes = int(digits[-2:]) if len(digits) > 2 else 0
    return f"{sign}{hours:02d}:{minutes:02d}"


def _resolve(found: _Found, tz: str) -> ParsedDate | None:
    if found.hour is None:
        return _day(found.year, found.month, found.day)
    try:
        naive = datetime(found.year, found.month, found.day, found.hour, found.minute, found.second)
    except ValueError:
        return None
    zone = found.zone
    if zone and zone[0] in "+-":
        aware = datetime.fromisoformat(naive.isoformat() + zone)
        return ParsedDate(aware.astimezone(UTC), "second")
    return ParsedDate(_to_utc(naive, zone or tz), "second")


_DAY_MONTH_RE = re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})\s*(?:من\s+)?(?:شهر\s+)?{_MONTH_GROUP}")


def _without_year(text: str, tz: str, now: datetime) -> ParsedDate | None:
    """Listing pages often write "15 سبتمبر 10:30": the year is the latest that is not ahead."""
    match = _DAY_MONTH_RE.search(text)
    if not match:
        return None
    month = _MONTHS[re.sub(r"\s+", " ", match["month"])]
    day = int(match["day"])
    local_today = now.astimezone(_zone(tz)).date()
    year = local_today.year
    try:
        if datetime(year, month, day).date() > local_today + timedelta(days=1):
            year -= 1
    except ValueError:
        return None
    item = _Found(match.start(), match.end(), year, month, day)
    _attach_time(text, item, [item], set())
    return _resolve(item, tz)


def _relative(text: str, tz: str, now: datetime) -> ParsedDate | None:
    local_now = now.astimezone(_zone(tz))
    match = _AGO_RE.search(text)
    seconds: int | None = None
    if match:
        unit_seconds, implied = _UNITS[match["unit"]]
        if match["num"]:
            count = int(match["num"])
        elif match["word"]:
            count = _NUMBER_WORDS[match["word"]]
        else:
            count = implied if implied is not None else _VAGUE_COUNT
        seconds = unit_seconds * count
    else:
        few = _FEW_RE.search(text)
        if few:
            for unit, (unit_seconds, _implied) in _UNITS.items():
                if few["unit"] == unit:
                    seconds = unit_seconds * _VAGUE_COUNT
                    break
    if seconds is not None:
        if seconds < 86400:
            return ParsedDate((now - timedelta(seconds=seconds)).astimezone(UTC), "second")
        # "منذ 3 أيام" names a calendar day, not a moment.
        day = (local_now - timedelta(seconds=seconds)).date()
        return _day(day.year, day.month, day.day)
    word_match = _DAY_WORD_RE.search(text)
    if not word_match:
        return None
    word = re.sub(r"\s+", " ", word_match["word"])
    if word in ("الان", "الآن", "للتو"):
        return ParsedDate(now.astimezone(UTC), "second")
    offset = 2 if word.startswith("اول") else _DAY_WORD_OFFSET[word]
    day = (local_now - timedelta(days=offset)).date()
    time_match = _TIME_RE.search(text)
    if time_match:
        hour = int(time_match["hour"])
        if time_match["pm"] and hour < 12:
            hour += 12
        elif time_match["am"] and hour == 12:
            hour = 0
        naive = datetime(
            day.year, day.month, day.day, hour, int(time_match["minute"]),
            int(time_match["second"] or 0),
        )  # fmt: skip
        return ParsedDate(_to_utc(naive, tz), "second")
    return _day(day.year, day.month, day.day)


def _standardize_months(text: str) -> str:
    month_re = re.compile(_MONTH_GROUP)

    def replace(match: re.Match[str]) -> str:
        return " " + _STANDARD_MONTH[_MONTHS[re.sub(r"\s+", " ", match["month"])]] + " "

    return month_re.sub(replace, text)


_DATEPARSER_MAX_CHARS = 80


def _dateparser_fallback(text: str, tz: str, now: datetime) -> ParsedDate | None:
    cleaned = re.sub(rf"(?<!\w){_DAY_NAMES}(?!\w)", " ", _standardize_months(text))
    cleaned = re.sub(r"[|,،]+", " ", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned or len(cleaned) > _DATEPARSER_MAX_CHARS or not re.search(r"\d", cleaned):
        return None
    # Imported here: dateparser costs a noticeable fraction of a second to load,
    # which the crawl child should only pay when a page needs it.
    import dateparser

    settings = {
        "RELATIVE_BASE": now.astimezone(_zone(tz)).replace(tzinfo=None),
        "TIMEZONE": tz or "UTC",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY",
        "STRICT_PARSING": True,
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    try:
        result = dateparser.parse(cleaned, languages=["ar", "en"], settings=settings)
    except (ValueError, TypeError, OverflowError):
        return None
    if result is None or not 1990 <= result.year <= now.year + 1:
        return None
    if re.search(r"\d{1,2}\s*:\s*\d\d", cleaned):
        if result.tzinfo is not None:
            return ParsedDate(result.astimezone(UTC), "second")
        return ParsedDate(_to_utc(result, tz), "second")
    return _day(result.year, result.month, result.day)


def _absolute_dates(normalized: str, tz: str) -> Iterator[ParsedDate]:
    found = _find_dates(normalized)
    used: set[int] = set()
    for item in found:
        _attach_time(normalized, item, found, used)
        parsed = _resolve(item, tz)
        if parsed is not None:
            yield parsed


def parse_arabic_date(
    text: str, tz: str = "UTC", *, now: datetime | None = None
) -> ParsedDate | None:
    """Read the publication date in `text` (a byline, a listing entry, a date label).

    The first Gregorian date wins, with a time found beside it; Hijri parts are
    ignored. Without an absolute date, relative forms ("منذ ساعتين", "أمس") are
    read against `now` (default: the current time). Naive times are in the
    outlet's zone `tz`; a date without a time is that date at 00:00 UTC with
    precision "day".
    """
    if not text or not text.strip():
        return None
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    normalized = _strip_hijri(_normalize(text))
    for parsed in _absolute_dates(normalized, tz):
        return parsed
    relative = _relative(normalized, tz, now) or _without_year(normalized, tz, now)
    if relative is not None:
        return relative
    return _dateparser_fallback(normalized, tz, now)


def find_arabic_dates(text: str, tz: str = "UTC") -> list[ParsedDate]:
    """Every absolute date written in a longer text (no relative forms), in text order.

    For scanning a page's text: "اليوم" in a sentence is not a publication date.
    """
    if not text:
        return []
    return list(_absolute_dates(_strip_hijri(_normalize(text)), tz))
