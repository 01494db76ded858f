"""Arabic full-text search: spelling variants fold alike, results are ranked, the index follows
the articles table (insert, revision, delete), and `marsad search` prints ranked rows.

Articles go in through the real storing code (crawler.storage.store), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import delete, select, text

from crawler.analysis.searchterms import search_form
from crawler.review.queries import ArticleFilter, article_json
from crawler.review.search import find_spans, fts5_match, parse_query, search, search_ids
from crawler.storage.db import Database, alembic_config, open_database
from crawler.storage.dedup import fingerprint
from crawler.storage.models import Article
from crawler.storage.store import ArticleRecord, Store
from crawler.text.arabic import normalize
from crawler.text.display import segments
from crawler.text.searchform import stem
from tests.conftest import write_config
from tests.helpers import invoke_marsad

NOW = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)

# Each text writes S-400 its own way; the last two name only look-alikes.
STORIES = {
    "hyphen": (
        "أنقرة تتسلم بطارية جديدة من منظومة إس-400",
        "أعلنت وزارة الدفاع التركية وصول بطارية جديدة من منظومة إس-400 إلى قاعدة جوية قرب "
        "العاصمة، في خطوة تقول واشنطن إنها تعمق الخلاف داخل الحلف.",
        ["delivery"],
        ["Turkey"],
    ),
    "indic": (
        "نيودلهي: الفوج الثالث يصل في الربيع",
        "قال مسؤولون هنود إن الفوج الثالث من منظومة «إس ٤٠٠» سيصل إلى الهند في الربيع، "
        "وإن تدريب الطواقم اكتمل في روسيا.",
        ["delivery"],
        ["India"],
    ),
    "space_bare_alef": (
        "تقرير عن صفقات الدفاع الجوي في الخليج",
        "تتحدث مصادر عن اهتمام دول خليجية بمنظومة اس 400 رغم التحذيرات الأمريكية المتكررة "
        "من عقوبات محتملة.",
        ["negotiation"],
        ["Saudi Arabia"],
    ),
    "joined_diacritics": (
        "موسكو تعرض منظومتها على شركاء جدد",
        "عرضت موسكو منظومة أَسْ400 على وفود زائرة في معرض للسلاح، وقالت إن الطلب عليها يتزايد.",
        ["negotiation"],
        ["Russia"],
    ),
    "latin": (
        "Analysts weigh the S-400 deal",
        "قال محللون إن صفقة S-400 الجديدة ستختبر علاقات المشتري مع حلفائه في الغرب.",
        ["contract"],
        ["Turkey"],
    ),
    "s300": (
        "اليونان تبحث مصير منظومات إس-300",
        "تدرس أثينا نقل منظومات إس-300 القديمة إلى طرف ثالث مقابل صواريخ أمريكية حديثة.",
        ["other"],
        ["Greece"],
    ),
    "400_million": (
        "عقد بقيمة 400 مليون دولار لصيانة طائرات",
        "وقعت الشركة عقداً بقيمة 400 مليون دولار لصيانة طائرات النقل، من دون أي صلة بمنظومة اس "
        "الدفاعية القديمة.",
        ["contract"],
        ["Egypt"],
    ),
}
S400_KEYS = {"hyphen", "indic", "space_bare_alef", "joined_diacritics", "latin"}
SPELLINGS = [
    "اس 400",
    "إس-400",
    "إس ٤٠٠",
    "أس400",
    "إِسْ–400",
    "«إس-400»",
    "اس\u2011400",
    "S-400",
    "s400",
]


def record(
    key: str, title: str, body: str, topics: list[str], countries: list[str], hours: int
) -> ArticleRecord:
    return ArticleRecord(
        source="desk" if hours % 2 else "wire",
        url=f"https://news.example/{key}",
        title=title,
        text=body,
        fetched_at=NOW,
        published_at=NOW - timedelta(hours=hours),
        published_precision="second",
        topics=topics,
        countries=countries,
    )


def store(db: Database, rec: ArticleRecord) -> int:
    return Store(db).store_article(rec, fingerprint(rec.text)).article_id


@pytest.fixture
def stocked(database: Database) -> tuple[Database, dict[str, int]]:
    ids = {
        key: store(database, record(key, *story, hours=i + 1))
        for i, (key, story) in enumerate(STORIES.items())
    }
    return database, ids


def found(db: Database, query: str, **flt: object) -> list[int]:
    with db.read() as session:
        return [i for i, _ in search_ids(session, query, ArticleFilter(**flt))]


def test_every_spelling_finds_the_same_articles(stocked: tuple[Database, dict[str, int]]) -> None:
    db, ids = stocked
    expected = {ids[k] for k in S400_KEYS}
    for spelling in SPELLINGS:
        assert set(found(db, spelling)) == expected, spelling


def test_title_spellings_fold_too(stocked: tuple[Database, dict[str, int]]) -> None:
    """ "أنقرة" is only in a title; the title is normalized at index time like the body."""
    db, ids = stocked
    for spelling in ["أنقرة", "انقره", "أنقره", "انقرة"]:
        assert found(db, spelling) == [ids["hyphen"]], spelling


def test_proclitics_fold(stocked: tuple[Database, dict[str, int]]) -> None:
    db, ids = stocked
    # The body writes "إلى الهند"; the article, و, ل and لل forms all find it.
    for spelling in ["الهند", "والهند", "للهند", "بالهند"]:
        assert found(db, spelling) == [ids["indic"]], spelling


def test_results_are_ranked(database: Database) -> None:
    strong = store(
        database,
        record(
            "strong",
            "عقوبات كاتسا تلاحق صفقة إس-400",
            "قالت واشنطن إن عقوبات كاتسا ستطال كل من يشتري إس-400، وإن قانون كاتسا واضح، "
            "وإن لجنة في الكونغرس تعد عقوبات كاتسا إضافية.",
            ["sanction"],
            ["United States"],
            hours=5,
        ),
    )
    weak = store(
        database,
        record(
            "weak",
            "الهند تبدأ نشر الفوج الثاني من إس-400",
            "بدأت الهند نشر الفوج الثاني من المنظومة على حدودها الشمالية، وهو ما أثار سابقاً "
            "نقاشاً حول قانون كاتسا.",
            ["delivery"],
            ["India"],
            hours=1,
        ),
    )
    unrelated = store(
        database,
        record(
            "none",
            "روسيا تجري مناورات دفاع جوي",
            "أجرت روسيا مناورات واسعة استخدمت فيها إس-400 لاعتراض أهداف جوية.",
            ["other"],
            ["Russia"],
            hours=2,
        ),
    )
    with database.read() as session:
        hits = search(session, "كاتسا")
    assert [h.article.id for h in hits] == [strong, weak], "more and title matches rank first"
    assert hits[0].rank > hits[1].rank > 0
    assert unrelated not in [h.article.id for h in hits]
    # Every phrase is required: "كاتسا الهند" is only the weak article.
    assert found(database, "كاتسا الهند") == [weak]
    # A quoted phrase must be adjacent.
    assert set(found(database, '"قانون كاتسا"')) == {strong, weak}
    assert found(database, '"كاتسا قانون"') == []


def test_filters_narrow_the_search(stocked: tuple[Database, dict[str, int]]) -> None:
    db, ids = stocked
    assert set(found(db, "اس 400", topic="delivery")) == {ids["hyphen"], ids["indic"]}
    assert found(db, "اس 400", country="India") == [ids["indic"]]
    since = NOW - timedelta(hours=2, minutes=30)
    assert set(found(db, "اس 400", since=since)) == {ids["hyphen"], ids["indic"]}
    assert len(found(db, "اس 400", limit=2)) == 2


def test_index_follows_revisions_and_deletes(stocked: tuple[Database, dict[str, int]]) -> None:
    db, ids = stocked
    rec = record("hyphen", *STORIES["hyphen"], hours=1)
    rec.text = "تحديث: وصلت البطارية الجديدة من منظومة إس-400 إلى قاعدة في الأناضول صباح اليوم."
    rec.title = "تحديث: البطارية وصلت"
    result = Store(db).store_article(rec, fingerprint(rec.text))
    assert result.status == "revision" and result.article_id == ids["hyphen"]
    assert found(db, "الأناضول") == [ids["hyphen"]]
    assert found(db, "أنقرة") == [], "the old title left the index"
    assert ids["hyphen"] in found(db, "إس-400")

    with db.write() as session:
        session.execute(delete(Article).where(Article.id == ids["indic"]))
    assert found(db, "نيودلهي") == []
    assert ids["indic"] not in found(db, "اس 400")
    # The index is still consistent: the other articles are found as before.
    assert set(found(db, "اس 400")) == {ids[k] for k in S400_KEYS - {"indic"}}


def test_latin_designator_is_highlighted_for_an_arabic_query() -> None:
    text = "صفقة S-400 الجديدة"
    assert [text[a:b] for a, b in find_spans(text, "إس 400")] == ["S-400"]


def test_spans_map_back_to_the_original_text() -> None:
    text = "وصلت منظومة «إِسْ–٤٠٠» إلى أنقرة، وقالت أنقره إن اس400 تعمل."
    spans = find_spans(text, "اس 400")
    assert [text[s:e] for s, e in spans] == ["إِسْ–٤٠٠", "اس400"]
    assert [text[s:e] for s, e in find_spans(text, "انقرة")] == ["أنقرة", "أنقره"]
    pieces = segments(text, spans)
    assert "".join(p for p, _ in pieces) == text
    assert [p for p, hit in pieces if hit] == ["إِسْ–٤٠٠", "اس400"]


def test_query_parsing() -> None:
    assert parse_query("إس-400 تركيا").phrases == (("اس", "400"), ("تركيا",))
    assert parse_query("«عقد ثان» 2024").phrases == (("عقد", "ثان"), ("2024",))
    assert not parse_query(" - « » ")
    assert search_form("صفقة «إس-400» للهند") == "صفقه اس 400 هند"
    assert stem("ولد") == "ولد" and stem("بلد") == "بلد", "short words keep their first letter"


def test_search_columns_are_filled_when_stored(stocked: tuple[Database, dict[str, int]]) -> None:
    db, ids = stocked
    with db.read() as session:
        article = session.get(Article, ids["hyphen"])
        assert article.search_title == search_form(article.title)
        assert article.search_body == search_form(article.text)


def test_marsad_search_command(
    stocked: tuple[Database, dict[str, int]], db_url: str, tmp_path: Path
) -> None:
    db, ids = stocked
    config = write_config(tmp_path / "marsad.toml", db_url, "")
    result = invoke_marsad("search", "إس ٤٠٠", "--format", "json", config=config)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == {ids[k] for k in S400_KEYS}
    ranks = [r["rank"] for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    with db.read() as session:
        first = session.get(Article, rows[0]["id"])
        assert set(rows[0]) == set(article_json(first)) | {"rank", "snippet"}
    for row in rows:
        assert "400" in row["snippet"] or "٤٠٠" in row["snippet"]

    filtered = invoke_marsad(
        "search", "اس 400", "--country", "India", "--format", "json", config=config
    )
    assert [r["id"] for r in json.loads(filtered.stdout)] == [ids["indic"]]

    table = invoke_marsad("search", "الهند", config=config)
    assert table.returncode == 0 and str(ids["indic"]) in table.stdout

    empty = invoke_marsad("search", "«»", config=config)
    assert empty.returncode == 2 and "no words" in empty.stderr


def _database_at(tmp_path: Path, revision: str) -> tuple[str, Database]:
    """A new SQLite database migrated up to `revision` only."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return url, db


