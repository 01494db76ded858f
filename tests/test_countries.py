"""Countries: which named states act in a development (crawler/analysis/classify/countries.py)."""

from __future__ import annotations

import pytest

from crawler.analysis.classify import Classification, Classifier
from crawler.analysis.matcher import Matcher, WatchlistEntry


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    # A watched term with no seller in `[origins]`, so that only the text can name it.
    return Matcher([WatchlistEntry(name="Su-35", patterns=("سو-35",))])


def run(clf: Classifier, matcher: Matcher, title: str, body: str = "") -> Classification:
    return clf.classify(title, body, matcher.find_in_article(title, body))


# ------------------------------------------------------------------ goods adjectives


def test_the_state_whose_goods_are_traded_acts(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "مصر توقع عقدا لشراء مقاتلات سو-35 الروسية")
    assert "contract" in c.topics
    assert c.countries == ["Egypt", "Russia"]
    c = run(clf, matcher, "الجزائر تتسلم الدفعة الأولى من طائرات سو-35 الروسية")
    assert c.countries == ["Algeria", "Russia"]


def test_goods_owned_or_sanctioned_over_do_not_make_their_maker_act(
    clf: Classifier, matcher: Matcher
) -> None:
    # Sanctions over the Russian system: the seller is only the origin of the goods.
    c = run(clf, matcher, "واشنطن تفرض عقوبات على القاهرة لشرائها مقاتلات سو-35 الروسية")
    assert c.topics == ["sanction"]
    assert c.countries == ["Egypt", "United States"]
    # A piece about the system its owner already has.
    c = run(clf, matcher, "طيارون مصريون يحلقون بمقاتلات سو-35 الروسية في عرض جوي")
    assert "Russia" not in c.countries


def test_an_adjective_of_another_noun_is_no_actor(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "مصر توقع عقدا لشراء سو-35 رغم الضغوط الأمريكية")
    assert c.countries == ["Egypt"]


# ------------------------------------------------------------------ credits


@pytest.mark.parametrize(
    "credited",
    [
        # outlets named after a state
        "وقال مسؤول في وزارة الدفاع الهندية لوكالة فرنسا برس إن الإدارة الأمريكية تهدد الهند.",
        "وذكرت قناة روسيا اليوم أن الإدارة الأمريكية تهدد الهند.",
        "وأفاد موقع مصر اليوم بأن الإدارة الأمريكية تهدد الهند.",
        "ونقلت إذاعة صوت ألمانيا أن الإدارة الأمريكية تهدد الهند.",
        # datelines
        "القاهرة - (وكالات): حذرت الخارجية الأمريكية الهند من عقوبات.",
        "أنقرة (الأناضول) - حذرت الخارجية الأمريكية الهند من عقوبات.",
        "الرياض/ رويترز - حذرت الخارجية الأمريكية الهند من عقوبات.",
        "بكين، 3 مارس (رويترز) - حذرت الخارجية الأمريكية الهند من عقوبات.",
    ],
)
def test_a_credit_names_no_actor(clf: Classifier, matcher: Matcher, credited: str) -> None:
    c = run(clf, matcher, "واشنطن تهدد نيودلهي بعقوبات بسبب صفقة إس-400", credited)
    assert c.topics == ["sanction"]
    assert c.countries == ["India", "United States"]


def test_a_state_opening_the_lead_without_a_dateline_still_acts(
    clf: Classifier, matcher: Matcher
) -> None:
    c = run(clf, matcher, "عقوبات محتملة بسبب إس-400", "تركيا تقول إن صفقة إس-400 مع موسكو نهائية.")
    assert "Turkey" in c.countries
    # A hyphenated term at the start of the lead is no dateline either.
    c = run(clf, matcher, "صفقة جديدة", "إس-400 تصل إلى مصر والقاهرة تتسلم أول فوج منها.")
    assert "Egypt" in c.countries


# ------------------------------------------------------------------ the sanctioner


def test_caatsa_names_the_united_states(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "تركيا تواجه عقوبات بموجب قانون كاتسا بسبب إس-400")
    assert c.topics == ["sanction"]
    assert c.countries == ["Turkey", "United States"]
