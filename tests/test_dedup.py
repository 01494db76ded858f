"""crawler.storage.dedup: hashes, MinHash/LSH keys, scores, and the calibrated decision."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.eval import copy_links, dev_rows, read_jsonl
from crawler.storage import dedup
from crawler.text.arabic import normalize
from tests.fixtures import LABELLED

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "tests" / "data" / "dedup_pairs.jsonl"

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

ARTICLE = (
    "أعلنت وزارة الدفاع في بيان رسمي وصول الدفعة الأولى من منظومة إس-400 إلى القاعدة "
    "الجوية، على أن تتواصل عمليات النقل خلال الأيام المقبلة وفق الجدول المتفق عليه. "
    "وقال مسؤول إن الجهات المختصة ستحدد لاحقاً موعد تشغيل المنظومة ومواقع نشرها."
)

arabic_words = st.lists(
    st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي0123456789", min_size=1, max_size=8),
    min_size=0,
    max_size=60,
).map(" ".join)


def shares_bucket(a: str, b: str) -> bool:
    return bool(set(dedup.band_keys(dedup.signature(a))) & set(dedup.band_keys(dedup.signature(b))))


# --- content hash ---------------------------------------------------------------


def test_content_hash_is_sha256_hex_of_whitespace_folded_text() -> None:
    h = dedup.content_hash("نص  الخبر\n هنا ")
    assert len(h) == 64 and int(h, 16) >= 0
    assert h == dedup.content_hash("نص الخبر هنا")
    assert h != dedup.content_hash("نص الخبر هناك")


# --- signatures and band keys ---------------------------------------------------


def test_constants_are_consistent() -> None:
    assert dedup.BANDS * dedup.ROWS == dedup.NUM_PERM
    # The brief: a pair at Jaccard 0.5 becomes a candidate with p > 0.99.
    assert 1 - (1 - 0.5**dedup.ROWS) ** dedup.BANDS > 0.99


def test_signature_is_deterministic_and_sized() -> None:
    text = normalize(ARTICLE)
    sig = dedup.signature(text)
    assert sig == dedup.signature(text)
    assert len(sig) == dedup.NUM_PERM
    assert all(isinstance(v, int) and 0 <= v <= INT64_MAX for v in sig)


def test_band_keys_shape_and_signed_64_bit_range() -> None:
    keys = dedup.band_keys(dedup.signature(normalize(ARTICLE)))
    assert [band for band, _ in keys] == list(range(dedup.BANDS))
    assert all(INT64_MIN <= bucket <= INT64_MAX for _, bucket in keys)
    # Negative buckets occur: the full signed range is used, not just the positive half.
    assert any(bucket < 0 for _, bucket in keys)


def test_identical_text_gives_identical_band_keys() -> None:
    a = dedup.band_keys(dedup.signature(normalize(ARTICLE)))
    b = dedup.band_keys(dedup.signature(normalize(ARTICLE.replace("400", "٤٠٠"))))
    assert a == b


def test_band_keys_are_stable_across_processes() -> None:
    # A different PYTHONHASHSEED in the child proves nothing depends on hash().
    code = (
        "import json,sys; from crawler.storage import dedup; from crawler.text.arabic import normalize;"
        "print(json.dumps(dedup.band_keys(dedup.signature(normalize(sys.stdin.read())))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=ARTICLE,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    ).stdout
    child = [tuple(k) for k in json.loads(out)]
    assert child == dedup.band_keys(dedup.signature(normalize(ARTICLE)))


def test_band_keys_rejects_wrong_length() -> None:
    with pytest.raises(ValueError):
        dedup.band_keys([1, 2, 3])


def test_empty_text_has_no_band_keys_and_is_no_duplicate() -> None:
    assert dedup.band_keys(dedup.signature("")) == []
    s = dedup.scores("", normalize(ARTICLE))
    assert s == dedup.Scores(0.0, 0.0, 0.0)
    assert not dedup.is_near_duplicate(s)


@settings(max_examples=60, deadline=None)
@given(arabic_words)
def test_band_keys_property(text: str) -> None:
    sig = dedup.signature(text)
    assert sig == dedup.signature(text)
    keys = dedup.band_keys(sig)
    assert keys == dedup.band_keys(list(sig))
    if text.strip():
        assert len(keys) == dedup.BANDS
    assert all(INT64_MIN <= bucket <= INT64_MAX for _, bucket in keys)


@settings(max_examples=60, deadline=None)
@given(arabic_words, arabic_words)
def test_scores_properties(a: str, b: str) -> None:
    s, t = dedup.scores(a, b), dedup.scores(b, a)
    assert s == t  # symmetric
    assert 0.0 <= s.jaccard <= s.containment <= 1.0
    assert 0.0 <= s.lead <= 1.0
    if a.strip():
        same = dedup.scores(a, a)
        assert same.jaccard == same.containment == same.lead == 1.0


# --- boilerplate ----------------------------------------------------------------


@pytest.mark.parametrize(
    "footer",
    [
        "اقرأ أيضاً: موسكو تتوعد بالرد على العقوبات",
        "إقرأ ايضا: عنوان آخر\nشاهد أيضاً: فيديو الشحنة",
        "للمزيد من الأخبار تابعونا على تويتر",
        "تابعونا على فيسبوك وتيليغرام",
        "مواضيع ذات صلة: الهند تتسلم الفوج الثاني",
    ],
)
def test_trailing_boilerplate_is_stripped(footer: str) -> None:
    body = normalize(ARTICLE)
    assert dedup.strip_boilerplate(normalize(ARTICLE + "\n" + footer)) == body


def test_article_prose_is_not_taken_for_boilerplate() -> None:
    prose = normalize("ويسعى البلدان للمزيد من التعاون في مجال الدفاع الجوي.")
    assert dedup.strip_boilerplate(prose) == prose
    # A marker followed by a long text is inside the article, not a footer.
    long_tail = normalize("اقرأ أيضاً: " + ARTICLE)
    assert dedup.strip_boilerplate(long_tail) == long_tail


# --- decision -------------------------------------------------------------------


def test_scores_keeps_two_field_construction() -> None:
    # Callers that only have jaccard and containment keep the two-score rule.
    assert dedup.is_near_duplicate(dedup.Scores(0.5, 0.7))
    assert not dedup.is_near_duplicate(dedup.Scores(0.2, 0.7))
    assert not dedup.is_near_duplicate(dedup.Scores(0.5, 0.7, lead=0.1))


def _own_pairs(kind: str) -> list[dict]:
    pairs = [p for p in read_jsonl(PAIRS) if p["kind"] == kind]
    assert pairs
    return pairs


@pytest.mark.parametrize("pair", _own_pairs("copy"), ids=lambda p: p["id"])
def test_own_edited_copies_are_found(pair: dict) -> None:
    a, b = normalize(pair["a"]["body"]), normalize(pair["b"]["body"])
    assert shares_bucket(a, b)
    assert dedup.is_near_duplicate(dedup.scores(a, b)), pair["note"]


@pytest.mark.parametrize("pair", _own_pairs("distinct"), ids=lambda p: p["id"])
def test_own_related_but_different_reports_never_merge(pair: dict) -> None:
    a, b = normalize(pair["a"]["body"]), normalize(pair["b"]["body"])
    assert not dedup.is_near_duplicate(dedup.scores(a, b)), pair["note"]


@pytest.mark.parametrize("pair", read_jsonl(PAIRS), ids=lambda p: p["id"])
def test_own_pairs_hold_when_the_title_is_included(pair: dict) -> None:
    # The recommended input is the body alone; title + body must still decide right.
    a = normalize(pair["a"]["title"] + "\n" + pair["a"]["body"])
    b = normalize(pair["b"]["title"] + "\n" + pair["b"]["body"])
    assert dedup.is_near_duplicate(dedup.scores(a, b)) is (pair["kind"] == "copy")


def test_own_pairs_file_has_enough_pairs() -> None:
    assert len(_own_pairs("copy")) >= 8
    assert len(_own_pairs("distinct")) >= 6


def test_labelled_fixture_every_copy_linked_no_false_merge() -> None:
    rows = dev_rows(LABELLED)
    # Different developments that repeat a background paragraph are the hard negatives.
    paragraphs = {r.id: set(r.body.split("\n")) for r in rows}
    hard = [
        (a.id, b.id)
        for a, b in itertools.combinations(rows, 2)
        if a.event != b.event and paragraphs[a.id] & paragraphs[b.id]
    ]
    assert len(hard) >= 2
    links = copy_links(rows)
    assert links.pairs >= 4
    assert links.missed == []
    # Neither different developments nor independent reports of one development are copies.
    assert links.false_merges == []


# --- re-edited copies (content-token rule) -----------------------------------------

STORY = [
    "أكد مصدر في وزارة الدفاع الماليزية أن الحكومة وقعت مع موسكو عقداً لشراء كتيبتين من "
    "منظومة إس-400 بقيمة 1.9 مليار دولار، على أن يبدأ التسليم مطلع العام المقبل.",
    "وأوضح المصدر أن الاتفاق يشمل تدريب 120 ضابطاً ماليزياً في مراكز روسية متخصصة "
    "وتوريد قطع الغيار لمدة عشر سنوات.",
    "وكانت كوالالمبور قد درست عروضاً أوروبية وأمريكية قبل أن تختار العرض الروسي بسبب "
    "كلفته المنخفضة وسرعة التسليم.",
    "ويرى خبراء عسكريون أن الصفقة ستثير قلق واشنطن التي تلوح عادة بعقوبات على الدول "
    "المشترية للسلاح الروسي بموجب قانون كاتسا.",
    "وتعد المنظومة الروسية من أكثر أنظمة الدفاع الجوي تطوراً، إذ يصل مداها إلى 400 "
    "كيلومتر وتستطيع رصد عشرات الأهداف في آن واحد.",
    "ولم تعلق السفارة الأمريكية في كوالالمبور على الأنباء حتى ساعة نشر هذا الخبر.",
]


def decided(a: str, b: str) -> tuple[bool, dedup.Scores]:
    s = dedup.scores(normalize(a), normalize(b))
    return dedup.is_near_duplicate(s), s


def test_copy_cut_to_its_first_half_is_found_and_is_an_lsh_candidate() -> None:
    original = " ".join(STORY)
    cut = " ".join(STORY[:3])
    dup, s = decided(original, cut)
    assert dup, s
    assert shares_bucket(normalize(original), normalize(cut))


def test_reordered_copy_with_its_own_lead_sentence_is_found() -> None:
    rewritten = " ".join(
        [
            "نقلت صحيفة محلية عن مصدر عسكري تفاصيل صفقة دفاعية جديدة.",
            "وقال المصدر إن وزارة الدفاع الماليزية وقعت مع موسكو عقداً لشراء كتيبتين من "
            "منظومة إس-400 بقيمة 1.9 مليار دولار، ويبدأ التسليم مطلع العام المقبل.",
            "ويشمل الاتفاق تدريب 120 ضابطاً ماليزياً في مراكز روسية وتوريد قطع الغيار لعشر سنوات.",
            "ويصل مدى المنظومة الروسية إلى 400 كيلومتر.",
            "وقد درست كوالالمبور عروضاً أوروبية وأمريكية قبل أن تختار العرض الروسي.",
        ]
    )
    dup, s = decided(" ".join(STORY), rewritten)
    # The shingle rule alone misses it: the desk rewrote every sentence.
    assert s.jaccard < dedup.MIN_JACCARD
    assert dup, s


def test_copy_under_a_new_headline_and_dateline_is_found() -> None:
    retitled = (
        "ماليزيا تشتري الصواريخ الروسية رغم التحذيرات الأمريكية\n"
        "كوالالمبور - خاص: وقعت الحكومة الماليزية مع موسكو، بحسب مصدر في وزارة الدفاع، "
        "عقداً بقيمة 1.9 مليار دولار تشتري بموجبه كتيبتين من منظومة إس-400، ويبدأ "
        "التسليم مطلع العام المقبل. ويتضمن الاتفاق تدريب 120 ضابطاً ماليزياً في مراكز "
        "روسية متخصصة، إضافة إلى توريد قطع الغيار عشر سنوات. واختارت كوالالمبور العرض "
        "الروسي لكلفته المنخفضة وسرعة التسليم بعدما درست عروضاً أوروبية وأمريكية."
    )
    dup, s = decided(" ".join(STORY), retitled)
    assert s.jaccard < dedup.MIN_JACCARD
    assert dup, s


def test_different_stories_sharing_a_background_paragraph_never_merge() -> None:
    background = " ".join(STORY[2:5])
    first = " ".join(STORY[:2]) + " " + background
    second = (
        "نفى وزير الدفاع الماليزي في مؤتمر صحفي أن تكون بلاده قد تسلمت أي جزء من "
        "المنظومة حتى الآن، مؤكداً أن موعد وصول الكتيبة الأولى أرجئ إلى الخريف بسبب "
        "مشكلات في الشحن البحري. " + background
    )
    dup, s = decided(first, second)
    assert s.token_containment >= 0.5  # they do share much of their text
    assert not dup, s


def test_a_short_brief_inside_a_long_article_is_no_copy() -> None:
    # Everything the brief says is in the long piece, and its lead opens it, but the
    # length ratio says it is a different (much longer) report, not a cut copy of it.
    brief = STORY[0]
    long_piece = " ".join(STORY * 3)
    s = dedup.scores(normalize(brief), normalize(long_piece))
    assert s.token_containment == 1.0 and s.length_ratio < dedup.MIN_LENGTH_RATIO
    assert not (
        s.token_containment >= dedup.MIN_TOKEN_CONTAINMENT
        and s.token_lead >= dedup.MIN_TOKEN_LEAD
        and s.length_ratio >= dedup.MIN_LENGTH_RATIO
    )


def test_token_scores_default_to_not_measured() -> None:
    assert not dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0))
    assert dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.7, 0.7, 0.8))
    assert not dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.7, 0.5, 0.8))
    assert not dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.5, 0.7, 0.8))
    assert not dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.7, 0.7, 0.3))


def test_a_copy_rewritten_at_the_top_is_linked_by_its_content_words() -> None:
    # Most content words kept (0.78), the lead rewritten (0.4 of it agrees): a copy.
    assert dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.78, 0.4, 0.8))
    # A different development sharing background keeps fewer (0.69 at most in the hand-written
    # and dev pairs), however much of the lead agrees.
    assert not dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.69, 0.53, 0.85))
    # A rewritten top with little of the lead left is not enough.
    assert not dedup.is_near_duplicate(dedup.Scores(0.0, 0.0, 0.0, 0.78, 0.3, 0.8))


def test_the_article_and_joined_words_do_not_make_new_content_words() -> None:
    # Content words are compared as stems: a copy desk's "وزارة" for "الوزارة", or "لقاعدة"
    # for "إلى القاعدة", keeps the word.
    a = "أعلنت الوزارة وصول الدفعة الروسية إلى القاعدة الجوية بحضور القادة"
    b = "وأعلنت وزارة وصول دفعة روسية لقاعدة جوية بحضور قادة"
    s = dedup.scores(normalize(a), normalize(b))
    assert s.token_containment == 1.0 and s.token_lead == 1.0