def _insert_article(db: Database, title: str, body: str, **search: str) -> None:
    """One article row written by hand, as an older version of the code stored it."""
    values = {
        "url": f"https://x.example/{title}",
        "source": "x",
        "title": title,
        "text": body,
        "normalized_text": normalize(body),
        "content_hash": "h",
        "fetched_at": "2024-01-01",
        "updated_at": "2024-01-01",
        "revision": 1,
        "terms": "[]",
        "topics": "[]",
        "countries": "[]",
        "evidence": "{}",
        "amounts": "[]",
        **search,
    }
    names = ", ".join(values)
    with db.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO articles ({names}) VALUES (:{', :'.join(values)})"), values)


def test_migration_backfills_existing_articles(tmp_path: Path) -> None:
    """A database at revision 0001 with articles gets searchable when upgraded."""
    url, db = _database_at(tmp_path, "0001")
    _insert_article(db, "تسليم «إس-400» إلى أنقرة", "نص الخبر عن إس-400")
    db.dispose()
    upgraded = open_database(url)
    try:
        assert found(upgraded, "انقره") == [1]
        assert found(upgraded, "اس 400") == [1]
        with upgraded.read() as session:
            assert session.scalar(select(Article.search_title)) == search_form(
                "تسليم «إس-400» إلى أنقرة"
            )
    finally:
        upgraded.dispose()
    # And back down: the triggers and FTS table go, the articles stay.
    db = Database(url)
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with db.engine.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
        assert not {n for n in names if n.startswith("articles_fts")}
        assert conn.exec_driver_sql("SELECT count(*) FROM articles").scalar() == 1
    db.dispose()


