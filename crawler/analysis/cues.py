"""The context words the matcher weighs to tell a watched system from what shares its name.

All patterns run on `crawler.text.arabic.normalize` output (ة as ه, every alef as ا, ى as ي,
lowercase Latin). Arabic words are whole words that may carry a proclitic (و ف ب ل ك, the
article) and a possessive ending, so "فرن" (oven) never fires inside "فرنسا" and "سيارته",
"بالسيارات" still do.

- ``AIR_DEFENCE``: words of the military story; near a name, they vouch for the system.
- ``AIR_DEFENCE_PROPER``: the part of those about air defence itself; only these overrule a
  civilian word, since a product may be "military grade" or sold to an army.
- ``MILITARY``: those, plus a battery and another mention of S-400; enough to accept an
  ambiguous spelling ("s 400", "فاس 400"), not enough to overrule a civilian context (a phone
  has a battery, a car review repeats "S400").
- ``CIVILIAN``: cars, trains and other vehicles, numbered roads, phones and tablets, household
  appliances. "S 400" or "S400" among them, with no air-defence word proper near, is the
  product.
- ``MOTORCYCLE``: what makes "Triumf" the motorcycle maker.
- ``CAR_BRAND`` and ``CAR_TRIM_AFTER``: the Mercedes S-Class, sure whatever the context.
"""

from __future__ import annotations

import re

_LETTER = r"[^\W\d_]"
_CLITIC = r"(?:[وف]?(?:بال|كال|لل|ال|[بلك])?)"
_ENDING = r"(?:ه|ها|هم|ي|نا|ان|ين)?"


def _words(arabic: str, latin: str) -> str:
    """Whole Arabic words (with clitics) or Latin words, as one alternation."""
    return rf"(?<!{_LETTER}){_CLITIC}(?:{arabic}){_ENDING}(?!{_LETTER})|\b(?:{latin})\b"


# Words of air defence itself: beside a civilian word ("هاتف"), only these make "S400" the
# system, since a product may be "military grade" ("معيار الحماية العسكري") or sold to armies.
AIR_DEFENCE_PROPER = re.compile(
    r"منظوم|صاروخ|صواريخ|دفاع جوي|الدفاع الجوي|للدفاع|مضاد|فوج|افواج"
    r"|كتيبه|كتائب|رادار|اعتراض|كاتسا|روسيا|الروسي|موسكو|الكرملين"
    r"|air ?-?defen|missile|russia|caatsa|зрк|ракет"
)
AIR_DEFENCE = re.compile(
    rf"{AIR_DEFENCE_PROPER.pattern}|عسكري|الجيش|جيوش|تسليح|اسلحه|السلاح|مقاتل|militar"
)
MILITARY = re.compile(rf"{AIR_DEFENCE.pattern}|بطاري|اس ?-? ?400|\bs ?-? ?400")

_VEHICLE = (
    "سياره|سيارات|مركبه|مركبات|سيدان|هجين|هجينه|هايبرد|هايبريد|محرك|محركات|حصان|حصانا"
    "|قطار|قطارات|قاطره|حافله|حافلات|دراجه|دراجات|موتوسيكل|موتورسيكل|سكوتر"
)
_VEHICLE_LATIN = (
    "cars?|sedan|hybrid|engine|horsepower|hp|trains?|railway|locomotive|bus|coach"
    "|motorcycles?|motorbikes?|scooter"
)
_ROAD = "اوتوستراد|اوتوبان|طريق سريع|الطريق السريع|طرق سريعه|طريق رقم|الطريق رقم|الطريق الدولي"
_ROAD_LATIN = "highway|motorway|freeway|expressway|interstate|road|route"
_DEVICE = (
    "هاتف|هواتف|جوال|جوالات|موبايل|لوحي|تابلت|حاسوب|لابتوب|كاميرا|معالج|غيغابايت|جيجابايت"
    "|ميغابكسل|ميجابكسل|سماعه|سماعات"
)
_DEVICE_LATIN = "smartphones?|phones?|tablets?|laptops?|galaxy|camera|processor|gb"
_APPLIANCE = (
    "غساله|غسالات|ثلاجه|ثلاجات|مكنسه|مكيف|مكيفات|فرن|ميكروويف|مجفف|خلاط|الاجهزه المنزليه"
    "|اجهزه منزليه"
)
_APPLIANCE_LATIN = "washing|washer|fridge|refrigerator|vacuum|appliances?|dishwasher|oven"

CIVILIAN = re.compile(
    _words(
        "|".join((_VEHICLE, _ROAD, _DEVICE, _APPLIANCE)),
        "|".join((_VEHICLE_LATIN, _ROAD_LATIN, _DEVICE_LATIN, _APPLIANCE_LATIN)),
    )
)

MOTORCYCLE = re.compile(
    r"دراج|موتوسيكل|موتورسيكل|موتورسايكل|سكرامبلر|بونفيل|هينكلي|سبيد ?400"
    r"|motorcycl|motorbike|\bbikes?\b|scrambler|bonneville|hinckley|speed ?400"
)
# Whole words only for "بنز"/"benz": "بنزين" (petrol) and "benzene" are not cars.
CAR_BRAND = re.compile(r"مرسيدس|مايباخ|mercedes|maybach|\bبنز\b|\bbenz\b|\bs-? ?class\b")
# A trim suffix right after "S 400" (matched from there) means the car: "S 400 d", "S400 4MATIC", "S 400 h".
CAR_TRIM_AFTER = re.compile(rf" ?(?:d|h|l|e|cdi|4matic|amg|دي)(?!{_LETTER})")


def near(cues: re.Pattern[str], norm: str, start: int, end: int, window: int) -> bool:
    """Whether `cues` occur within `window` chars around norm[start:end], outside it."""
    before = norm[max(0, start - window) : start]
    after = norm[end : end + window]
    return bool(cues.search(before) or cues.search(after))
