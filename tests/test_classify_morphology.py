"""Topics by morphology: one lexicon cue covers conjugations, clitics and nouns; context words
around a cue (what it needs, what governs it, what undoes it) and other weapons keep it honest.

Every sentence here is written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.analysis.classify import Classification, Classifier, LexiconError
from crawler.analysis.classify.patterns import Stems
from crawler.analysis.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
NEUTRAL_TITLE = "ملف منظومة إس-400"


def topics(clf: Classifier, matcher: Matcher, body: str, title: str = NEUTRAL_TITLE) -> list[str]:
    c: Classification = clf.classify(title, body, matcher.find_in_article(title, body))
    return list(c.topics)


def test_stems_strip_article_and_one_proclitic() -> None:
    stems = Stems()
    assert stems("الصفقه") == stems("صفقه")
    table = {stems("استلم"): "receive"}
    # "ستستلم": the future prefix is tried off when the whole word is no cue.
    assert stems.lookup("ستستلم", table) == "receive"
    assert stems.lookup("وتستلم", table) == "receive"
    # A present form written with ي stands for its siblings with ت and ن.
    assert stems("تتلقي") in stems.forms("يتلقى")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # supplying, in the past, the present and as a verbal noun with clitics
        ("زودت موسكو الهند ببطاريات إس-400 الأولى هذا الشهر.", ["delivery"]),
        ("وبالتوريد الجاري لمنظومة إس-400 تكتمل أفواج الدفاع الجوي.", ["delivery"]),
        # receiving, with the future prefix and without
        ("تلقت بيلاروسيا الدفعة الأولى من صواريخ إس-400 أمس.", ["delivery"]),
        ("ستستلم نيودلهي منظومة إس-400 الثانية خلال أسابيع.", ["delivery"]),
        # wanting to buy
        ("قال الوزير إن بلاده ترغب في شراء منظومة إس-400 الروسية.", ["negotiation"]),
        # reaching an agreement, in the dual
        ("توصلت موسكو وأنقرة إلى اتفاق على دفعة ثانية من إس-400.", ["contract"]),
        # agreeing to buy
        ("وافقت الحكومة على شراء أربع بطاريات من طراز إس-400.", ["contract"]),
        # exclusion from the F-35 programme is a sanction
        ("قررت واشنطن استبعاد أنقرة من برنامج إف-35 بسبب شرائها إس-400.", ["sanction"]),
    ],
)
def test_one_cue_covers_its_word_forms(
    clf: Classifier, matcher: Matcher, body: str, expected: list[str]
) -> None:
    assert topics(clf, matcher, body) == expected


def test_a_cue_needs_its_object(clf: Classifier, matcher: Matcher) -> None:
    # receiving a call or a visit is no delivery; wanting peace is no purchase
    assert topics(clf, matcher, "تلقت أنقرة اتصالا من موسكو بشأن إس-400.") == ["other"]
    assert topics(clf, matcher, "ترغب أنقرة في علاقات هادئة رغم ملف إس-400.") == ["other"]


def test_supply_as_the_content_of_a_deal_or_talks_is_no_delivery(
    clf: Classifier, matcher: Matcher
) -> None:
    assert topics(clf, matcher, "أبرمت القاهرة عقدا مع موسكو لتوريد منظومات إس-400.") == [
        "contract"
    ]
    assert topics(clf, matcher, "يبحث البلدان توريد بطاريات إس-400 إضافية.") == ["negotiation"]


def test_a_negative_cue_undoes_what_follows(clf: Classifier, matcher: Matcher) -> None:
    # neither the intent nor the purchase is news when the statement is "we will not give up"
    body = "أكد المسؤول أن بلاده لا تنوي التخلي عن شراء منظومة إس-400."
    assert topics(clf, matcher, body) == ["other"]
    assert topics(clf, matcher, "أكد المسؤول أن بلاده تنوي شراء منظومة إس-400.") == ["negotiation"]


def test_another_weapon_in_a_sentence_adds_no_topic_of_its_own(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "تركيا تملك منظومة إس-400 منذ سنوات.\nووقعت أنقرة عقدا لشراء صواريخ باتريوت."
    assert topics(clf, matcher, body, title="إس-400 وباتريوت") == ["other"]
    # but an exclusion from the F-35 programme stays a sanction
    body = "قررت واشنطن إخراج أنقرة من برنامج إف-35.\nوذلك بسبب شرائها منظومة إس-400."
    assert topics(clf, matcher, body, title="إس-400 وإف-35") == ["sanction"]


def test_a_seller_article_keeps_other_weapons(clf: Classifier, matcher: Matcher) -> None:
    body = "أعلنت روسوبورون إكسبورت أن الجزائر وقعت عقدا لشراء مقاتلات سوخوي."
    title = "الجزائر ومقاتلات سوخوي"
    assert topics(clf, matcher, body, title=title) == ["contract"]


def test_a_cue_with_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    for name in ("countries", "amounts"):
        (tmp_path / f"{name}.toml").write_bytes(
            (ROOT / "crawler/analysis/lexicons" / f"{name}.toml").read_bytes()
        )
    (tmp_path / "topics.toml").write_text('[[cue]]\ntopic = "weather"\nforms = ["مطر"]\n')
    with pytest.raises(LexiconError):
        Classifier.load(tmp_path)


def test_a_sentence_that_refers_back_to_the_system_counts(
    clf: Classifier, matcher: Matcher
) -> None:
    opening = "تحدث الخبراء عن منظومة إس-400 طويلا.\nوقال أحدهم إن الطقس كان صافيا.\n"
    # a reference counts less than a name: two such sentences make a topic
    referring = opening + (
        "وأعلن مسؤول أن الهند تسلمت الدفعة الثانية من المنظومة.\n"
        "وأضاف أن تسليم بقية بطاريات المنظومة جرى في الموعد."
    )
    assert topics(clf, matcher, referring, title="خبراء") == ["delivery"]
    # the same event with no word for the system stays a passing remark
    unrelated = opening + (
        "وأعلن مسؤول أن الهند تسلمت الدفعة الثانية من القمح.\n"
        "وأضاف أن تسليم بقية الشحنات جرى في الموعد."
    )
    assert topics(clf, matcher, unrelated, title="خبراء") == ["other"]


def test_evidence_is_the_body_sentence_not_the_headline(clf: Classifier, matcher: Matcher) -> None:
    title = "مصر توقع عقد إس-400"
    body = "وقعت القاهرة وموسكو في العاصمة الروسية عقدا لشراء أربعة أفواج من إس-400."
    c = clf.classify(title, body, matcher.find_in_article(title, body))
    assert c.topics == ["contract"]
    assert c.evidence["contract"] == body
    # with no body sentence that states it, the headline is the evidence
    c = clf.classify(title, "", matcher.find_in_article(title, ""))
    assert c.evidence["contract"] == title


@pytest.mark.parametrize(
    ("verb", "present"),
    [
        ("يطلب", True),
        ("نوقع", True),
        ("تتم", True),
        ("تصل", True),
        ("وقعت", False),
        ("تسلمتها", False),
        ("نشرت", False),
        ("تم", False),
    ],
)
def test_the_verb_after_qad_is_read_for_its_tense(verb: str, present: bool) -> None:
    from crawler.analysis.classify.tense import _present

    assert _present(verb) is present
