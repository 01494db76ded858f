"""Publication dates: written in Arabic, and as machines write them.

Arabic outlets write the same date many ways: Egyptian month names (سبتمبر),
Levantine ones (أيلول), Maghrebi ones (جانفي, أوت), both at once
("سبتمبر-أيلول", "أيلول (سبتمبر)"), Arabic-Indic or Persian digits, a Hijri
date beside the Gregorian one, and relative dates on listing pages. dateparser
knows only part of this, so the common shapes are read here with explicit rules
and dateparser is the fallback for what is left, after the text has been
normalized into a form it understands. The text is folded by the one
:func:`crawler.text.arabic.normalize`; the words are in :mod:`crawler.text.datewords`.

:func:`parse_machine_date` is the one reader of machine dates (ISO 8601, RFC 2822, epoch):
feeds, sitemaps, page metadata and ISO dates in a page's text all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.text import datewords
from crawler.text.arabic import normalize

Precision = Literal["second", "day"]


@dataclass(frozen=True)
class ParsedDate:
    """An aware UTC datetime; precision "day" means only the calendar date is known."""

    value: datetime
    precision: Precision

    @classmethod
    def moment(cls, when: datetime, tz: str) -> ParsedDate:
        """An exact moment; a naive `when` is wall-clock time in zone `tz`."""
        if when.tzinfo is None:
            return cls(_to_utc(when, tz), "second")
        return cls(when.astimezone(UTC), "second")


# --- machine dates -----------------------------------------------------------------

_EPOCH_RE = re.compile(r"\d{10}(?:\d{3})?")
_DAY_ONLY_RE = re.compile(r"\d{4}-?\d\d-?\d\d")
# How far past the fetch time a date may lie (clocks and zones are off by hours); beyond it a
# date is a publisher's mistake.
FUTURE_TOLERANCE = timedelta(days=1)


class DateOutOfRange(ValueError):
    """A machine date that reads but lies outside what a datetime holds in UTC (year 9999 with
    a negative offset)."""


def parse_machine_date(value: str | None, tz: str = "UTC") -> ParsedDate | None:
    """An ISO 8601, RFC 2822 (RSS, e-mail) or Unix epoch value; None when unreadable."""
    try:
        return read_machine_date(value, tz)
    except DateOutOfRange:
        return None


def read_machine_date(value: str | None, tz: str = "UTC") -> ParsedDate | None:
    """As :func:`parse_machine_date`, for callers that report a date out of range: it raises
    :class:`DateOutOfRange` rather than answering None.

    A time without a zone is in `tz`; a date alone is that day at 00:00 UTC, precision "day".
    """
    value = (value or "").strip()
    if not value:
        return None
    if _EPOCH_RE.fullmatch(value):
        return ParsedDate(datetime.fromtimestamp(int(value[:10]), UTC), "second")
    try:
        # Folded text is lower-case: "t" and "z" are ISO's T and Z.
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    else:
        if _DAY_ONLY_RE.fullmatch(value):
            return ParsedDate(datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC), "day")
    try:
        return ParsedDate.moment(parsed, tz)
    except OverflowError:
        raise DateOutOfRange(f"date out of range: {value!r}") from None


# --- the words, folded as the text is ----------------------------------------------

# Date punctuation beyond the fold: the Arabic comma, and the Arabic decimal separator that
# sometimes stands in for the colon of a time.
_PUNCTUATION = str.maketrans({"،": ",", "٫": ":"})
_V = TypeVar("_V")


def _normalize(text: str) -> str:
    return normalize(text).translate(_PUNCTUATION)


def _folded(table: Mapping[str, _V]) -> dict[str, _V]:
    return {normalize(word): value for word, value in table.items()}


def _alternation(words: Iterable[str]) -> str:
    """The folded `words` as a regex alternation, longest first; a space matches any spaces."""
    folded = sorted({normalize(w) for w in words}, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in folded)


_MONTHS = _folded(datewords.MONTHS)
_UNITS = _folded(datewords.UNITS)
_NUMBER_WORDS = _folded(datewords.NUMBER_WORDS)
_CITY_ZONES = _folded(datewords.CITY_ZONES)
_DAY_WORDS = _folded(datewords.DAY_WORDS)


def _month(name: str) -> int:
    return _MONTHS[re.sub(r"\s+", " ", name)]


# Arabic letters count as word characters, so a month must not be glued to a
# longer word (a bare "اب" must not match inside "ابريل" or "الباب"); a digit
# may touch it ("15سبتمبر").
_MONTH = rf"(?<![^\W\d])(?:{_alternation(_MONTHS)})(?!\w)"
# A dual form: "سبتمبر-أيلول", "سبتمبر/ أيلول", "أيلول (سبتمبر)".
_MONTH_GROUP = rf"(?P<month>{_MONTH})(?:\s*(?:[-/|]|\()\s*(?P<month2>{_MONTH})\s*\)?)?"

_DAY_NAMES = rf"(?:ال)?(?:{_alternation(datewords.DAY_NAMES)})"

_HIJRI_MONTHS = rf"(?:{_alternation(datewords.HIJRI_MONTHS)})"
_HIJRI_ERA = rf"(?:{_alternation(datewords.HIJRI_ERA)})(?!\w)"
# Hijri parts are removed before anything else: "1445 هـ" is not a year, and a
# Hijri day-month must not be read with the Gregorian year beside it.
_HIJRI_RES = [
    re.compile(rf"(?:\d{{1,2}}\s+)?{_HIJRI_MONTHS}(?:\s+1[34]\d\d)?(?:\s*{_HIJRI_ERA})?"),
    re.compile(rf"\d{{1,2}}\s*[/.-]\s*\d{{1,2}}\s*[/.-]\s*1[34]\d\d\s*{_HIJRI_ERA}?"),
    re.compile(rf"1[34]\d\d\s*[/.-]\s*\d{{1,2}}\s*[/.-]\s*\d{{1,2}}\s*{_HIJRI_ERA}?"),
    re.compile(rf"\d{{3,4}}\s*{_HIJRI_ERA}\.?"),
    re.compile(_alternation(datewords.HIJRI_MARKERS)),
]

_YEAR = r"(?P<year>(?:19|20)\d\d)"
_YEAR_WORD = rf"(?:(?:{_alternation(datewords.YEAR_WORDS)})\s+)?"
_NAMED_RE = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})(?:\s*(?:من\s+)?(?:شهر\s+)?)\s*[-/.,]?\s*{_MONTH_GROUP}"
    rf"\s*[-/.,]?\s*{_YEAR_WORD}{_YEAR}(?!\d)"
)
# "سبتمبر 15, 2021" (English order, used by some Gulf sites)
_NAMED_MDY_RE = re.compile(rf"{_MONTH_GROUP}\s+(?P<day>\d{{1,2}})\s*,?\s*{_YEAR}(?!\d)")
# Located here, read by parse_machine_date when it carries a time.
_ISO_RE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)"
    r"(?P<time>[t ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:\s*(?:z|[+-]\d\d:?\d\d))?)?(?!\d)"
)
_YMD_RE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)\s*[/.]\s*(?P<month>\d{1,2})\s*[/.]\s*(?P<day>\d{1,2})(?!\d)"
)
# Arab outlets write numeric dates day first.
_DMY_RE = re.compile(
    r"(?<![\d:])(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})\s*[/.-]\s*(?P<year>(?:19|20)\d\d)(?!\d)"
)

_TIME_RE = re.compile(
    r"(?<![\d/.-])(?P<hour>[01]?\d|2[0-3])\s*:\s*(?P<minute>[0-5]\d)(?:\s*:\s*(?P<second>[0-5]\d))?(?!\d)"
    rf"(?:\s*(?:(?P<am>{_alternation(datewords.AM_WORDS)})|(?P<pm>{_alternation(datewords.PM_WORDS)}))(?!\w))?"
    rf"(?:\s*(?:بتوقيت\s+)?(?P<zone>(?:{_alternation(datewords.GMT_WORDS)})"
    r"(?:\s*(?P<offset>[+-]\s*\d{1,2}(?::?\d\d)?))?))?",
    re.IGNORECASE,
)
_CITY_ZONE_RE = re.compile(
    rf"بتوقيت\s+(?:(?:{_alternation(datewords.CITY_WORDS)})\s+)?(?P<city>{_alternation(_CITY_ZONES)})"
)

# --- relative dates ----------------------------------------------------------------

_AGO = rf"(?<!\w)(?:{_alternation(datewords.AGO_WORDS)})\s+"
_AGO_RE = re.compile(
    rf"{_AGO}(?:(?P<num>\d{{1,3}})\s*|(?P<word>{_alternation(_NUMBER_WORDS)})\s+)?"
    rf"(?P<unit>{_alternation(_UNITS)})(?!\w)"
)
_FEW_RE = re.compile(rf"{_AGO}(?:{_alternation(datewords.FEW_WORDS)})\s+(?P<unit>\w+)")
# How many units "منذ دقائق" stands for when the page gives no number.
_VAGUE_COUNT = 3
_DAY_WORD_RE = re.compile(rf"(?<!\w)(?P<word>{_alternation(_DAY_WORDS)})(?!\w)")


@lru_cache(maxsize=64)
def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz) if tz and tz.upper() != "UTC" else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _to_utc(naive: datetime, tz: str) -> datetime:
    """A naive wall-clock time in zone `tz` (unknown zones count as UTC), as aware UTC."""
    return naive.replace(tzinfo=_zone(tz)).astimezone(UTC)


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
    machine: str | None = None  # an ISO date-time, for parse_machine_date


def _find_dates(text: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _ISO_RE.finditer(text):
        item = _Found(
            match.start(), match.end(), int(match["year"]), int(match["month"]), int(match["day"])
        )
        if match["time"]:
            item.machine = match.group()
        found.append(item)
    for pattern in (_NAMED_RE, _NAMED_MDY_RE):
        for match in pattern.finditer(text):
            month = _month(match["month"])
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
    if found.hour is not None or found.machine:
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
    found.hour, found.minute, found.second = _clock(match)
    if match["zone"]:
        offset = (match["offset"] or "").replace(" ", "")
        found.zone = _offset_string(offset) if offset else "+00:00"
    else:
        city = _CITY_ZONE_RE.search(text[found.start : found.end + _TIME_WINDOW + 30])
        if city:
            found.zone = _CITY_ZONES.get(re.sub(r"\s+", " ", city["city"]))


def _clock(match: re.Match[str]) -> tuple[int, int, int]:
    """Hour (0-23), minute and second of a `_TIME_RE` match."""
    hour = int(match["hour"])
    if match["pm"] and hour < 12:
        hour += 12
    elif match["am"] and hour == 12:
        hour = 0
    return hour, int(match["minute"]), int(match["second"] or 0)


def _offset_string(offset: str) -> str:
    sign = offset[0]
    digits = offset[1:].replace(":", "")
    hours = int(digits[:-2]) if len(digits) > 2 else int(digits)
    minutes = int(digits[-2:]) if len(digits) > 2 else 0
    return f"{sign}{hours:02d}:{minutes:02d}"


def _resolve(found: _Found, tz: str) -> ParsedDate | None:
    if found.machine:
        return parse_machine_date(found.machine, tz)
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
    month = _month(match["month"])
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
        if few and few["unit"] in _UNITS:
            seconds = _UNITS[few["unit"]][0] * _VAGUE_COUNT
    if seconds is not None:
        if seconds < 86400:
            return ParsedDate((now - timedelta(seconds=seconds)).astimezone(UTC), "second")
        # "منذ 3 أيام" names a calendar day, not a moment.
        day = (local_now - timedelta(seconds=seconds)).date()
        return _day(day.year, day.month, day.day)
    word_match = _DAY_WORD_RE.search(text)
    if not word_match:
        return None
    offset = _DAY_WORDS[re.sub(r"\s+", " ", word_match["word"])]
    if offset is None:
        return ParsedDate(now.astimezone(UTC), "second")
    day = (local_now - timedelta(days=offset)).date()
    time_match = _TIME_RE.search(text)
    if time_match:
        naive = datetime(day.year, day.month, day.day, *_clock(time_match))
        return ParsedDate(_to_utc(naive, tz), "second")
    return _day(day.year, day.month, day.day)


def _standardize_months(text: str) -> str:
    month_re = re.compile(_MONTH_GROUP)

    def replace(match: re.Match[str]) -> str:
        return " " + datewords.STANDARD_MONTHS[_month(match["month"])] + " "

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
        return ParsedDate.moment(result, tz)
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
