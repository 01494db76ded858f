"""Development grouping: pure rules, and pairwise precision/recall on the labelled fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchmarks.eval import analyze_all, dev_rows, grouping
from crawler.storage.developments import (
    DevelopmentKey,
    assign_developments,
    best_match,
    content_tokens,
    same_development,
    similarity,
)
from tests.fixtures import LABELLED

T0 = datetime(2019, 6, 12, 9, 0, tzinfo=UTC)


def key(topics, countries, when, text) -> DevelopmentKey:
    return DevelopmentKey(list(topics), list(countries), when, text)


DELIVERY = key(
    ["delivery"],
    ["Russia", "Turkey"],
    T0,
    "أردوغان: تسليم منظومة إس-400 لتركيا سيبدأ الشهر المقبل رغم الضغوط الأمريكية",
)


def test_same_event_reported_again_joins() -> None:
    follow = key(
        ["delivery"],
        ["Russia", "Turkey"],
        T0 + timedelta(days=2),
        "أنقرة: بدء تسليم المنظومة الروسية إلى تركيا في يوليو كما أعلن أردوغان",
    )
    assert same_development(follow, DELIVERY)


def test_a_second_contract_years_later_is_new() -> None:
    later = key(
        ["delivery"], ["Russia", "Turkey"], T0 + timedelta(days=700), DELIVERY.evidence_text
    )
    assert not same_development(later, DELIVERY)


def test_different_buyer_is_new() -> None:
    other = key(["delivery"], ["India", "Russia"], T0 + timedelta(days=1), DELIVERY.evidence_text)
    assert not same_development(other, DELIVERY)


def test_no_shared_topic_is_new_unless_same_story() -> None:
    sanction = key(
        ["sanction"],
        ["Turkey", "United States"],
        T0 + timedelta(days=1),
        "واشنطن تلوح بعقوبات على أنقرة بموجب كاتسا",
    )
    assert not same_development(sanction, DELIVERY)
    # Same wording, read as a different topic by another outlet: still the same story.
    retold = key(
        ["negotiation"], ["Russia", "Turkey"], T0 + timedelta(hours=5), DELIVERY.evidence_text
    )
    assert same_development(retold, DELIVERY)


def test_new_sanctions_by_the_seller_only_need_similar_text() -> None:
    eu = key(
        ["sanction"], ["Russia"], T0, "الاتحاد الأوروبي يضيف روس أوبورون إكسبورت إلى قائمة العقوبات"
    )
    us = key(
        ["sanction"],
        ["Russia"],
        T0 + timedelta(days=3),
        "وزارة الخزانة تستهدف شبكة وسطاء مالية في آسيا",
    )
    assert not same_development(us, eu)


def test_sanction_stories_sharing_only_the_sanctioning_state_are_different() -> None:
    india = key(
        ["sanction"],
        ["India", "Russia", "United States"],
        T0,
        "مشرعون أمريكيون يطالبون بإعفاء الهند من عقوبات كاتسا بسبب صفقة إس-400",
    )
    turkey = key(
        ["sanction"],
        ["Turkey", "United States"],
        T0 + timedelta(days=2),
        "واشنطن تلوّح بعقوبات جديدة إذا اشترت أنقرة دفعة ثانية من إس-400",
    )
    assert not same_development(turkey, india)
    # The same target a day later is the same development, whatever the wording.
    again = key(
        ["sanction"],
        ["India", "United States"],
        T0 + timedelta(days=1),
        "سيناتوران يدعوان بايدن إلى استثناء نيودلهي من قانون مكافحة أعداء أمريكا",
    )
    assert same_development(again, india)


def test_sanctioner_alone_needs_similar_text() -> None:
    # Two US sanction rounds on different Russian networks in the same week.
    a = key(["sanction"], ["United States", "Russia"], T0, "واشنطن تفرض عقوبات على شبكة شحن بحري")
    b = key(
        ["sanction"],
        ["United States", "Russia"],
        T0 + timedelta(days=3),
        "الخزانة تدرج مصارف في آسيا الوسطى على قائمتها السوداء",
    )
    assert not same_development(b, a)


def test_undated_reports_join_only_on_near_identical_text() -> None:
    undated = key(["delivery"], ["Russia", "Turkey"], None, DELIVERY.evidence_text)
    assert same_development(undated, DELIVERY)
    loose = key(["delivery"], ["Russia", "Turkey"], None, "تركيا تتسلم شحنة قطع غيار")
    assert not same_development(loose, DELIVERY)


def test_naive_and_aware_dates_compare() -> None:
    naive = key(["delivery"], ["Russia", "Turkey"], datetime(2019, 6, 13), DELIVERY.evidence_text)
    assert same_development(naive, DELIVERY)


def test_best_match_prefers_the_most_similar() -> None:
    near = key(
        ["delivery"], ["Russia", "Turkey"], T0, "تسليم منظومة إس-400 لتركيا سيبدأ الشهر المقبل"
    )
    far = key(["delivery"], ["Russia", "Turkey"], T0, "تركيا تستعد لاستقبال معدات دفاع جوي")
    new = key(["delivery"], ["Russia", "Turkey"], T0 + timedelta(days=1), DELIVERY.evidence_text)
    assert best_match(new, [("far", far), ("near", near)]) == "near"
    assert best_match(new, []) is None
    assert similarity(new, near) > similarity(new, far)


def test_content_tokens_fold_and_strip_clitics() -> None:
    assert content_tokens("وبالعقوباتِ الأمريكيّة") == content_tokens("العقوبات الامريكية")
    assert "في" not in content_tokens("في")


def test_assign_developments_points_to_first_report() -> None:
    a = DELIVERY
    b = key(
        ["delivery"],
        ["Russia", "Turkey"],
        T0 + timedelta(days=1),
        "تسليم إس-400 لتركيا الشهر المقبل",
    )
    c = key(["contract"], ["India", "Russia"], T0 + timedelta(days=1), "الهند توقع عقد إس-400")
    assert assign_developments([("a", a), ("b", b), ("c", c)]) == {"a": "a", "b": "a", "c": "c"}


def test_grouping_on_labelled_events() -> None:
    """Originals and independent reports of the labelled fixture, grouped as the store would:
    three developments told twice each, beside other developments of the same states (two
    sanctioning states listing one exporter five days apart, a test firing and a sanction on
    the same buyer)."""
    rows = dev_rows(LABELLED)
    g = grouping(rows, analyze_all(rows))
    assert g is not None
    assert g.gold_pairs >= 3
    assert (g.split, g.merged) == ([], [])
    assert (g.precision, g.recall) == (1.0, 1.0)


def test_a_short_title_sharing_a_word_is_not_the_same_story() -> None:
    # A two-word headline with no evidence shares one word with a long report: half of the
    # shorter text, but one word says nothing about which event it is.
    short = key(["sanction"], ["Turkey", "United States"], T0 + timedelta(days=1), "أردوغان يتحدى")
    assert len(short.tokens()) == 2
    assert len(short.tokens() & DELIVERY.tokens()) == 1
    assert not same_development(short, DELIVERY)
    undated = key(["sanction"], ["Turkey"], None, "أردوغان يتحدى")
    assert not same_development(undated, DELIVERY)
