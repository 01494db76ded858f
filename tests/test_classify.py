"""Classifier: topics, negation, future, background, CAATSA, countries, amounts, evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.eval import (
    analyze_all,
    country_accuracy,
    dev_rows,
    macro_f1,
    read_jsonl,
    topic_scores,
)
from crawler.analysis.classify import Classification, Classifier, LexiconError, compile_entry
from crawler.analysis.matcher import Matcher
from crawler.vocab import EVENT_TOPICS
from tests.fixtures import LABELLED

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "classify_fixtures.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "classify_holdout.jsonl"


def run(clf: Classifier, matcher: Matcher, title: str, body: str = "") -> Classification:
    return clf.classify(title, body, matcher.find_in_article(title, body))


def _scores(path: Path) -> tuple[float, float]:
    """(macro-F1 over the alerting topics, exact country-set accuracy on relevant rows)."""
    rows = dev_rows(path)
    got = analyze_all(rows)
    return macro_f1(topic_scores(rows, got)), country_accuracy(rows, got)


# ------------------------------------------------------------------ labelled sets


def test_own_fixtures_meet_thresholds() -> None:
    rows = dev_rows(FIXTURES)
    assert len(rows) >= 25
    covered = {t for r in rows for t in r.topics}
    assert covered == set(EVENT_TOPICS) | {"other"}
    macro, countries = _scores(FIXTURES)
    assert macro >= 0.9
    assert countries >= 0.8


def test_labelled_fixture_meets_thresholds() -> None:
    rows = dev_rows(LABELLED)
    assert {t for r in rows for t in r.topics} == set(EVENT_TOPICS) | {"other"}
    macro, countries = _scores(LABELLED)
    assert macro >= 0.9
    assert countries >= 0.8


def test_holdout_meets_floor() -> None:
    # Written after the dev/fixture rules and used to check them; measured 1.000
    # macro-F1 and 0.957 country accuracy after the general fixes, so the floor
    # leaves room for rule changes elsewhere without hiding a real regression.
    assert len(dev_rows(HOLDOUT)) >= 40
    macro, countries = _scores(HOLDOUT)
    assert macro >= 0.93
    assert countries >= 0.9


def test_fixture_amounts(clf: Classifier, matcher: Matcher) -> None:
    for row in read_jsonl(FIXTURES):
        expected = row["labels"].get("amounts")
        if expected is None:
            continue
        c = run(clf, matcher, row["title"], row["body"])
        got = [[a["value"], a["currency"]] for a in c.amounts]
        for item in expected:
            assert item in got, (row["id"], got)


# ------------------------------------------------------------------ basics


def test_no_matches_gives_empty_classification(clf: Classifier) -> None:
    c = clf.classify("تركيا توقع عقداً لشراء صواريخ", "وقعت أنقرة العقد أمس.", [])
    assert c == Classification([], {}, [], [])


def test_topics_are_ordered_and_evidenced(clf: Classifier, matcher: Matcher) -> None:
    title = "روسيا توقّع عقداً مع الهند وتبدأ مفاوضات جديدة بشأن إس-400"
    body = "وقالت موسكو إن العقوبات الأمريكية المفروضة على نيودلهي بسبب إس-400 لن تغير شيئاً."
    c = run(clf, matcher, title, body)
    assert c.topics == ["contract", "negotiation", "sanction"]
    assert c.evidence["contract"] == title
    assert c.evidence["sanction"] == body.strip()


def test_other_only_when_nothing_else(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "منظومة إس-400 تصيب هدفاً على بعد 250 كيلومتراً في اختبار")
    assert c.topics == ["other"]
    assert "other" in c.evidence


def test_evidence_is_original_text_trimmed(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "  خبر تمهيدي عن الطقس.\n   وتسلّمت الهند الفوج الثاني من منظومة «إس-٤٠٠» الروسية.  \nانتهى."
    )
    c = run(clf, matcher, "أخبار", body)
    assert c.topics == ["delivery"]
    assert c.evidence["delivery"] == "وتسلّمت الهند الفوج الثاني من منظومة «إس-٤٠٠» الروسية."


# ------------------------------------------------------------------ negation, future, background


@pytest.mark.parametrize(
    "title",
    [
        "لم توقع أنقرة أي عقد جديد لشراء إس-400",
        "مسؤول: تركيا لم توقّع بعد عقد الدفعة الثانية من إس-400",
    ],
)
def test_negated_signing_is_no_contract(clf: Classifier, matcher: Matcher, title: str) -> None:
    c = run(clf, matcher, title)
    assert "contract" not in c.topics
    assert c.topics == ["negotiation"]  # a denial that a deal was signed


@pytest.mark.parametrize(
    "title",
    [
        "سيتم توقيع العقد الخاص بمنظومة إس-400 مع الهند الشهر المقبل",
        "من المتوقع توقيع عقد إس-400 الثاني مع تركيا قبل نهاية العام",
    ],
)
def test_future_signing_is_contract(clf: Classifier, matcher: Matcher, title: str) -> None:
    assert "contract" in run(clf, matcher, title).topics


def test_denials_are_negotiation(clf: Classifier, matcher: Matcher) -> None:
    assert run(clf, matcher, "الرياض تنفي توقيع عقد لشراء إس-400").topics == ["negotiation"]
    assert run(clf, matcher, "بلغراد: لا توجد خطط لشراء إس-400").topics == ["negotiation"]


# A denial governs everything up to the turn of the sentence, not only the next
# three words; a question about delivery dates is a step in the talks.
SAUDI_TITLE = "مصدر روسي ينفي توقيع عقد «إس–400» مع الرياض ويؤكد استمرار المشاورات"
SAUDI_BODY = (
    "نفى مصدر في قطاع الصناعات العسكرية الروسية صحة تقارير تحدثت عن توقيع عقد لتزويد "
    "المملكة العربية السعودية بمنظومة الدفاع الجوي «إس–400»، مؤكداً أن المشاورات بين "
    'الجانبين "ما زالت في مرحلة تبادل الآراء".\n'
    "وأضاف المصدر أن موسكو تلقت استفسارات من الجانب السعودي حول قدرات المنظومة ومواعيد "
    'التسليم المحتملة، "لكن لم يجر الانتقال إلى مرحلة العقد حتى الآن".'
)


def test_denial_of_reports_about_a_signing_is_negotiation_only(
    clf: Classifier, matcher: Matcher
) -> None:
    c = run(clf, matcher, SAUDI_TITLE, SAUDI_BODY)
    assert c.topics == ["negotiation"]
    assert c.countries == ["Russia", "Saudi Arabia"]


@pytest.mark.parametrize(
    "body",
    [
        "نفت الوزارة صحة ما نشرته صحف محلية عن توقيع عقد لشراء منظومة إس-400.",
        "نفى المتحدث ما تردد في وسائل الإعلام عن إبرام صفقة إس-400 مع موسكو.",
        "كذّبت الحكومة أنباء تحدثت عن صفقة إس-400 مع روسيا.",
        "وصف الوزير الأخبار عن اقتناء منظومة إس-400 بأنها عارية عن الصحة.",
        "قال المسؤول إن التقارير بشأن توقيع عقد إس-400 غير دقيقة.",
        "أكد المصدر أن ما يشاع عن شراء إس-400 لا أساس له من الصحة.",
        "المعلومات عن عقد جديد لإس-400 مجرد شائعات، بحسب مصدر رسمي.",
    ],
)
def test_denial_phrasings_make_a_negotiation_item(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    c = run(clf, matcher, "تصريحات رسمية بشأن الدفاع الجوي", body)
    assert c.topics == ["negotiation"]


def test_denial_scope_ends_where_the_speaker_affirms(clf: Classifier, matcher: Matcher) -> None:
    body = "نفت أنقرة التقارير عن تأخير، مؤكدة أنها تسلمت الدفعة الثانية من إس-400 الأسبوع الماضي."
    assert "delivery" in run(clf, matcher, "بيان تركي", body).topics


def test_inquiry_about_delivery_dates_is_no_delivery(clf: Classifier, matcher: Matcher) -> None:
    body = "وطرح الجانب المصري أسئلة عن أسعار منظومة إس-400 ومواعيد تسليمها."
    c = run(clf, matcher, "وفد مصري في موسكو", body)
    assert "delivery" not in c.topics
    assert "negotiation" in c.topics


@pytest.mark.parametrize(
    "title",
    [
        "الاتصالات بشأن إس-400 لم تصل إلى مرحلة التعاقد",
        "مصدر: لم يجر الانتقال إلى مرحلة توقيع العقد بشأن إس-400",
    ],
)
def test_contract_stage_not_reached_is_negotiation(
    clf: Classifier, matcher: Matcher, title: str
) -> None:
    assert run(clf, matcher, title).topics == ["negotiation"]


def test_delivery_denied_after_the_system_name(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "موسكو: تسليم إس-400 للجزائر لم يبدأ بعد")
    assert "delivery" not in c.topics


@pytest.mark.parametrize(
    "title",
    [
        "القاهرة بصدد إبرام صفقة إس-400 مع موسكو",
        "بغداد على وشك توقيع عقد لشراء إس-400",
    ],
)
def test_about_to_sign_is_a_contract(clf: Classifier, matcher: Matcher, title: str) -> None:
    # A signing announced as imminent is labelled a contract (the labels' convention:
    # "announced as about to be signed"), not talks as well.
    assert run(clf, matcher, title).topics == ["contract"]


def test_no_deal_headline_is_negotiation(clf: Classifier, matcher: Matcher) -> None:
    assert run(clf, matcher, "السفير الروسي: لا صفقة إس-400 مع بغداد").topics == ["negotiation"]
    # "بلاده" must not read as the particle "لا".
    c = run(clf, matcher, "الرئيس يؤكد تمسك بلاده بصفقة إس-400", "وقال إن التسليم سيبدأ قريباً.")
    assert "negotiation" not in c.topics


def test_passing_negated_delivery_is_no_delivery(clf: Classifier, matcher: Matcher) -> None:
    title = "واشنطن تهدد نيودلهي بعقوبات بسبب صفقة إس-400"
    body = "وقال مسؤول أمريكي إن الهند قد تواجه عقوبات.\nولم يبدأ التسليم بعد، بحسب مصادر هندية."
    assert run(clf, matcher, title, body).topics == ["sanction"]


def test_background_delivery_does_not_make_a_delivery_story(
    clf: Classifier, matcher: Matcher
) -> None:
    title = "الكونغرس يقر عقوبات جديدة على أنقرة بسبب إس-400"
    body = (
        "أقر مجلس الشيوخ الأمريكي مشروع قانون يفرض عقوبات على تركيا.\n"
        "وكانت تركيا قد تسلمت منظومة إس-400 في يوليو 2019 من روسيا."
    )
    assert run(clf, matcher, title, body).topics == ["sanction"]


def test_russian_own_deployment_is_other(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "روسيا تنشر فوجاً جديداً من إس-400 قرب سان بطرسبورغ")
    assert c.topics == ["other"]
    assert c.countries == ["Russia"]


def test_buyer_deployment_is_delivery(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "الهند تنشر الفوج الثالث من إس-400 الذي تسلمته من روسيا")
    assert c.topics == ["delivery"]


# ------------------------------------------------------------------ sanctions


@pytest.mark.parametrize(
    "phrase",
    [
        "قانون كاتسا",
        'قانون "كاستا"',
        "قانون مكافحة أعداء أمريكا من خلال العقوبات",
        "قانون لمواجهة خصوم الولايات المتحدة من خلال العقوبات",
        "CAATSA",
        "قانون «كاتزا»",
    ],
)
def test_caatsa_spellings(clf: Classifier, matcher: Matcher, phrase: str) -> None:
    c = run(clf, matcher, f"الهند قد تخضع لـ{phrase} إذا استكملت صفقة إس-400")
    assert "sanction" in c.topics


def test_f35_exclusion_and_licence_ban_are_sanctions(clf: Classifier, matcher: Matcher) -> None:
    assert run(clf, matcher, "إخراج تركيا من برنامج إف-35 بسبب إس-400").topics == ["sanction"]
    title = "واشنطن تمنع تراخيص التصدير عن هيئة الصناعات الدفاعية التركية بسبب إس-400"
    assert run(clf, matcher, title).topics == ["sanction"]


# ------------------------------------------------------------------ countries


def test_countries_from_adjectives_and_capitals(clf: Classifier, matcher: Matcher) -> None:
    title = "الرئيس التركي: أنقرة ستتسلم إس-400 قريباً"
    body = (
        "وأكد الرئيس أن الموعد لن يتغير.\nوأضاف أن الأطقم جاهزة.\n"
        "وقالت الخارجية الأميركية إن واشنطن تتابع الملف."
    )
    # The US speaks only in a late sentence with no watched term: it does not act here.
    assert run(clf, matcher, title, body).countries == ["Russia", "Turkey"]
    c = run(clf, matcher, "نيودلهي وموسكو تبحثان تفاصيل صفقة إس-400")
    assert c.countries == ["India", "Russia"]
    c = run(clf, matcher, "مسؤول صيني: بكين تسلمت الفوج الثاني من إس-400")
    assert c.countries == ["China", "Russia"]


def test_seller_is_a_party_of_a_sanction_story_only_when_named(
    clf: Classifier, matcher: Matcher
) -> None:
    # The labels' convention (real news, issue 15): in a sanction over the system the
    # seller is a party when the text names it ("من روسيا", "المنظومة الروسية").
    title = "واشنطن تدرس إعفاء الهند من عقوبات كاتسا"
    body = "تدرس الإدارة الأمريكية إعفاء الهند من العقوبات بسبب شرائها منظومة إس-400."
    c = run(clf, matcher, title, body)
    assert c.topics == ["sanction"]
    assert c.countries == ["India", "United States"]
    named = run(clf, matcher, title, body.replace("إس-400.", "إس-400 من روسيا."))
    assert named.countries == ["India", "Russia", "United States"]
    # In a sale the seller acts, however it is named.
    sale = run(clf, matcher, "الهند توقع عقداً لشراء إس-400 من روسيا")
    assert "Russia" in sale.countries


def test_capability_piece_without_a_named_state_has_no_countries(
    clf: Classifier, matcher: Matcher
) -> None:
    c = run(clf, matcher, "منظومة إس-400 ترصد الأهداف على مسافة 600 كيلومتر")
    assert c.topics == ["other"]
    assert c.countries == []


def test_actor_in_a_supporting_sentence_counts(clf: Classifier, matcher: Matcher) -> None:
    title = "طائرات شحن روسية تنقل مكونات إس-400 إلى قاعدة قرب أنقرة"
    body = (
        "هبطت الطائرات محملة بمعدات منظومة إس-400.\nوذكرت وزارة الدفاع التركية أن الشحنات ستتواصل."
    )
    c = run(clf, matcher, title, body)
    assert c.topics == ["delivery"]
    assert "Turkey" in c.countries


def test_product_adjective_is_not_an_actor(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "تركيا تتسلم الدفعة الأولى من إس-400 رغم الضغوط الأمريكية")
    assert c.countries == ["Russia", "Turkey"]


def test_location_is_not_an_actor(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "روس أوبورون إكسبورت توقع عقوداً في معرض أبوظبي")
    assert c.countries == ["Russia"]


def test_countries_are_sorted_english_names(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "السعودية والإمارات وقطر تبحث مع روسيا شراء إس-400")
    assert c.countries == sorted(c.countries)
    assert {"Saudi Arabia", "United Arab Emirates", "Qatar", "Russia"} <= set(c.countries)


# ------------------------------------------------------------------ amounts


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("2 مليار يورو", 2e9, "EUR"),
        ("5.4 مليار دولار", 5.4e9, "USD"),
        ("500 مليون روبل", 5e8, "RUB"),
        ("٢٫٥ مليار دولار", 2.5e9, "USD"),
        ("ملياري دولار", 2e9, "USD"),
        ("نصف مليار دولار", 5e8, "USD"),
        ("1,500 مليون روبية", 1.5e9, "INR"),
        ("3 مليارات ريال سعودي", 3e9, "SAR"),
        ("20 مليون ليرة تركية", 2e7, "TRY"),
    ],
)
def test_amounts(clf: Classifier, matcher: Matcher, text: str, value: float, currency: str) -> None:
    body = f"وتبلغ قيمة صفقة إس-400 نحو {text} وفق مصادر مطلعة."
    c = run(clf, matcher, "صفقة إس-400", body)
    assert len(c.amounts) == 1
    a = c.amounts[0]
    assert a["value"] == pytest.approx(value)
    assert a["currency"] == currency
    assert a["text"] in body
    assert body[body.index(a["text"]) :].startswith(a["text"])


def test_amount_text_is_original_substring(clf: Classifier, matcher: Matcher) -> None:
    body = "بلغت قيمة العقد ٥٫٤ مليار دولار، فيما بلغ مدى المنظومة 400 كيلومتر."
    c = run(clf, matcher, "الهند وصفقة إس-400", body)
    assert c.amounts == [
        {"text": "٥٫٤ مليار دولار", "value": pytest.approx(5.4e9), "currency": "USD"}
    ]


def test_bare_figures_are_not_amounts(clf: Classifier, matcher: Matcher) -> None:
    body = "تضم الصفقة 20 عقداً و400 صاروخ لمنظومة إس-400، ويبلغ عدد السكان 80 مليون نسمة."
    assert run(clf, matcher, "إس-400", body).amounts == []


# ------------------------------------------------------------------ lexicon files


def test_lexicon_entries_fold_spelling_variants() -> None:
    pat = compile_entry("توقيع .. عقد")
    from crawler.text.arabic import normalize

    assert pat.search(normalize("وتوقيعُ العقدِ"))
    assert pat.search(normalize("لتوقيع أول عقد"))
    assert not compile_entry("طلب$").search(normalize("محفظة الطلبات"))


@pytest.fixture
def lexicon_copy(tmp_path: Path) -> Path:
    """A copy of the built-in lexicon files, for a test to change."""
    for f in (ROOT / "crawler" / "analysis" / "lexicons").glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_lexicon_dir_is_configurable(lexicon_copy: Path, matcher: Matcher) -> None:
    tmp_path = lexicon_copy
    topics = (tmp_path / "topics.toml").read_text(encoding="utf-8")
    topics = topics.replace(
        "[topics.sanction]\ntriggers = [", '[topics.sanction]\ntriggers = [\n  "حصار",'
    )
    (tmp_path / "topics.toml").write_text(topics, encoding="utf-8")
    custom = Classifier.load(tmp_path)
    title = "حصار على مبيعات إس-400"
    assert custom.classify(title, "", matcher.find_in_article(title, "")).topics == ["sanction"]
    assert Classifier.load().classify(title, "", matcher.find_in_article(title, "")).topics == [
        "other"
    ]


def test_lexicon_refuses_an_unknown_key(lexicon_copy: Path) -> None:
    tmp_path = lexicon_copy
    topics = (tmp_path / "topics.toml").read_text(encoding="utf-8")
    # A misspelt key would otherwise be a rule that silently never applies.
    (tmp_path / "topics.toml").write_text(
        topics.replace("[topics.sanction]\ntriggers = [", "[topics.sanction]\ntrigers = ["),
        encoding="utf-8",
    )
    with pytest.raises(LexiconError, match=r"topics\.sanction: unknown key\(s\) trigers"):
        Classifier.load(tmp_path)
