"""The config: values that are checked at load, and alert secrets that only the sending
commands resolve (`run`, `alerts test`, `alerts retry`), with a clear error when one is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts.channels import build_transports
from alerts.render import AlertMessage
from crawler.cli import cli
from crawler.config import ConfigError, load_config, parse_config
from tests.conftest import write_config
from tests.fakes.slack import WEBHOOK_PATH, FakeSlack

HOOK_VAR = "MARSAD_TEST_HOOK"
SMTP_VAR = "MARSAD_TEST_SMTP_PASSWORD"
SECRET_HOOK = "https://hooks.slack.example/services/T0/B0/s3cr3t-path"
REMOTE = "https://news.example/feed"

CHANNELS = f"""
[alerts.slack]
webhook_url = "${{{HOOK_VAR}}}"

[alerts.email]
smtp_host = "127.0.0.1"
smtp_port = 9
starttls = false
username = "desk"
password = "${{{SMTP_VAR}}}"
sender = "marsad@example.org"
recipients = ["desk@example.org"]
"""


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "x.toml")
    return str(caught.value)


# --- values checked at load ------------------------------------------------------------------


@pytest.mark.parametrize("value", ['"yes"', '"true"', "1"])
def test_robots_txt_must_be_a_boolean(value: str) -> None:
    message = error_of(f"[crawl]\nrobots_txt = {value}\n")
    assert (
        message == "config error in x.toml: crawl.robots_txt: write true or false, without quotes"
    )
    assert parse_config("[crawl]\nrobots_txt = false\n", "x").crawl.robots_txt is False


@pytest.mark.parametrize(
    "url",
    ["http://hooks.slack.com/services/T0/B0/s3cr3t", "ftp://hooks.slack.com/x", "hooks.slack.com"],
)
def test_a_slack_webhook_must_be_https(url: str) -> None:
    message = error_of(f'[alerts.slack]\nwebhook_url = "{url}"\n')
    assert "alerts.slack.webhook_url: a Slack webhook must be an https:// URL" in message
    # The webhook is the secret: a mistake in it never repeats it.
    assert "s3cr3t" not in message and "hooks.slack.com" not in message


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T0/B0/x", "http://127.0.0.1:8765/hook", "http://[::1]/h"],
)
def test_https_and_loopback_http_webhooks_are_accepted(url: str) -> None:
    config = parse_config(f'[alerts.slack]\nwebhook_url = "{url}"\n', "x")
    assert config.alerts.slack is not None
    assert config.alerts.slack.webhook_url.get_secret_value() == url


@pytest.mark.parametrize(
    ("url", "interval", "message"),
    [
        (REMOTE, "30s", "sources[0] (a).interval: 30s is too short: at least 1m"),
        (REMOTE, "59s", "sources[0] (a).interval: 59s is too short"),
        (REMOTE, "31d", "sources[0] (a).interval: 31d is too long: at most 30d"),
        ("http://127.0.0.1:9/feed", "60d", "sources[0] (a).interval: 60d is too long"),
    ],
)
def test_source_interval_bounds(url: str, interval: str, message: str) -> None:
    text = f'[[sources]]\nname = "a"\nkind = "rss"\nurl = "{url}"\ninterval = "{interval}"\n'
    assert error_of(text).startswith(f"config error in x.toml: {message}")


@pytest.mark.parametrize(
    ("url", "interval"),
    [
        (REMOTE, "1m"),
        (REMOTE, "30d"),
        ("http://127.0.0.1:9/f", "1s"),
    ],
)
def test_source_intervals_in_bounds_and_loopback_test_sources_load(url: str, interval: str) -> None:
    text = f'[[sources]]\nname = "a"\nkind = "rss"\nurl = "{url}"\ninterval = "{interval}"\n'
    assert parse_config(text, "x").sources[0].interval.total_seconds() > 0


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ("[[sources]]", 'interval = "99999999999d"', "sources[0] (a).interval: duration"),
        ("[[sources]]", f"interval = {HUGE}", "sources[0] (a).interval: duration"),
        ("[crawl]", 'timeout = "99999999999d"', "crawl.timeout: duration"),
        ("[crawl]", 'hard_timeout = "99999999999999999999999s"', "crawl.hard_timeout: duration"),
        ("[alerts]", 'max_age = "99999999999w"', "alerts.max_age: duration"),
        ("[alerts]", 'retry_backoff = "99999999999d"', "alerts.retry_backoff: duration"),
        ("[crawl]", "download_delay = inf", "crawl.download_delay: Input should be less"),
        ("[crawl]", f"max_page_bytes = {HUGE}", "crawl.max_page_bytes: Input should be less"),
        ("[crawl]", f"max_parallel_crawls = {HUGE}", "crawl.max_parallel_crawls: Input"),
        ("[crawl]", f"max_articles_per_run = {HUGE}", "crawl.max_articles_per_run: Input"),
        ("[alerts]", f"max_attempts = {HUGE}", "alerts.max_attempts: Input should be less"),
        ("[alerts]", f"max_per_run = {HUGE}", "alerts.max_per_run: Input should be less"),
    ],
)
def test_a_huge_number_is_a_config_error_naming_the_key(
    section: str, key: str, message: str
) -> None:
    source = f'name = "a"\nkind = "rss"\nurl = "{REMOTE}"\n' if section == "[[sources]]" else ""
    assert error_of(f"{section}\n{source}{key}\n").startswith(f"config error in x.toml: {message}")


def test_a_huge_interval_exits_2_naming_the_key(tmp_path: Path) -> None:
    text = f'[[sources]]\nname = "a"\nkind = "rss"\nurl = "{REMOTE}"\ninterval = "99999999999d"\n'
    config = write_config(tmp_path / "marsad.toml", f"sqlite:///{tmp_path}/m.db", text)
    result = CliRunner().invoke(cli, ["--config", str(config), "sources", "list"])
    assert result.exit_code == 2
    assert "sources[0] (a).interval: duration '99999999999d' is too long: at most 3650d" in (
        result.stderr
    )


@pytest.mark.parametrize("url", ["mysql://u:pw@db.example/marsad", "mongodb://db", "marsad.db"])
def test_an_unsupported_database_kind_names_the_supported_ones(url: str) -> None:
    message = error_of(f'[database]\nurl = "{url}"\n')
    assert message.startswith("config error in x.toml: database.url: unsupported database URL")
    assert "supported: sqlite, postgresql" in message
    assert "pw" not in message


@pytest.mark.parametrize(
    "url",
    ["sqlite:///m.db", "postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://h/d"],
)
def test_supported_database_kinds_load(url: str) -> None:
    assert parse_config(f'[database]\nurl = "{url}"\n', "x").database.url == url


# --- secrets ---------------------------------------------------------------------------------


def test_channel_secrets_stay_unresolved_at_load_and_other_values_resolve(monkeypatch) -> None:
    monkeypatch.delenv(HOOK_VAR, raising=False)
    monkeypatch.delenv(SMTP_VAR, raising=False)
    monkeypatch.setenv("MARSAD_TEST_DB_FILE", "/var/lib/marsad/m.db")
    config = parse_config(
        '[database]\nurl = "sqlite:///${MARSAD_TEST_DB_FILE}"\n' + CHANNELS, "x.toml"
    )
    assert config.database.url == "sqlite:////var/lib/marsad/m.db"
    assert config.alerts.slack is not None and config.alerts.email is not None

    monkeypatch.delenv("MARSAD_TEST_DB_FILE")
    with pytest.raises(ConfigError, match="database.url: environment variable MARSAD_TEST_DB_FILE"):
        parse_config('[database]\nurl = "sqlite:///${MARSAD_TEST_DB_FILE}"\n', "x.toml")


@pytest.mark.parametrize("hook", [None, ""])
def test_a_missing_or_empty_secret_names_the_key_and_variable(monkeypatch, hook) -> None:
    monkeypatch.setenv(SMTP_VAR, "mail-password")
    if hook is None:
        monkeypatch.delenv(HOOK_VAR, raising=False)
    else:
        monkeypatch.setenv(HOOK_VAR, hook)
    config = parse_config(CHANNELS, "x.toml")
    with pytest.raises(ConfigError) as caught:
        config.with_secrets()
    state = "is not set" if hook is None else "is empty"
    assert str(caught.value) == (
        f"config error in x.toml: alerts.slack.webhook_url: environment variable {HOOK_VAR} {state}"
    )


def test_resolved_secrets_are_checked_and_never_shown(monkeypatch) -> None:
    monkeypatch.setenv(SMTP_VAR, "mail-password")
    monkeypatch.setenv(HOOK_VAR, "http://hooks.slack.example/s3cr3t-path")
    with pytest.raises(ConfigError) as caught:
        parse_config(CHANNELS, "x.toml").with_secrets()
    assert "alerts.slack.webhook_url: a Slack webhook must be an https:// URL" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)

    monkeypatch.setenv(HOOK_VAR, SECRET_HOOK)
    resolved = parse_config(CHANNELS, "x.toml").with_secrets()
    assert resolved.alerts.slack.webhook_url.get_secret_value() == SECRET_HOOK
    assert resolved.alerts.email.password.get_secret_value() == "mail-password"
    assert "s3cr3t" not in repr(resolved) and "mail-password" not in repr(resolved)
    # Resolving twice changes nothing: a secret that itself holds "${...}" stays as it is.
    assert resolved.with_secrets() is resolved


def test_build_transports_resolves_a_config_read_without_secrets(monkeypatch, tmp_path) -> None:
    """The daemon re-reads its config on SIGHUP with load_config; the channels it then builds
    must still send to the secret webhook, not to the "${VAR}" text."""
    body = f'[alerts.slack]\nwebhook_url = "${{{HOOK_VAR}}}"\n'
    path = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}", body)
    monkeypatch.delenv(HOOK_VAR, raising=False)
    config = load_config(path)
    with pytest.raises(ConfigError, match=f"environment variable {HOOK_VAR} is not set"):
        build_transports(config.alerts)
    with FakeSlack() as slack:
        monkeypatch.setenv(HOOK_VAR, slack.webhook_url)
        build_transports(config.alerts)["slack"].send(AlertMessage(kind="test", headline="اختبار"))
        assert [p.path for p in slack.wait_for_posts(1)] == [WEBHOOK_PATH]


# --- which commands need them ----------------------------------------------------------------


@pytest.fixture
def unset_config(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv(HOOK_VAR, raising=False)
    monkeypatch.delenv(SMTP_VAR, raising=False)
    sources = '[[sources]]\nname = "one"\nkind = "rss"\nurl = "http://127.0.0.1:9/feed.xml"\n'
    return write_config(
        tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", sources + CHANNELS
    )


@pytest.mark.parametrize(
    "args",
    [
        ["db", "upgrade"],
        ["status", "--format", "json"],
        ["articles", "list", "--format", "json"],
        ["search", "إس-400", "--format", "json"],
        ["export", "--format", "jsonl"],
        ["alerts", "list", "--format", "json"],
        ["sources", "list"],
    ],
)
def test_reading_commands_work_without_the_secrets(unset_config: Path, args: list[str]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(unset_config), "db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["--config", str(unset_config), *args])
    assert result.exit_code == 0, result.output
    assert "environment variable" not in result.stderr


def test_analyze_works_without_the_secrets(unset_config: Path) -> None:
    line = '{"id": 1, "title": "أنقرة تتسلم إس-400", "body": ""}'
    result = CliRunner().invoke(cli, ["--config", str(unset_config), "analyze"], input=line)
    assert result.exit_code == 0, result.output
    assert '"relevant": true' in result.stdout


@pytest.mark.parametrize("args", [["run", "--once"], ["alerts", "test"], ["alerts", "retry", "1"]])
def test_sending_commands_need_the_secrets(unset_config: Path, monkeypatch, args) -> None:
    monkeypatch.setenv(SMTP_VAR, "mail-password")
    result = CliRunner().invoke(cli, ["--config", str(unset_config), *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"marsad: config error in {unset_config}: alerts.slack.webhook_url: "
        f"environment variable {HOOK_VAR} is not set"
    )


def test_alerts_test_sends_with_the_secret_set(tmp_path: Path, monkeypatch) -> None:
    body = f'[alerts.slack]\nwebhook_url = "${{{HOOK_VAR}}}"\n'
    path = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}", body)
    with FakeSlack() as slack:
        monkeypatch.setenv(HOOK_VAR, slack.webhook_url)
        result = CliRunner().invoke(cli, ["--config", str(path), "alerts", "test"])
        assert result.exit_code == 0, result.output
        assert "slack: sent" in result.stderr
        assert len(slack.wait_for_posts(1)) == 1
    assert slack.webhook_url not in result.output


@pytest.mark.slow
def test_crawl_queues_alerts_without_the_secrets(unset_config: Path) -> None:
    """`crawl` stores and queues outbox rows but sends nothing, so it needs no secret: with the
    only source unreachable it ends as "every source failed" (3), not as a config error (2)."""
    result = CliRunner().invoke(cli, ["--config", str(unset_config), "crawl"])
    assert result.exit_code == 3, result.output
    assert "environment variable" not in result.stderr


def test_a_reload_with_a_missing_secret_keeps_the_running_config(
    unset_config: Path, monkeypatch, caplog
) -> None:
    from scheduler import Daemon

    monkeypatch.setenv(HOOK_VAR, "https://hooks.example.org/services/T0/B0/x")
    monkeypatch.setenv(SMTP_VAR, "mail-password")
    daemon = Daemon(load_config(unset_config).with_secrets(), config_path=str(unset_config))
    assert daemon.read_config() is not None
    monkeypatch.delenv(HOOK_VAR)
    with caplog.at_level("ERROR"):
        assert daemon.read_config() is None
    assert f"environment variable {HOOK_VAR} is not set" in caplog.text


def test_a_reload_keeps_the_running_database_and_says_so(tmp_path: Path, caplog) -> None:
    from scheduler import Daemon

    path = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'a.db'}", "")
    daemon = Daemon(load_config(path).with_secrets(), config_path=str(path))
    text = path.read_text(encoding="utf-8").replace("a.db", "b.db")
    text = text.replace("[crawl]", '[crawl]\nuser_agent = "Marsad-test/2"', 1)
    path.write_text(text, encoding="utf-8")
    with caplog.at_level("WARNING"):
        reloaded = daemon.read_config()
    assert reloaded is not None
    # The crawl children get the reloaded config: they must write where the daemon reads.
    assert reloaded.database == daemon.config.database
    assert "[database] changed; it takes effect when the daemon restarts" in caplog.text
    # What can change live does.
    assert reloaded.crawl.user_agent == "Marsad-test/2"


# --- routes, the review site, source titles -----------------------------------------------

BOT = '[alerts.slack]\nbot_token = "xoxb-1"\nchannel = "#s400"\n'
MAIL = '[alerts.email]\nsmtp_host = "127.0.0.1"\nsender = "m@example.org"\nrecipients = ["d@example.org"]\n'


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (
            'topics = ["sanctions"]\nslack_channel = "#c"',
            "alerts.routes[0].topics[0]: Input should be 'contract', 'negotiation', 'delivery', "
            "'sanction' or 'other'",
        ),
        (
            'topics = ["other"]\nslack_channel = "#c"',
            "alerts.routes[0].topics: other: not in alerts.topics (contract, negotiation, "
            "delivery, sanction), so never alerted",
        ),
        (
            'countries = ["Narnia"]\nslack_channel = "#c"',
            "alerts.routes[0].countries: unknown country 'Narnia': write its English short name "
            "(Turkey) or an Arabic name (تركيا)",
        ),
        ('slack_channel = "#c"', "alerts.routes[0]: a route needs topics or countries"),
        ('topics = ["sanction"]', "alerts.routes[0]: a route needs somewhere to send"),
        (
            'topics = ["sanction"]\nslack_channel = "#c"\nslack_webhook_url = "https://h.example/x"',
            "alerts.routes[0]: choose slack_channel or slack_webhook_url, not both",
        ),
        (
            'topics = ["sanction"]\nslack_channel = "two words"',
            "alerts.routes[0].slack_channel: 'two words' is not a Slack channel",
        ),
        (
            'topics = ["sanction"]\nslack_webhook_url = "http://hooks.example/s3cret"',
            "alerts.routes[0].slack_webhook_url: a Slack webhook must be an https:// URL",
        ),
        (
            'topics = ["sanction"]\nemail_recipients = ["desk"]',
            "alerts.routes[0].email_recipients: 'desk' is not an email address",
        ),
        (
            'topics = ["sanction"]\nemail_recipients = []',
            "alerts.routes[0].email_recipients: list at least one address",
        ),
        ('topics = ["sanction"]\nchannel = "#c"', "alerts.routes[0].channel: unknown key"),
    ],
)
def test_a_route_mistake_names_its_key(route: str, expected: str) -> None:
    message = error_of(f"{BOT}\n{MAIL}\n[[alerts.routes]]\n{route}\n")
    assert message.startswith(f"config error in x.toml: {expected}"), message
    assert "s3cret" not in message


def test_a_route_needs_the_channel_it_sends_through() -> None:
    second = '[[alerts.routes]]\ntopics = ["contract"]\nemail_recipients = ["a@example.org"]\n'
    assert error_of(
        f'{second}\n[[alerts.routes]]\ntopics = ["sanction"]\nslack_channel = "#c"\n'
    ) == (
        "config error in x.toml: alerts.routes[0].email_recipients: sending mail needs the "
        "[alerts.email] server settings"
    )
    webhook = '[alerts.slack]\nwebhook_url = "https://hooks.example/x"\n'
    assert error_of(
        f'{webhook}\n[[alerts.routes]]\ntopics = ["sanction"]\nslack_channel = "#c"\n'
    ) == (
        "config error in x.toml: alerts.routes[0].slack_channel: posting to a channel needs "
        "[alerts.slack] with bot_token (or give the route its own slack_webhook_url)"
    )


def test_route_countries_are_read_as_the_filters_read_them() -> None:
    config = parse_config(
        f'{MAIL}\n[[alerts.routes]]\ncountries = ["تركيا", "turkey", "الهند"]\n'
        'email_recipients = ["t@example.org"]\n',
        "x",
    )
    [route] = config.alerts.routes
    assert route.countries == ["Turkey", "India"]
    assert route.matches(["contract"], ["Russia", "India"])
    assert not route.matches(["contract"], ["Russia"])


def test_a_route_webhook_is_a_secret_resolved_only_to_send(monkeypatch) -> None:
    text = (
        '[alerts.slack]\nwebhook_url = "https://hooks.example/default"\n\n'
        f'[[alerts.routes]]\ntopics = ["sanction"]\nslack_webhook_url = "${{{HOOK_VAR}}}"\n'
    )
    monkeypatch.delenv(HOOK_VAR, raising=False)
    config = parse_config(text, "x.toml")
    with pytest.raises(
        ConfigError,
        match=rf"alerts.routes\[0\].slack_webhook_url: environment variable {HOOK_VAR} is not set",
    ):
        config.with_secrets()
    monkeypatch.setenv(HOOK_VAR, SECRET_HOOK)
    transports = build_transports(config.alerts)
    assert set(transports) == {"slack", "slack@route0"}
    assert "s3cr3t" not in repr(transports)


@pytest.mark.parametrize(
    ("web", "expected"),
    [
        (
            'base_url = "marsad.example.org"',
            "web.base_url: 'marsad.example.org' is not an http(s) address",
        ),
        (
            'base_url = "https://m.example.org/?x=1"',
            "web.base_url: 'https://m.example.org/?x=1' is not",
        ),
        ('base = "https://m.example.org"', "web.base: unknown key"),
    ],
)
def test_web_base_url_mistakes(web: str, expected: str) -> None:
    assert error_of(f"[web]\n{web}\n").startswith(f"config error in x.toml: {expected}")


def test_article_pages_are_under_the_base_url() -> None:
    config = parse_config('[web]\nbase_url = "https://m.example.org/marsad/"\n', "x")
    assert config.article_page(42) == "https://m.example.org/marsad/articles/42"
    assert parse_config("", "x").article_page(42) is None


def test_a_source_title_is_one_line_and_not_empty() -> None:
    source = '[[sources]]\nname = "w"\nkind = "rss"\nurl = "https://w.example/f"\n'
    assert error_of(f'{source}title = "  "\n').startswith(
        "config error in x.toml: sources[0] (w).title: an empty title"
    )
    config = parse_config(f'{source}title = " وكالة\\n الخبر "\n', "x")
    assert config.sources[0].title == "وكالة الخبر"
    assert config.display_name("w") == "وكالة الخبر"
    assert config.display_name("gone") == "gone"


def test_every_source_of_the_catalogue_has_an_arabic_title() -> None:
    sources = parse_config("", "x").sources
    assert len(sources) >= 10
    titles = [s.title for s in sources]
    assert all(t and re.search(r"[\u0600-\u06ff]", t) for t in titles), titles
    assert len(set(titles)) == len(titles)
