"""Re-edited copies in the store (SQLite and PostgreSQL): a copy whose desk rewrote it shares no
LSH bucket with its original, so the store looks among the originals published within
`originals.WINDOW` of it; a different story of those days that repeats the background stays an
original of its own."""

from __future__ import annotations

import pytest

from crawler.storage import originals as originals_module
from crawler.storage.db import Database
from crawler.storage.store import Store
from tests.test_store import originals, record, rows

# An outlet's report of a sale, in four paragraphs: the news, its details, then background.
SALE = [
    "قالت وزارة الدفاع الفيتنامية إن هانوي اتفقت مع شركة روس أوبورون إكسبورت على شراء اثنتي "
    "عشرة مقاتلة من طراز سوخوي-30 بقيمة 600 مليون دولار، تصل أولاها إلى قاعدة دا نانغ خلال "
    "الصيف.",
    "وبحسب بيان الوزارة يتضمن العقد صيانة الطائرات في ورش محلية وتأهيل 40 طياراً فيتنامياً في "
    "مدرسة الطيران الروسية بمدينة كراسنودار.",
    "وتملك فيتنام أسطولاً من مقاتلات سوخوي اشترته على دفعات منذ تسعينيات القرن الماضي، وتعد "
    "موسكو المورد الأول لسلاحها.",
    "وتأتي الصفقة في ظل توتر متصاعد في بحر الصين الجنوبي حيث تتنازع هانوي وبكين السيادة على "
    "جزر عدة.",
]
# The same report as another desk ran it: its own headline and dateline, every clause reworded,
# the details merged into one paragraph and the last background paragraph cut.
SALE_REWRITTEN = [
    "هانوي تعزز سلاحها الجوي بمقاتلات روسية جديدة",
    "هانوي - مراسلنا: اتفقت فيتنام مع روس أوبورون إكسبورت، وفق ما أعلنته وزارة الدفاع "
    "الفيتنامية، على صفقة قيمتها 600 مليون دولار تشتري بموجبها اثنتي عشرة مقاتلة سوخوي-30، "
    "وستصل الدفعة الأولى إلى قاعدة دا نانغ صيفاً.",
    "ويشمل العقد تأهيل 40 طياراً فيتنامياً بمدرسة الطيران في كراسنودار وصيانة المقاتلات بورش "
    "محلية. وتعتبر موسكو المورد الأول لسلاح فيتنام التي تشتري مقاتلات سوخوي منذ التسعينيات.",
]
# Other news two days later, which repeats the sale's background and details after its own.
TALKS = [
    "نفى متحدث باسم الحكومة الفيتنامية أن تكون هانوي قد أوقفت مفاوضاتها مع موسكو بشأن منظومات "
    "الدفاع الساحلي، وقال إن الجولة المقبلة ستعقد في الخريف بعد تأجيلها لأسباب فنية.",
    "وأضاف المتحدث في مؤتمره الأسبوعي أن الجانبين يبحثان نقل جزء من تصنيع الصواريخ إلى مصانع "
    "فيتنامية، وهو شرط تتمسك به هانوي منذ بدء المحادثات قبل عامين.",
    SALE[2],
    SALE[3],
    "وكانت هانوي قد اتفقت مع شركة روس أوبورون إكسبورت على شراء مقاتلات سوخوي-30 تصل أولاها "
    "إلى قاعدة دا نانغ خلال الصيف.",
    SALE[1],
]


def test_the_rewritten_copy_shares_no_lsh_bucket() -> None:
    # What makes the window necessary: band keys alone never propose the original.
    _, original = record("http://a.test/vn", SALE)
    _, copy = record("http://b.test/vn", SALE_REWRITTEN)
    assert not set(original.band_keys) & set(copy.band_keys)


def test_a_rewritten_copy_within_the_window_is_filed_under_its_original(
    database: Database,
) -> None:
    store = Store(database)
    first = store.store_article(*record("http://a.test/vn", SALE))
    copy = store.store_article(*record("http://b.test/vn", SALE_REWRITTEN, hours=20))
    assert (copy.status, copy.original_id) == ("copy", first.article_id)
    assert copy.scores is not None and copy.scores.jaccard < 0.1
    assert [a.url for a in originals(database)] == ["http://a.test/vn"]


def test_other_news_repeating_the_background_stays_an_original(database: Database) -> None:
    store = Store(database)
    store.store_article(*record("http://a.test/vn", SALE))
    talks = store.store_article(*record("http://c.test/vn", TALKS, hours=48))
    assert talks.status == "new"
    # And a copy stored after both still finds its own original.
    copy = store.store_article(*record("http://b.test/vn", SALE_REWRITTEN, hours=50))
    assert copy.status == "copy"
    assert {a.url for a in rows(database) if a.id == copy.original_id} == {"http://a.test/vn"}


def test_a_rewritten_copy_outside_the_window_is_not_looked_for(database: Database) -> None:
    store = Store(database)
    store.store_article(*record("http://a.test/vn", SALE))
    late = originals_module.WINDOW.total_seconds() / 3600 + 1
    assert store.store_article(*record("http://b.test/vn", SALE_REWRITTEN, hours=late)).status == (
        "new"
    )


def test_only_the_most_recent_originals_of_a_busy_window_are_read(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(originals_module, "MAX_WINDOW_CANDIDATES", 2)
    store = Store(database)
    store.store_article(*record("http://a.test/vn", SALE))
    # Two later originals of those days fill the window: the sale's is left out of it.
    for i, paragraph in enumerate(TALKS[:2]):
        assert (
            store.store_article(*record(f"http://x{i}.test/vn", [paragraph], hours=1 + i)).status
            == "new"
        )
    assert store.store_article(*record("http://b.test/vn", SALE_REWRITTEN, hours=3)).status == (
        "new"
    )