# --- watched names fold to one spelling ------------------------------------------------------

ROSO_STORIES = {
    "split_hamza": "قالت مؤسسة روس أوبورون إكسبورت إنها تلقت طلبات جديدة من دول آسيوية.",
    "joined": "أكد مدير روسوبورون إكسبورت أن محادثات التصدير مستمرة مع عدة عواصم.",
    "glued_clitic": "وجهت الحكومة دعوة لروسوبورونإكسبورت لعرض منتجاتها في المعرض.",
    "latin": "نقلت الوكالة عن Rosoboronexport أن حجم الطلبات ارتفع هذا العام.",
    "typo": "صرح مسؤول في روسوبرون اكسبورت بأن العقود الموقعة تجاوزت التوقعات.",
}
ROSO_QUERIES = [
    "Rosoboronexport",
    "rosoboron export",
    "روسوبورون إكسبورت",
    "روس أوبورون اكسبورت",
    "روسوبورون",
    "«روس-أوبورون-إكسبورت»",
]


@pytest.fixture
def roso_stocked(database: Database) -> tuple[Database, dict[str, int]]:
    ids = {
        key: store(database, record(key, "خبر عن صادرات السلاح", body, ["other"], [], hours=i))
        for i, (key, body) in enumerate(ROSO_STORIES.items())
    }
    ids["rostec"] = store(
        database,
        record(
            "rostec",
            "روستيخ تعلن أرباحها",
            "أعلنت روستيخ الروسية عن زيادة في الإيرادات المدنية لمنظومة إس-400.",
            ["other"],
            [],
            hours=9,
        ),
    )
    return database, ids


