"""Tests for the watchlist matcher: forms, look-alikes, spans, user entries, corpus."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.eval import analyze_all, dev_rows, relevance
from crawler.analysis.matcher import Matcher, TermMatch, WatchlistEntry
from tests.fixtures import LABELLED, SEED

S400 = "S-400"
ROSO = "Rosoboronexport"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher([WatchlistEntry("Su-35", ("سو-35", "سوخوي 35", "Su-35"))])


def _found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    matches = matcher.find(text)
    for m in matches:
        assert text[m.start : m.end] == m.text
    return [(m.term, m.text) for m in matches]


# --- S-400 ------------------------------------------------------------------------

# Each sentence holds exactly one S-400 mention, written as `surface`.
S400_FORMS = [
    ("إس-400", "تسلمت أنقرة منظومة إس-400 الروسية."),
    ("اس 400", "قال المسؤول إن صفقة اس 400 ما زالت قائمة."),
    ("إس400", "وصلت بطاريات إس400 إلى القاعدة."),
    ("أس ـ 400", "تتحدث التقارير عن نشر أس ـ 400 قرب الحدود."),
    ("إس–٤٠٠", "أكد الوزير أن إس–٤٠٠ ستدخل الخدمة قريباً."),
    ("إس-۴۰۰", "المنظومة إس-۴۰۰ من أحدث وسائل الدفاع."),
    ("إس — 400", "جرى اختبار إس — 400 في الصحراء."),
    ("إس\u2011400", "مع وصول إس\u2011400 تغير الموقف."),
    ("إس\u2212400", "تحدثت الصحيفة عن إس\u2212400 أمس."),
    ("إس - 400", "أعلنت موسكو تسليم إس - 400 في موعدها."),
    ("إس -400", "تقول المصادر إن إس -400 تأخرت."),
    ("إس- 400", "أبقت روسيا إس- 400 في مواقعها."),
    ("إسـ400", "تخطط الحكومة لشراء إسـ400 هذا العام."),
    ("إِسْ-٤٠٠", "وتعد إِسْ-٤٠٠ منظومة بعيدة المدى."),
    ("إس\u200f-400", "وصلت إس\u200f-400 إلى الميناء."),
    ("ﺇﺱ-400", "نشرت الصحيفة خبراً عن ﺇﺱ-400 صباحاً."),
    ("S-400", "ناقش الطرفان صفقة S-400 خلال الزيارة."),
    ("S400", "تمتلك الهند الآن S400 في مواقع عدة."),
    ("s-400", "كتب المحلل عن s-400 في مقاله."),
    ("S 400", "اشترت تركيا S 400 عام 2017."),
    ("С-400", "ذكرت الوكالة الروسية أن С-400 في حالة تأهب."),
    ("Ｓ－４００", "نشر الموقع صورة Ｓ－４００ الجديدة."),
    # tokens reordered by mixed-direction text
    ("400-إس", "أعلن الجيش نشر 400-إس على الحدود."),
    ("400 S", "نشرت روسيا منظومة 400 S في القرم."),
    # wrappers
    ("إس-400", 'أشار إلى منظومة "إس-400" أمس.'),
    ("إس-400", "أشار إلى منظومة “إس-400” أمس."),
    ("إس-400", "أشار إلى منظومة «إس-400» أمس."),
    ("إس-400", "أشار إلى منظومة »إس-400« أمس."),
    ("إس-400", "أشار إلى منظومة ‹إس-400› أمس."),
    ("إس-400", "أشار إلى منظومة ″إس-400″ أمس."),
    ("إس-400", "أشار إلى منظومة ‶إس-400‶ أمس."),
    ("إس-400", "أشار إلى منظومة „إس-400“ أمس."),
    ("S-400", "The deal covers 'S-400' units."),
    ("S-400", "Turkey keeps its S-400s in storage."),
    # proclitics on the term or on its opening quote
    ("إس-400", "اشترت الهند طائرات وإس-400 أيضاً."),
    ("إس-400", "لم تكتف بالمقاتلات فإس-400 على الطريق."),
    ("إس-400", "تحتمي القاعدة بإس-400 منذ سنوات."),
    ("إس-400", "خصصت الحكومة أموالاً لإس-400 الإضافية."),
    ("إس-400", "لا توجد منظومة كإس-400 في المنطقة."),
    ("إس-400", 'دفعت تركيا مبلغاً لـ"إس-400" مقدماً.'),
    ("إس 400", "احتفظت أنقرة بـ«إس 400» رغم الضغوط."),
    ("S-400", "أشار إلى الجاهزية العملياتية للـS-400 في التقرير."),
    ("إس 400", "ما زالت الصفقة الخاصة بالإس 400 معلقة."),
    # "بنزين" (petrol) is not a Mercedes cue
    ("إس-400", "نقلت صهاريج البنزين إلى مواقع إس-400 ليلاً."),
    ("إس-400", 'هددت واشنطن بعقوبات بسبب ال"إس-400" التركية.'),
    ("إس-400", "قال إن والإس-400 والمقاتلات كلها مطروحة."),
]


@pytest.mark.parametrize(("surface", "sentence"), S400_FORMS)
def test_s400_forms(matcher: Matcher, surface: str, sentence: str) -> None:
    matches = matcher.find(sentence)
    assert [(m.term, m.text) for m in matches] == [(S400, surface)]
    m = matches[0]
    assert sentence[m.start : m.end] == surface
    assert m.field == "body"


def test_s400_with_triumf_name(matcher: Matcher) -> None:
    text = 'نشرت روسيا منظومات إس-400 تريومف و"تريومف إس-400" في القرم.'
    assert _found(matcher, text) == [
        (S400, "إس-400"),
        (S400, "تريومف"),
        (S400, "تريومف"),
        (S400, "إس-400"),
    ]


def test_every_occurrence_in_order(matcher: Matcher) -> None:
    text = "إس-400 ثم S400 ثم «إس ٤٠٠» وأخيراً روسوبورون إكسبورت ثم إس-400."
    found = matcher.find(text)
    assert [m.text for m in found] == ["إس-400", "S400", "إس ٤٠٠", "روسوبورون إكسبورت", "إس-400"]
    assert [m.start for m in found] == sorted(m.start for m in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


# --- Triumf -------------------------------------------------------------------------

TRIUMF_MILITARY = [
    ("تريومف", "نشر الجيش الروسي منظومات تريومف في المنطقة."),
    ("ترايمف", 'أسطول الشمال ينشر بطاريات صواريخ "ترايمف" الجديدة.'),
    ("تريومف", "قال الخبير إن أنظمة الدفاع الجوي تريومف فعالة."),
    ("ترايومف", "تسلمت موسكو أفواجاً من ترايومف هذا العام."),
    ("تريومф", "ذكرت روسيا أن منظومة تريومф جاهزة."),
    ("Triumf", "تعد منظومة Triumf من أحدث الأسلحة."),
    ("Triumph", "The Russian air defence system Triumph was deployed."),
    ("تْرَايْمُفْ", "أعلنت وزارة الدفاع تسلم منظومات تْرَايْمُفْ."),
    ("تريومف", "وصلت منظومات الدفاع الجوي بتريومف إلى الحدود."),
]


@pytest.mark.parametrize(("surface", "sentence"), TRIUMF_MILITARY)
def test_triumf_in_military_context(matcher: Matcher, surface: str, sentence: str) -> None:
    assert _found(matcher, sentence) == [(S400, surface)]


TRIUMF_NOT_MILITARY = [
    "كشفت ترايمف البريطانية عن دراجات نارية جديدة.",
    'تحظى دراجات "تريومف" بشعبية بين الشباب.',
    "Triumph motorcycles unveiled a new Scrambler.",
    "زار المعرض جمهور كبير وشاهد سيارة تريومف القديمة.",
    "فاز فريق تريومف بالمباراة النهائية.",
    # Trump must never look like Triumf, even next to military words
    "قال ترامب إن منظومات الدفاع الروسية لا تقلقه.",
    "انتقد ترمب صفقة الصواريخ الروسية.",
]


@pytest.mark.parametrize("sentence", TRIUMF_NOT_MILITARY)
def test_triumf_without_military_context(matcher: Matcher, sentence: str) -> None:
    assert matcher.find(sentence) == []


def test_triumf_motorcycle_title_vetoes_body(matcher: Matcher) -> None:
    title = "ترايمف تطلق دراجتين جديدتين في الهند"
    body = "أعلنت الشركة البريطانية أن تريومف ستصنع الطرازين مع شريك هندي لخفض التكاليف."
    assert matcher.find_in_article(title, body) == []


def test_triumf_title_vouched_by_body(matcher: Matcher) -> None:
    title = 'انتشار "ترايمف" في كالينينغراد'
    body = "أعلن أسطول البلطيق أن منظومات الدفاع الجوي انتشرت في مواقع جديدة."
    found = matcher.find_in_article(title, body)
    assert [(m.term, m.field, m.text) for m in found] == [(S400, "title", "ترايمف")]


# --- Rosoboronexport ------------------------------------------------------------------

ROSO_FORMS = [
    ("روس أوبورون إكسبورت", "قالت روس أوبورون إكسبورت إنها وقعت عقوداً."),
    ("روسوبورون إكسبورت", "أعلنت روسوبورون إكسبورت حصيلة المعرض."),
    ("روس أبورون إكسبورت", "صرح مدير روس أبورون إكسبورت للصحافيين."),
    ("روسوبورونإكسبورت", "تخضع مؤسسة روسوبورونإكسبورت للعقوبات."),
    ("روسأوبورون اكسبورت", "وقعت روسأوبورون اكسبورت اتفاقاً جديداً."),
    ("روس اوبورون اكسبورت", "أكدت روس اوبورون اكسبورت الخبر."),
    ("روسوبورون اكسبورت", "نفت روسوبورون اكسبورت التقارير."),
    ("روس أوبورون أكسبورت", "أدرجت بروكسل روس أوبورون أكسبورت على القائمة."),
    ("روس-أوبورون-إكسبورت", "تتولى روس-أوبورون-إكسبورت الصادرات."),
    ("Rosoboronexport", "وقالت مؤسسة Rosoboronexport الروسية إن الطلب مرتفع."),
    ("Rosoboron Export", "A statement by Rosoboron Export followed."),
    ("Рособоронэкспорт", "نقلت الوكالة عن Рособоронэкспорт قولها."),
    ("روسوبورون إكسبورت", 'شركات مرتبطة بـ"روسوبورون إكسبورت" في آسيا.'),
    ("روس أوبورون إكسبورت", "فرضت عقوبات على مؤسسة«روس أوبورون إكسبورت» الحكومية."),
    ("روس أوبورون إكسبورت", 'قال مدير مؤسسة"روس أوبورون إكسبورت" إن الطلب مرتفع.'),
    ("روسوبورون إكسبورت", "أعلنت الوزارة عن عقد لروسوبورون إكسبورت."),
    ("روسوبورون إكسبورت", "تعاونت الشركة وروسوبورون إكسبورت في المشروع."),
    # typos caught by the fuzzy fallback
    ("روسوبرون إكسبورت", "قال مسؤول في روسوبرون إكسبورت إن المحادثات مستمرة."),
    ("روس أوبرون اكسبورت", "وقعت روس أوبرون اكسبورت عقدين."),
    ("روسوبورون إكسبرت", "أكد ممثل روسوبورون إكسبرت الصفقة."),
    ("Rosoboronexpert", "Rosoboronexpert signed two contracts."),
]


@pytest.mark.parametrize(("surface", "sentence"), ROSO_FORMS)
def test_rosoboronexport_forms(matcher: Matcher, surface: str, sentence: str) -> None:
    matches = matcher.find(sentence)
    assert [(m.term, m.text) for m in matches] == [(ROSO, surface)]
    assert sentence[matches[0].start : matches[0].end] == surface


def test_fuzzy_does_not_swallow_next_word(matcher: Matcher) -> None:
    assert _found(matcher, "روسوبرون إكسبورت و روستيخ") == [(ROSO, "روسوبرون إكسبورت")]


# --- look-alikes ----------------------------------------------------------------------

LOOK_ALIKES = [
    "تسلمت إيران منظومة إس-300 الروسية.",
    "نشرت موسكو S-300 في سوريا.",
    "دخلت منظومة إس-500 الخدمة.",
    "S-500 Prometheus entered service.",
    "طلبت الهند مقاتلات إف-400 التجريبية.",
    "F-400 entered flight testing.",
    "وافق البنك على قرض بقيمة 400 مليون دولار.",
    "بلغ عدد الزوار 4000 شخص.",
    "ظهر الرقم S-4000 على اللوحة.",
    "نشرت الصحيفة صورة لطراز إس-4000 الخيالي.",
    "قدمت روستيخ عرضاً لإنتاج مقاتلات.",
    "قالت روستك إن الإيرادات المدنية ارتفعت.",
    "Rostec said civilian revenue rose.",
    "المؤسسة الحكومية روستيخ الأم لعدة شركات.",
    "تجربة مرسيدس-بنز S 400 d الجديدة.",
    "نسخة S 400 d العاملة بالديزل موفرة للوقود.",
    "جربنا سيارة مرسيدس S 400 الجديدة على طرق دبي.",
    "تحمل السيارة شارة S400 4MATIC على الصندوق الخلفي.",
    "تسلم سلاح الجو طائرة إيه 400 إم جديدة.",
    "تستخدم تركيا طائرات A400M في مهام النقل.",
    "سجلت مدينة فاس 400 حالة جديدة.",
    "فاز بلقب كأس 400 متر حرة.",
    "Russia's 400 tanks were moved north.",
    "The S-400X concept never flew.",
    "أغلقت الشرطة الطريق 400 السريع.",
    "خاض اللاعب مباراته رقم 400 مع فريقه.",
    "قال عباس 400 مرة إنه يرفض.",
    "400 S",
    "أعلنت الشرطة ضبط 400 سيارة مسروقة.",
]


@pytest.mark.parametrize("sentence", LOOK_ALIKES)
def test_look_alikes_do_not_match(matcher: Matcher, sentence: str) -> None:
    assert matcher.find(sentence) == []


def test_s400_not_found_inside_s4000_but_found_beside_it(matcher: Matcher) -> None:
    assert _found(matcher, "إس-4000 ليست إس-400") == [(S400, "إس-400")]


# --- user watchlist entries ------------------------------------------------------------

SU35_FORMS = [
    ("سو-35", "وقعت مصر عقداً لشراء مقاتلات سو-35."),
    ("سوخوي 35", "تعد سوخوي 35 من أحدث المقاتلات."),
    ("سوخوي-35", "تعد سوخوي-35 من أحدث المقاتلات."),
    ("سوخوي35", "تعد سوخوي35 من أحدث المقاتلات."),
    ("Su-35", "The Su-35 deal was signed."),
    ("Su35", "The Su35 deal was signed."),
    ("SU 35", "The SU 35 deal was signed."),
    ("سو ٣٥", "وصلت طائرات سو ٣٥ إلى القاعدة."),
    ("سو–۳۵", "وصلت طائرات سو–۳۵ إلى القاعدة."),
    ("سو-35", 'أبدت القاهرة اهتماماً بـ"سو-35" الروسية.'),
    ("سو-35", "تسعى الجزائر لشراء مقاتلات وسو-35 أيضاً."),
    ("سو-35", "تحدث عن مقاتلات «سو-35» الروسية."),
    ("سوخوى 35", "تعد سوخوى 35 من أحدث المقاتلات."),
    ("35-سو", "نشرت الصحيفة صوراً لمقاتلات 35-سو الجديدة."),
]


@pytest.mark.parametrize(("surface", "sentence"), SU35_FORMS)
def test_user_entry_forms(matcher: Matcher, surface: str, sentence: str) -> None:
    matches = matcher.find(sentence)
    assert [(m.term, m.text) for m in matches] == [("Su-35", surface)]
    assert sentence[matches[0].start : matches[0].end] == surface


@pytest.mark.parametrize(
    "sentence",
    ["تطور روسيا مقاتلات سوخوي-57 الجديدة.", "تسلمت الوحدة سو-350 قطعة.", "سو-3 أقدم طراز."],
)
def test_user_entry_look_alikes(matcher: Matcher, sentence: str) -> None:
    assert matcher.find(sentence) == []


def test_user_entry_list_patterns_and_name_fallback() -> None:
    m = Matcher(
        [
            WatchlistEntry("S-500", ["إس-500", "S-500"]),  # type: ignore[arg-type]
            WatchlistEntry("Pantsir", ()),
        ]
    )
    text = "نشرت روسيا «إس ٥٠٠» و Pantsir وإس-400."
    assert [(x.term, x.text) for x in m.find(text)] == [
        ("S-500", "إس ٥٠٠"),
        ("Pantsir", "Pantsir"),
        (S400, "إس-400"),
    ]


def test_default_matcher_has_no_user_terms() -> None:
    assert Matcher().find("مقاتلات سو-35 الروسية") == []


def test_term_match_is_frozen() -> None:
    match = TermMatch(term=S400, field="body", text="x", start=0, end=1)
    with pytest.raises(AttributeError):
        match.start = 3  # type: ignore[misc]


# --- article-level and real texts ---------------------------------------------------------


def test_find_in_article_title_then_body(matcher: Matcher) -> None:
    title = "روسوبورون إكسبورت: محادثات بشأن إس-400"
    body = "قالت المؤسسة إن «إس 400» مطلوبة."
    found = matcher.find_in_article(title, body)
    assert [(m.field, m.term, m.text) for m in found] == [
        ("title", ROSO, "روسوبورون إكسبورت"),
        ("title", S400, "إس-400"),
        ("body", S400, "إس 400"),
    ]
    for m in found:
        source = title if m.field == "title" else body
        assert source[m.start : m.end] == m.text


def test_seed_article_mentions_both_terms(matcher: Matcher) -> None:
    text = SEED.read_text(encoding="utf-8")
    found = Matcher().find(text)
    assert [(m.term, m.text) for m in found if m.term == ROSO] == [
        (ROSO, "روس أوبورون إكسبورت"),
        (ROSO, "روس أوبورون إكسبورت"),
        (ROSO, "روسوبورون إكسبورت"),
    ]
    # The system's name in six forms, Triumf included; Rostec (روستيخ) is not Rosoboronexport.
    assert [m.text for m in found if m.term == S400] == [
        "إس-400",
        "إس-400",
        "تريومف",
        "إس 400",
        "إس-٤٠٠",
        "S-400",
    ]
    # The article also names the Su-35 ("سو 35"), which a user entry picks up.
    assert [m.text for m in matcher.find(text) if m.term == "Su-35"] == ["سو 35"]
    assert all(text[m.start : m.end] == m.text for m in found)


def test_labelled_fixture_relevance() -> None:
    """Relevant = any match in title or body; every labelled one found, no negative hit."""
    rows = dev_rows(LABELLED)
    assert sum(not r.relevant for r in rows) >= 8  # the hard negatives are still there
    got = analyze_all(rows)
    for row in rows:
        for m in got[row.id].terms:
            source = row.title if m.field == "title" else row.body
            assert source[m.start : m.end] == m.text
    assert [r.id for r in rows if r.relevant != got[r.id].relevant] == []
    assert relevance(rows, got) == (1.0, 1.0)


# --- properties ---------------------------------------------------------------------------

_FRAGMENTS = [
    "إس-400",
    "«إس ٤٠٠»",
    "400-إس",
    "S 400 d",
    "لـ",
    "و",
    "بـ",
    '"',
    "«",
    "ـ",
    "\u200f",
    "\u064e",
    "تريومف",
    "منظومة",
    "دراجات",
    "روس أوبورون إكسبورت",
    "روسوبرون اكسبورت",
    "مرسيدس",
    " ",
    "\n",
    "-",
    "٤٠٠",
    "S",
    "سو-35",
]
_article_text = st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=6), max_size=25).map(
    "".join
) | st.text(max_size=200)


@settings(max_examples=300, deadline=None)
@given(_article_text)
def test_find_never_crashes_and_spans_are_exact(text: str) -> None:
    m = Matcher([WatchlistEntry("Su-35", ("سو-35", "Su-35"))])
    found = m.find(text)
    for match in found:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.text
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([f for _, f in S400_FORMS]), st.text(max_size=20))
def test_forms_survive_surrounding_noise(sentence: str, noise: str) -> None:
    # Noise goes after a paragraph break so it cannot glue onto the term itself.
    m = Matcher()
    found = m.find(sentence + "\n" + noise)
    assert any(x.term == S400 and x.end <= len(sentence) for x in found)
