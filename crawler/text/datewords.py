"""The words of Arabic dates: months in every regional usage, Hijri months, day names, words
for morning and evening, units of relative dates, and the cities outlets name for their zone.

Spelt as outlets write them, without the hamza and alef variants: :mod:`crawler.text.dates`
folds these words with the same :func:`crawler.text.arabic.normalize` as the text, so the
spellings that fold alike (أ إ آ ا, ى ي, ة ه, diacritics, tatweel) need no entries of their own.
"""

from __future__ import annotations

MONTHS: dict[str, int] = {
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
    "يوليوز": 7,
    "اوت": 8,
    "غشت": 8,
    "شتنبر": 9,
    "نونبر": 11,
    "دجنبر": 12,
}
# One standard (Egyptian) name per month: dateparser's Arabic locale knows these.
STANDARD_MONTHS = {
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

HIJRI_MONTHS = (
    "محرم",
    "صفر",
    "ربيع الاول",
    "ربيع الثاني",
    "ربيع الاخر",
    "ربيع اول",
    "ربيع ثاني",
    "جمادى الاولى",
    "جمادى الاول",
    "جمادى الثانية",
    "جمادى الاخرة",
    "جمادى الثاني",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذي القعدة",
    "ذو الحجة",
    "ذي الحجة",
)
# The words beside a Hijri date: the era mark, "corresponding to", "Hijri".
HIJRI_ERA = ("هـ",)
HIJRI_MARKERS = ("الموافق", "الموافقة", "هجري", "هجرية")

DAY_NAMES = ("احد", "اثنين", "ثلاثاء", "اربعاء", "اربعا", "خميس", "جمعة", "سبت")

# Year words: "عام 2021", "سنة 2021".
YEAR_WORDS = ("عام", "سنة")

AM_WORDS = ("صباحا", "صباح", "ص", "فجرا", "فجر", "قبل الظهر", "am", "a.m.")
PM_WORDS = (
    "مساء",
    "مساءا",
    "م",
    "ظهرا",
    "ظهر",
    "بعد الظهر",
    "عصرا",
    "عصر",
    "ليلا",
    "ليل",
    "pm",
    "p.m.",
)
GMT_WORDS = ("gmt", "utc", "غرينتش", "غرينيتش", "جرينتش", "جرينيتش", "غرينتشن")

# "بتوقيت مكة": the zone of a time the page gives.
CITY_ZONES = {
    "مكة": "Asia/Riyadh",
    "الرياض": "Asia/Riyadh",
    "السعودية": "Asia/Riyadh",
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
    "الدوحة": "Asia/Qatar",
    "قطر": "Asia/Qatar",
    "ابوظبي": "Asia/Dubai",
    "ابو ظبي": "Asia/Dubai",
    "دبي": "Asia/Dubai",
    "الامارات": "Asia/Dubai",
    "الكويت": "Asia/Kuwait",
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
    "انقرة": "Europe/Istanbul",
    "اسطنبول": "Europe/Istanbul",
    "تركيا": "Europe/Istanbul",
}
CITY_WORDS = ("مدينة",)

# --- relative dates ----------------------------------------------------------------

NUMBER_WORDS = {
    "واحد": 1,
    "واحدة": 1,
    "اثنين": 2,
    "اثنان": 2,
    "ثلاث": 3,
    "ثلاثة": 3,
    "اربع": 4,
    "اربعة": 4,
    "خمس": 5,
    "خمسة": 5,
    "ست": 6,
    "ستة": 6,
    "سبع": 7,
    "سبعة": 7,
    "ثمان": 8,
    "ثماني": 8,
    "ثمانية": 8,
    "تسع": 9,
    "تسعة": 9,
    "عشر": 10,
    "عشرة": 10,
}
# unit word -> (seconds per unit, count implied by the word alone)
UNITS: dict[str, tuple[int, int | None]] = {
    "ثانية": (1, 1),
    "ثانيتين": (1, 2),
    "ثانيتان": (1, 2),
    "ثوان": (1, None),
    "ثواني": (1, None),
    "دقيقة": (60, 1),
    "دقيقتين": (60, 2),
    "دقيقتان": (60, 2),
    "دقائق": (60, None),
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
# "منذ بضع ساعات": a few of a unit.
FEW_WORDS = ("بضع", "بضعة", "عدة")
AGO_WORDS = ("منذ", "قبل")
# Days back from today; None is "just now".
DAY_WORDS: dict[str, int | None] = {
    "اليوم": 0,
    "امس": 1,
    "الامس": 1,
    "البارحة": 1,
    "اول امس": 2,
    "اول من امس": 2,
    "الان": None,
    "للتو": None,
}
