"""Counted nouns in Arabic: "تقرير واحد", "تقريران", "3 تقارير", "11 تقريراً", "100 تقرير".

Arabic picks the noun's form by the number (CLDR's plural rule for ``ar``): zero, one, two, few
(n % 100 in 3..10), many (n % 100 in 11..99), other (100, 101, 102, 200, ...: the numeral's
hundred governs a singular noun). "1 تقارير" or "2 تقارير" read as a machine's mistakes; one and
two are said with the noun alone (the dual), and nothing is said as "لا ...".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PluralCategory = Literal["zero", "one", "two", "few", "many", "other"]


def plural_category(n: int) -> PluralCategory:
    """CLDR's Arabic plural category of a whole number."""
    n = abs(n)
    if n == 0:
        return "zero"
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    if 3 <= n % 100 <= 10:
        return "few"
    if 11 <= n % 100 <= 99:
        return "many"
    return "other"


@dataclass(frozen=True)
class Noun:
    """The forms of a counted noun; ``{n}`` in a form is the number."""

    zero: str
    one: str
    two: str
    few: str
    many: str
    other: str

    def count(self, n: int) -> str:
        form: str = getattr(self, plural_category(n))
        return form.format(n=n)


NOUNS: dict[str, Noun] = {
    "report": Noun("لا تقارير", "تقرير واحد", "تقريران", "{n} تقارير", "{n} تقريراً", "{n} تقرير"),
    "development": Noun("لا تطورات", "تطور واحد", "تطوران", "{n} تطورات", "{n} تطوراً", "{n} تطور"),
    "copy": Noun("لا نسخ", "نسخة واحدة", "نسختان", "{n} نسخ", "{n} نسخة", "{n} نسخة"),
    "article": Noun("لا مقالات", "مقال واحد", "مقالان", "{n} مقالات", "{n} مقالاً", "{n} مقال"),
    "original": Noun("لا أصول", "أصل واحد", "أصلان", "{n} أصول", "{n} أصلاً", "{n} أصل"),
    "follow_up": Noun(
        "لا متابعات", "متابعة واحدة", "متابعتان", "{n} متابعات", "{n} متابعة", "{n} متابعة"
    ),
    "outlet": Noun("لا منافذ", "منفذ واحد", "منفذان", "{n} منافذ", "{n} منفذاً", "{n} منفذ"),
    "page": Noun("لا صفحات", "صفحة واحدة", "صفحتان", "{n} صفحات", "{n} صفحة", "{n} صفحة"),
    "error": Noun("لا أخطاء", "خطأ واحد", "خطآن", "{n} أخطاء", "{n} خطأً", "{n} خطأ"),
    "failure": Noun(
        "لا إخفاقات", "إخفاق واحد", "إخفاقان", "{n} إخفاقات", "{n} إخفاقاً", "{n} إخفاق"
    ),
    "alert": Noun("لا تنبيهات", "تنبيه واحد", "تنبيهان", "{n} تنبيهات", "{n} تنبيهاً", "{n} تنبيه"),
    "run": Noun("لا مرات", "مرة واحدة", "مرتان", "{n} مرات", "{n} مرة", "{n} مرة"),
    "minute": Noun("أقل من دقيقة", "دقيقة", "دقيقتان", "{n} دقائق", "{n} دقيقة", "{n} دقيقة"),
    "hour": Noun("أقل من ساعة", "ساعة", "ساعتان", "{n} ساعات", "{n} ساعة", "{n} ساعة"),
    "day": Noun("أقل من يوم", "يوم", "يومان", "{n} أيام", "{n} يوماً", "{n} يوم"),
}


def count_of(n: int, noun: str) -> str:
    """``n`` of the noun named ``noun`` (a key of :data:`NOUNS`), in its right Arabic form."""
    return NOUNS[noun].count(n)


def arabic_ago(seconds: float) -> str:
    """How long ago (or, for a negative ``seconds``, how far ahead) in Arabic: "منذ 5 دقائق",
    "منذ ساعتين", "بعد 3 أيام". After the preposition the dual takes its genitive ending."""
    preposition = "منذ" if seconds >= 0 else "بعد"
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return "الآن"
    if minutes < 60:
        amount, noun = minutes, "minute"
    elif minutes < 60 * 24:
        amount, noun = minutes // 60, "hour"
    else:
        amount, noun = minutes // (60 * 24), "day"
    if amount == 2:
        return f"{preposition} " + {"minute": "دقيقتين", "hour": "ساعتين", "day": "يومين"}[noun]
    return f"{preposition} {count_of(amount, noun)}"
