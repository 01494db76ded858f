"""Bad input gets a clear answer, and good input in either language works: country names in
Arabic or English, unknown filter values as errors that list the valid ones (CLI and web), a
copy shown as itself, CSV that a spreadsheet opens with the Arabic intact, readable scores."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.config import load_config
from crawler.storage.db import Database
from tests.conftest import write_config
from tests.helpers import store_analysed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from crawler.review.web.app import create_app  # noqa: E402

NOW = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)

# Shared by the original and its copy: enough common text for the copy to be recognised.
COMMON = [
    "وقال مسؤول في الوزارة إن الدفعة الجديدة ستصل خلال عامين، وإن تدريب الأطقم سيجري في روسيا.",
    "وكانت واشنطن قد حذرت أنقرة مرارا من أن الصفقة قد تعرضها لعقوبات إضافية بموجب قانون كاتسا.",
    "ويرى محللون أن الخطوة تعكس تمسك الحكومة التركية باستقلال قرارها الدفاعي رغم الضغوط الغربية.",
    "ولم تكشف الوزارة عن قيمة العقد، لكنها أكدت أن جزءا من الإنتاج سيجري في مصانع محلية.",
]
ORIGINAL_TITLE = "تركيا توقع عقدا ثانيا لشراء منظومة إس-400"
ORIGINAL_LEAD = (
    "أعلنت وزارة الدفاع التركية اليوم أن أنقرة وقعت عقدا ثانيا مع موسكو لشراء بطاريات إضافية "
    "من منظومة إس-400."
)
COPY_TITLE = "أنقرة تبرم العقد الثاني للمنظومة الروسية"
COPY_LEAD = (
    "قالت وزارة الدفاع التركية إن الحكومة أبرمت العقد الثاني مع الجانب الروسي لاقتناء بطاريات "
    "جديدة من منظومة إس-400."
)
INDIA_TITLE = "الهند تتسلم الفوج الأخير من منظومة إس-400"
INDIA_BODY = [
    "قالت وزارة الدفاع الهندية إن الفوج الأخير من منظومة إس-400 وصل إلى نيودلهي هذا الأسبوع.",
    "وأضافت أن نشر البطاريات على الحدود الشمالية سيكتمل قبل نهاية العام.",
]
ORIGINAL_URL = "https://wire.example/turkey-second-contract"
COPY_URL = "https://desk.example/ankara-contract"


@dataclass
class Stock:
    db: Database
    config: Path
    original: int
    copy: int
    india: int


def store(db: Database, source: str, url: str, title: str, paragraphs: list[str], hours: int):
    body = "\n".join(paragraphs)
    return store_analysed(db, source, url, title, body, NOW - timedelta(hours=hours))


@pytest.fixture
def stock(database: Database, db_url: str, tmp_path: Path) -> Stock:
    original = store(database, "wire", ORIGINAL_URL, ORIGINAL_TITLE, [ORIGINAL_LEAD, *COMMON], 5)
    copy = store(database, "desk", COPY_URL, COPY_TITLE, [COPY_LEAD, *COMMON], 3)
    assert copy.status == "copy"
    # "archive" is in the database but no longer in the config.
    india = store(database, "archive", "https://archive.example/india", INDIA_TITLE, INDIA_BODY, 1)
    sources = "".join(
        f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "http://127.0.0.1:9/{name}.xml"\n'
        for name in ("wire", "desk", "quiet")
    )
    config = write_config(tmp_path / "marsad.toml", db_url, sources)
    return Stock(database, config, original.article_id, copy.article_id, india.article_id)


def invoke(stock: Stock, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(stock.config), *args])


def listed(stock: Stock, *args: str) -> list[int]:
    result = invoke(stock, "articles", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [a["id"] for a in json.loads(result.stdout)]


# --- --country, --source, --topic ------------------------------------------------------------


@pytest.mark.parametrize(
    "country", ["Turkey", "turkey", "TURKEY", "تركيا", "التركية", "أنقرة", "انقره", " تركيا "]
)
def test_country_in_arabic_or_english(stock: Stock, country: str) -> None:
    assert listed(stock, "--country", country) == [stock.copy, stock.original]


def test_a_known_country_without_articles_is_an_empty_answer(stock: Stock) -> None:
    assert listed(stock, "--country", "مصر") == []
    assert listed(stock, "--source", "quiet") == []


def test_a_source_only_in_the_database_is_known(stock: Stock) -> None:
    assert listed(stock, "--source", "archive") == [stock.india]


FILTER_COMMANDS = [
    ["articles", "list", "--format", "json"],
    ["search", "إس-400", "--format", "json"],
    ["export", "--format", "jsonl"],
]


@pytest.mark.parametrize("command", FILTER_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--country",
            "Atlantis",
            "Invalid value for --country: unknown country 'Atlantis': write its English short "
            'name or its Arabic name, e.g. "Turkey" or "تركيا"; known: Afghanistan, Algeria, ',
        ),
        ("--country", "Atlantis", "Turkey, Ukraine, United Arab Emirates, United Kingdom, "),
        (
            "--source",
            "nowhere",
            "Invalid value for --source: unknown source 'nowhere'; known: archive, desk, quiet, wire",
        ),
        ("--topic", "weather", "'contract', 'negotiation', 'delivery', 'sanction', 'other'"),
    ],
)
def test_an_unknown_filter_value_is_an_error_listing_the_valid_ones(
    stock: Stock, command: list[str], option: str, value: str, message: str
) -> None:
    result = invoke(stock, *command, option, value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


@pytest.fixture
def client(stock: Stock):
    with TestClient(create_app(stock.db, load_config(stock.config))) as c:
        yield c


def test_the_web_page_takes_an_arabic_country(stock: Stock, client: TestClient) -> None:
    page = client.get("/", params={"country": "التركية"})
    assert page.status_code == 200
    listed_ids = [int(i) for i in re.findall(r'id="a(\d+)"', page.text)]
    assert listed_ids == [stock.copy, stock.original]
    exported = client.get("/export.jsonl", params={"country": "أنقرة"})
    assert [json.loads(line)["id"] for line in exported.text.splitlines()] == listed_ids


@pytest.mark.parametrize("path", ["/", "/developments", "/export.csv", "/export.jsonl"])
@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("country", "Atlantis", "unknown country 'Atlantis'"),
        ("source", "nowhere", "unknown source 'nowhere'; known: archive, desk, quiet, wire"),
        ("topic", "weather", "unknown topic 'weather'; one of: contract, negotiation"),
    ],
)
def test_the_web_page_answers_400_to_unknown_values(
    client: TestClient, path: str, param: str, value: str, message: str
) -> None:
    response = client.get(path, params={param: value})
    assert response.status_code == 400
    assert message in response.text


# --- numbers past what the database holds ---------------------------------------------------

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["articles", "list", "--limit", HUGE], "'--limit'"),
        (["search", "إس-400", "--limit", HUGE], "'--limit'"),
        (["export", "--format", "jsonl", "--limit", HUGE], "'--limit'"),
        (["articles", "show", HUGE], "'ARTICLE_ID'"),
        (["articles", "show", "2147483648"], "'ARTICLE_ID'"),
        (["alerts", "retry", HUGE], "'ALERT_ID'"),
    ],
)
def test_a_huge_number_is_a_usage_error_naming_the_option(
    stock: Stock, args: list[str], named: str
) -> None:
    result = invoke(stock, *args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {named}: " in result.stderr
    assert "is not in the range 1<=x<=2147483647" in result.stderr


def test_the_largest_id_the_database_holds_is_simply_not_found(stock: Stock) -> None:
    result = invoke(stock, "articles", "show", "2147483647")
    assert result.exit_code == 1, repr(result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr == "marsad: no article with id 2147483647\n"


@pytest.mark.parametrize("path", ["/", "/developments", "/export.csv", "/export.jsonl"])
@pytest.mark.parametrize("page", [HUGE, "2147483647", "1000001", "0", "-1", "x", "٢"])
def test_the_web_page_answers_400_to_a_page_out_of_range(
    client: TestClient, path: str, page: str
) -> None:
    response = client.get(path, params={"page": page})
    assert response.status_code == 400
    assert response.text == "page must be a whole number from 1 to 1000000"


def test_the_web_page_takes_a_page_in_range(client: TestClient) -> None:
    assert client.get("/", params={"page": "1000000"}).status_code == 200
    assert client.get("/", params={"page": ""}).status_code == 200


@pytest.mark.parametrize("article_id", [HUGE, "2147483648"])
def test_an_article_id_past_the_database_is_not_found(client: TestClient, article_id: str) -> None:
    assert client.get(f"/articles/{article_id}").status_code == 404


# --- articles show of a copy -----------------------------------------------------------------


def test_a_copy_is_shown_as_itself_with_a_link_to_its_original(stock: Stock) -> None:
    result = invoke(stock, "articles", "show", str(stock.copy), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["id"], data["title"], data["url"], data["source"]) == (
        stock.copy,
        COPY_TITLE,
        COPY_URL,
        "desk",
    )
    assert data["text"].startswith(COPY_LEAD)
    assert data["duplicate_of"] == stock.original
    assert data["original"] == {
        "id": stock.original,
        "url": ORIGINAL_URL,
        "source": "wire",
        "title": ORIGINAL_TITLE,
    }
    # Its own evidence, the body sentence of its own text; the stored row holds the original's.
    assert data["topics"] == ["contract"]
    assert data["evidence"] == {"contract": COPY_LEAD}

    text = invoke(stock, "articles", "show", str(stock.copy))
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[:2] == [COPY_TITLE, COPY_URL]
    assert f"copy of article {stock.original} (wire): {ORIGINAL_URL}" in lines
    assert f"evidence [contract]: {COPY_LEAD}" in lines
    assert ORIGINAL_TITLE not in text.stdout


def test_the_web_page_shows_a_copy_with_its_own_evidence(stock: Stock, client: TestClient) -> None:
    page = client.get(f"/articles/{stock.copy}")
    assert page.status_code == 200
    evidence = page.text.split('class="evidence"', 1)[1].split("</section>", 1)[0]
    assert COPY_LEAD in evidence
    assert ORIGINAL_LEAD not in evidence


def test_search_ranks_on_the_web_page_are_whole_scores(stock: Stock, client: TestClient) -> None:
    page = client.get("/", params={"q": "إس-400"})
    ranks = re.findall(r'<span class="rank"[^>]*>([^<]*)</span>', page.text)
    assert ranks and all(r.isdigit() and 0 <= int(r) <= 100 for r in ranks), ranks


def test_sources_list_shows_intervals_as_configured(stock: Stock) -> None:
    result = invoke(stock, "sources", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {s["name"]: s["interval"] for s in json.loads(result.stdout)}["wire"] == "10m"


def test_an_original_still_shows_its_copies(stock: Stock) -> None:
    data = json.loads(
        invoke(stock, "articles", "show", str(stock.original), "--format", "json").stdout
    )
    assert "original" not in data
    assert data["evidence"] == {"contract": ORIGINAL_LEAD}
    assert [c["id"] for c in data["copies"]] == [stock.copy]


# --- CSV and scores --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["export", "--format", "csv"], ["articles", "list", "--format", "csv"]]
)
def test_csv_starts_with_a_byte_order_mark_and_keeps_the_arabic(stock: Stock, command) -> None:
    result = invoke(stock, *command)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfid,url,source,title,")
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == [stock.india, stock.copy, stock.original]
    assert rows[2]["title"] == ORIGINAL_TITLE
    assert rows[2]["countries"] == "Russia;Turkey"


def test_search_scores_are_readable(stock: Stock) -> None:
    """ "إس-400" is in every article, where bm25 scores of the order of 1e-6 come from."""
    result = invoke(stock, "search", "إس-400", "--format", "json")
    assert result.exit_code == 0, result.output
    ranks = [r["rank"] for r in json.loads(result.stdout)]
    assert len(ranks) == 3 and ranks[0] == 100.0
    assert all(0 < r <= 100 for r in ranks) and ranks == sorted(ranks, reverse=True)

    table = invoke(stock, "search", "إس-400")
    assert table.exit_code == 0, table.output
    assert "score" in table.stdout and "100" in table.stdout
    assert not re.search(r"\de-\d", table.stdout)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T10:00:00+03:00", datetime(2024, 5, 1, 7, tzinfo=UTC)),
        ("Wed, 01 May 2024 10:00:00 GMT", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ],
)
def test_since_reads_dates_as_the_feeds_are_read(value: str, expected: datetime) -> None:
    from crawler.review.queries import parse_since

    assert parse_since(value) == expected


def test_since_that_is_no_date_is_an_error(stock: Stock) -> None:
    result = invoke(stock, "articles", "list", "--since", "last week")
    assert result.exit_code == 2
    assert "'last week' is not a date like 2024-05-01" in result.stderr


# --- marsad web --host ---------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """What `marsad web` would have served, instead of serving it."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "news-desk.example"])
def test_web_on_a_non_loopback_host_warns_that_there_is_no_authentication(
    stock: Stock, served: list[dict[str, object]], host: str
) -> None:
    result = invoke(stock, "web", "--host", host)
    assert result.exit_code == 0, result.output
    assert served == [{"host": host, "port": 8000, "log_level": "warning", "access_log": False}]
    assert f"warning: {host} is not a loopback address and the page has no authentication" in (
        result.stderr
    )
    assert "reverse proxy with authentication (see README)" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_web_on_loopback_does_not_warn(
    stock: Stock, served: list[dict[str, object]], host: str
) -> None:
    result = invoke(stock, "web", "--host", host)
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert "warning" not in result.stderr