def test_every_rosoboronexport_spelling_finds_every_article(
    roso_stocked: tuple[Database, dict[str, int]],
) -> None:
    db, ids = roso_stocked
    expected = {ids[k] for k in ROSO_STORIES}
    for query in ROSO_QUERIES:
        assert set(found(db, query)) == expected, query


def test_a_latin_query_finds_arabic_spellings_of_s400(database: Database) -> None:
    bodies = {
        "one_letter": "تسلم الجيش بطاريات منظومة س-400 الروسية في قاعدة جنوبية.",
        "hamza": "قال الوزير إن صفقة إس–٤٠٠ ماضية رغم الضغوط.",
        "reordered": "نشر الجيش 400-إس قرب الحدود الشرقية.",
    }
    ids = {
        key: store(database, record(key, "الدفاع الجوي", body, ["other"], [], hours=i))
        for i, (key, body) in enumerate(bodies.items())
    }
    for query in ["S-400", "S400", "س-400", "إس 400"]:
        assert set(found(database, query)) == set(ids.values()), query


def test_folded_names_are_highlighted_where_written() -> None:
    text = "قالت روس أوبورون إكسبورت ولروسوبورون إكسبورت وس-400 كلاماً."
    spans = find_spans(text, "Rosoboronexport")
    assert [text[a:b] for a, b in spans] == ["روس أوبورون إكسبورت", "روسوبورون إكسبورت"]
    assert [text[a:b] for a, b in find_spans(text, "S-400")] == ["س-400"]


def test_names_fold_in_the_search_form() -> None:
    assert search_form("مؤسسة روس أوبورون إكسبورت") == search_form("مؤسسة Rosoboronexport")
    assert search_form("لروسوبورون إكسبورت") == "روسوبورون اكسبورت"
    # Triumf is another name of the system, not a spelling: indexed as written.
    assert "تريومف" in search_form("منظومة الدفاع الجوي تريومف")
    # A look-alike is no spelling either.
    assert search_form("روستيخ") == "روستيخ"
    assert parse_query("Rosoboronexport تركيا").phrases == (
        ("روسوبورون", "اكسبورت"),
        ("تركيا",),
    )


def test_migration_recomputes_search_forms(tmp_path: Path) -> None:
    """Rows indexed before the names were folded become findable by every spelling."""
    url, db = _database_at(tmp_path, "0003")
    # As the code before 0004 indexed it: the name's words as written.
    _insert_article(
        db,
        "خبر",
        "قالت روس أوبورون إكسبورت إن الطلب قوي",
        search_title="خبر",
        search_body="قالت روس اوبورون اكسبورت ان طلب قوي",
    )
    with db.read() as session:
        # The index itself: today's search also reads columns that 0003 does not have.
        old_match = session.execute(
            text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q"),
            {"q": fts5_match(parse_query("Rosoboronexport"))},
        ).all()
        assert old_match == [], "the old form does not fold"
    db.dispose()
    upgraded = open_database(url)
    try:
        assert found(upgraded, "Rosoboronexport") == [1]
        assert found(upgraded, "روسوبورون") == [1]
    finally:
        upgraded.dispose()
