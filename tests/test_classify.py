"""Classifier: topics, negation, future, background, CAATSA, countries, amounts, evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crawler.classify import ALERT_TOPICS, Classification, Classifier, compile_entry
from crawler.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "classify_fixtures.jsonl"
DEV = ROOT.parent / "shared" / "corpus" / "dev.jsonl"


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier.load()


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher()


def run(clf: Classifier, matcher: Matcher, title: str, body: str = "") -> Classification:
    return clf.classify(title, body, matcher.find_in_article(title, body))


def _scores(rows: list[dict], clf: Classifier, matcher: Matcher) -> tuple[float, float]:
    """(macro-F1 over the alerting topics, exact country-set accuracy) on relevant rows."""
    counts = {t: [0, 0, 0] for t in ALERT_TOPICS}
    exact = n = 0
    for row in rows:
        c = run(clf, matcher, row["title"], row["body"])
        gold = set(row["labels"]["topics"])
        for t in ALERT_TOPICS:
            counts[t][0] += t in gold and t in c.topics
            counts[t][1] += t not in gold and t in c.topics
            counts[t][2] += t in gold and t not in c.topics
        if row["labels"].get("relevant"):
            n += 1
            exact += set(row["labels"]["countries"]) == set(c.countries)
    f1s = []
    for tp, fp, fn in counts.values():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(f1s) / len(f1s), exact / n


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


# ------------------------------------------------------------------ labelled sets


def test_own_fixtures_meet_thresholds(clf: Classifier, matcher: Matcher) -> None:
    rows = _rows(FIXTURES)
    assert len(rows) >= 25
    covered = {t for r in rows for t in r["labels"]["topics"]}
    assert covered == set(ALERT_TOPICS) | {"other"}
    macro, countries = _scores(rows, clf, matcher)
    assert macro >= 0.9
    assert countries >= 0.8


def test_dev_corpus_meets_thresholds(clf: Classifier, matcher: Matcher) -> None:
    macro, countries = _scores(_rows(DEV), clf, matcher)
    assert macro >= 0.9
    assert countries >= 0.8


def test_fixture_amounts(clf: Classifier, matcher: Matcher) -> None:
    for row in _rows(FIXTURES):
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


def test_product_adjective_is_not_an_actor(clf: Classifier, matcher: Matcher) -> None:
    c = run(clf, matcher, "لجنة في الكونغرس تقر عقوبات على تركيا لشرائها المنظومة الروسية إس-400")
    assert c.countries == ["Turkey", "United States"]


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
    from crawler.arabic import normalize

    assert pat.search(normalize("وتوقيعُ العقدِ"))
    assert pat.search(normalize("لتوقيع أول عقد"))
    assert not compile_entry("طلب$").search(normalize("محفظة الطلبات"))


def test_lexicon_dir_is_configurable(tmp_path: Path, matcher: Matcher) -> None:
    src = Path(__file__).resolve().parent.parent / "crawler" / "lexicons"
    for f in src.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
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
