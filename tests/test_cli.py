"""The click group, driven with click's CliRunner: the contract's shapes and error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.config import load_config, parse_config
from tests.conftest import write_config
from tests.fixtures import seed_article


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    body = '[[sources]]\nname = "one"\nkind = "rss"\nurl = "http://127.0.0.1:9/feed.xml"\n'
    return write_config(tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", body)


def test_analyze_finds_the_seed_relevant_with_both_terms(runner, config) -> None:
    title, body = seed_article()
    lines = [
        json.dumps({"id": "seed", "title": title, "body": body}, ensure_ascii=False),
        "not json at all",
        json.dumps({"id": 7, "title": "أسعار القمح ترتفع", "body": "ارتفعت أسعار القمح."}),
        json.dumps({"id": 8, "title": 5, "body": "x"}),
    ]
    result = runner.invoke(cli, ["--config", str(config), "analyze", "-"], input="\n".join(lines))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    seed = out[0]
    assert seed["id"] == "seed" and seed["relevant"] is True
    assert {t["term"] for t in seed["terms"]} == {"S-400", "Rosoboronexport"}
    for term in seed["terms"]:
        field = title if term["field"] == "title" else body
        assert field[term["start"] : term["end"]] == term["text"]
    assert set(seed) == {"id", "relevant", "terms", "topics", "countries", "evidence", "amounts"}
    assert "contract" in seed["topics"] and "Turkey" in seed["countries"]
    assert all(topic in seed["evidence"] for topic in seed["topics"])
    assert {"text": "2 مليار يورو", "value": 2e9, "currency": "EUR"} in seed["amounts"]
    assert out[1]["id"] is None and "line 2" in out[1]["error"]
    assert out[2] == {
        "id": 7,
        "relevant": False,
        "terms": [],
        "topics": [],
        "countries": [],
        "evidence": {},
        "amounts": [],
    }
    assert out[3]["id"] == 8 and "error" in out[3]


def test_watchlist_from_config_extends_the_matcher(runner, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "marsad.toml",
        f"sqlite:///{tmp_path / 'm.db'}",
        '[[watchlist]]\nname = "Su-35"\npatterns = ["سو-35", "Su-35"]\n',
    )
    line = json.dumps({"id": 1, "title": "مصر تتسلم مقاتلات «سو 35»", "body": ""})
    result = runner.invoke(cli, ["--config", str(config), "analyze"], input=line)
    out = json.loads(result.stdout)
    assert out["relevant"] and [t["term"] for t in out["terms"]] == ["Su-35"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[crawl]\ntimeout = "10x"\n', "crawl.timeout: invalid duration '10x'"),
        ('[[sources]]\nname = "a"\nkind = "ftp"\nurl = "http://x"\n', "sources[0] (a).kind"),
        ('[[sources]]\nname = "a"\nkind = "listing"\nurl = "http://x"\n', "link_selector"),
        ("[alerts]\nfollow_ups = 'sometimes'\n", "alerts.follow_ups"),
        ("[database]\nurl = 5\n", "database.url"),
        ("surprise = true\n", "surprise: unknown key"),
        ("[crawl\n", "not valid TOML"),
    ],
)
def test_config_mistakes_name_their_key(runner, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(path), "sources", "list"])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_environment_is_interpolated_and_secrets_not_shown(monkeypatch, runner, tmp_path) -> None:
    monkeypatch.setenv("MARSAD_TEST_HOOK", "https://hooks.example.org/very-secret")
    text = '[alerts.slack]\nwebhook_url = "${MARSAD_TEST_HOOK}"\n'
    config = parse_config(text, "x.toml").with_secrets()
    assert config.alerts.slack.webhook_url.get_secret_value().endswith("very-secret")
    assert "very-secret" not in repr(config) and "very-secret" not in str(config.alerts)


def test_sources_in_a_file_replace_the_builtin_catalogue(config) -> None:
    builtin = load_config(None)
    assert len(builtin.sources) >= 12
    assert [s.name for s in load_config(config).sources] == ["one"]
    assert len(parse_config("[crawl]\nrobots_txt = false\n", "x").sources) == len(builtin.sources)


def test_status_of_a_fresh_database_is_healthy_json(runner, config) -> None:
    result = runner.invoke(cli, ["--config", str(config), "status", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["healthy"] is True
    assert [s["name"] for s in data["sources"]] == ["one"]
    assert data["outbox"]["pending"] == 0 and data["database"]["articles"] == 0


def test_db_upgrade_and_empty_lists(runner, config) -> None:
    result = runner.invoke(cli, ["--config", str(config), "db", "upgrade"])
    assert result.exit_code == 0 and "revision" in result.stderr
    listed = runner.invoke(cli, ["--config", str(config), "articles", "list", "--format", "json"])
    assert json.loads(listed.stdout) == []
    alerts = runner.invoke(cli, ["--config", str(config), "alerts", "list", "--format", "json"])
    assert json.loads(alerts.stdout) == []
    missing = runner.invoke(cli, ["--config", str(config), "articles", "show", "99"])
    assert missing.exit_code == 1 and "no article with id 99" in missing.stderr


def test_alerts_test_reports_each_channel(runner, config) -> None:
    result = runner.invoke(cli, ["--config", str(config), "alerts", "test"])
    assert result.exit_code == 0
    assert "log: sent" in result.stderr


def test_sources_check_reports_an_unreachable_feed(runner, config) -> None:
    result = runner.invoke(cli, ["--config", str(config), "sources", "check"])
    assert result.exit_code == 1
    assert "one" in result.stdout and "NO" in result.stdout


def test_sources_check_reads_a_live_feed(runner, web, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "marsad.toml",
        f"sqlite:///{tmp_path / 'm.db'}",
        web.sources_toml(["rss", "news-sitemap", "listing"]),
    )
    result = runner.invoke(cli, ["--config", str(config), "sources", "check"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.count("yes") == 9
