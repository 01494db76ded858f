"""Every written form of S-400 that DESIGN.md lists, built from its parts: letters, separators,
digit scripts, Latin and reordered forms, wrappers, and proclitics on the term or its quote."""

from __future__ import annotations

import itertools

import pytest

from crawler.analysis.matcher import S400, Matcher

LETTERS = ["إس", "اس", "أس", "آس", "س", "S", "s", "С"]
SEPARATORS = ["-", "–", "—", "\u2212", "\u2011", " - ", " -", "- ", "ـ", " ـ ", " ", ""]
DIGITS = ["400", "٤٠٠", "۴۰۰"]
WRAPPERS = [('"', '"'), ("“", "”"), ("«", "»"), ("»", "«"), ("‹", "›"), ("″", "″"), ("„", "“")]
PROCLITICS = ["و", "ف", "ب", "ل", "ك", "لـ", "لل", "بال", "وبال", "ال"]

# A sentence that says plainly it is about air defence, so even the forms that need context
# (a lowercase "s" or a lone "س" with no dash) are the system.
AIR_DEFENCE = "نشرت القوات منظومة الدفاع الجوي {} قرب الحدود."
# No context at all: only the forms that are sure on their own.
BARE = "تحدث التقرير عن {} أمس."


def _sure_alone(letters: str, sep: str) -> bool:
    dash = any(c in sep for c in "-–—\u2212\u2011ـ")
    if letters == "s" or letters == "س":
        return dash
    return True


FORMS = [
    (letters + sep + digits, _sure_alone(letters, sep))
    for letters, sep, digits in itertools.product(LETTERS, SEPARATORS, DIGITS)
]


def _only(matcher: Matcher, sentence: str) -> list[tuple[str, str]]:
    found = matcher.find(sentence)
    assert all(sentence[m.start : m.end] == m.text for m in found)
    return [(m.term, m.text) for m in found]


@pytest.mark.parametrize(("form", "sure"), FORMS)
def test_letters_separators_and_digits(matcher: Matcher, form: str, sure: bool) -> None:
    assert _only(matcher, AIR_DEFENCE.format(form)) == [(S400, form)]
    assert _only(matcher, BARE.format(form)) == ([(S400, form)] if sure else [])


@pytest.mark.parametrize("form", ["400-إس", "400 - اس", "٤٠٠–س", "400-S", "400 S", "400-С"])
def test_reordered_by_mixed_direction_text(matcher: Matcher, form: str) -> None:
    assert _only(matcher, AIR_DEFENCE.format(form)) == [(S400, form)]


@pytest.mark.parametrize(
    ("opening", "closing", "core"),
    [(o, c, core) for (o, c), core in itertools.product(WRAPPERS, ["إس-400", "س-400", "S-400"])],
)
def test_wrappers(matcher: Matcher, opening: str, closing: str, core: str) -> None:
    assert _only(matcher, BARE.format(opening + core + closing)) == [(S400, core)]


@pytest.mark.parametrize(
    ("proclitic", "quoted", "core"),
    list(itertools.product(PROCLITICS, [False, True], ["إس-400", "س-400", "إس 400"])),
)
def test_proclitics_on_the_term_or_its_quote(
    matcher: Matcher, proclitic: str, quoted: bool, core: str
) -> None:
    written = f"{proclitic}«{core}»" if quoted else proclitic + core
    assert _only(matcher, BARE.format(written)) == [(S400, core)]


@pytest.mark.parametrize(
    "sentence",
    [
        "اشتريت الكتاب بس 400 جنيه من المعرض.",
        "استمر التصوير 400 س متواصلة.",
        "ظهر الرقم س-4000 في الجدول.",
        "دخلت منظومة س-300 الخدمة.",
        "جرى اختبار س-500 الجديدة.",
    ],
)
def test_one_letter_look_alikes(matcher: Matcher, sentence: str) -> None:
    assert matcher.find(sentence) == []


# --- things that share the name ---------------------------------------------------------

CIVILIAN = {
    "car": [
        "قدمت الشركة سيارة مرسيدس S 400 بمحرك أقوى هذا العام.",
        "تجمع النسخة S400 الهجينة بين محرك بنزين ومحرك كهربائي.",
        "The S400 hybrid sedan gets a bigger battery and a new engine.",
        "جربنا السيارة S-400 على طريق جبلي فكانت مريحة.",
    ],
    "road": [
        "أغلقت السلطات الطريق السريع S-400 بسبب الضباب.",
        "وقع الحادث على الأوتوستراد س-400 قرب المخرج الشمالي.",
        "Traffic on highway S400 was diverted after the crash.",
    ],
    "phone": [
        "طرحت الشركة هاتفها الجديد S400 بكاميرا مزدوجة وبطارية كبيرة.",
        "يأتي الجهاز اللوحي S-400 بذاكرة تخزين 128 غيغابايت.",
        "The S400 smartphone ships with a faster processor.",
        # "military grade" in a product's specification makes it no weapon
        "يتحمل هاتف S400 الجديد السقوط وفق معيار الصلابة العسكري، وتدوم بطاريته يومين.",
    ],
    "appliance": [
        "تستهلك الغسالة S400 كمية أقل من الماء.",
        "أطلقت العلامة مكنسة كهربائية جديدة باسم إس 400 للمنازل.",
        "The S-400 dishwasher is quieter than last year's model.",
    ],
    "motorcycle": [
        "تعرض الوكالة دراجة نارية S400 بمحرك سعته 400 سنتيمتر.",
        "The S400 motorcycle has a single-cylinder engine.",
    ],
    "train": [
        "دخل القطار S-400 الخدمة على خط الضواحي الجديد.",
        "The new S400 train runs every ten minutes.",
    ],
}


@pytest.mark.parametrize(
    "sentence", [s for sentences in CIVILIAN.values() for s in sentences], ids=lambda s: s[:20]
)
def test_products_named_s400_are_not_the_system(matcher: Matcher, sentence: str) -> None:
    assert matcher.find(sentence) == []


@pytest.mark.parametrize(
    "sentence",
    [
        # The system in a story that also mentions cars, roads, phones or trains.
        "نقلت الشاحنات بطاريات منظومة إس-400 عبر الطريق السريع إلى القاعدة.",
        "قال الوزير في اتصال هاتفي إن صواريخ S-400 الروسية ستصل قريباً.",
        "نقل القطار مكونات منظومة الدفاع الجوي س-400 إلى الحدود.",
        "بينما ارتفعت مبيعات السيارات، وقعت أنقرة عقداً ثانياً لشراء صواريخ إس-400 من روسيا.",
    ],
)
def test_the_system_stays_among_civilian_words(matcher: Matcher, sentence: str) -> None:
    assert [m.term for m in matcher.find(sentence)] == [S400]


def test_other_field_vouches_for_the_system(matcher: Matcher) -> None:
    title = "تركيا تتسلم الدفعة الثانية من منظومة الدفاع الجوي الروسية"
    body = "وصلت مكونات إس-400 على متن قطار إلى محطة قرب العاصمة."
    assert [(m.field, m.text) for m in matcher.find_in_article(title, body)] == [("body", "إس-400")]


def test_a_car_review_title_and_body_both_stay_civilian(matcher: Matcher) -> None:
    title = "مرسيدس تكشف عن S400 الجديدة"
    body = "تحصل السيارة S400 على محرك أقوى وشاشة أكبر في المقصورة."
    assert matcher.find_in_article(title, body) == []
