"""What an operator sees: one log line per failing source and per crawl cycle, a crawl stopped by
a signal that still reports, a reload that keeps the running config, and `status`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from crawler.cli import cli
from crawler.config import format_duration, load_config, parse_duration
from crawler.crawl.run import SourceSummary, record_run, run_crawl
from crawler.storage.db import open_database
from crawler.storage.models import Alert, Article, CrawlRun, utcnow
from tests.conftest import write_config
from tests.helpers import fast_config, invoke_marsad, start_marsad, wait_for

DOWN = "\n".join(
    f'[[sources]]\nname = "down{i}"\nkind = "rss"\nurl = "http://127.0.0.1:9/feed{i}.xml"\n'
    'interval = "1h"\n'
    for i in range(2)
)


@contextlib.contextmanager
def marsad_process(
    config: Path, *args: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`marsad` started with its log in `log`; killed with its process group after."""
    with open(log, "ab") as stderr:
        proc = start_marsad(*args, config=config, stderr=stderr, env=env)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


# --- the daemon's log -----------------------------------------------------------------------


@pytest.mark.slow
def test_offline_sources_get_one_line_each_and_the_cycle_one_summary(web, tmp_path: Path) -> None:
    # Two unreachable sources beside the fixture web's three, all due at start.
    config = fast_config(
        tmp_path, f"sqlite:///{tmp_path / 'm.db'}", DOWN + web.sources_toml(["rss"], "1h")
    )
    log = tmp_path / "daemon.log"
    with marsad_process(config, "--log-format", "json", "run", log=log) as proc:
        wait_for(lambda: "crawl cycle" in log.read_text(), 60, "a crawl cycle")
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    for name in ("down0", "down1"):
        lines = [e for e in entries if name in e["message"]]
        # The source's own line, and the cycle's summary naming it among the failed.
        assert len(lines) == 2, lines
        own = lines[0]
        assert own["level"] == "warning" and own["logger"] == "marsad.scheduler"
        assert own["message"].startswith(f"[{name}] crawl error: ")
        assert "connection_refused" in own["message"], own
        assert own["data"]["status"] == "error"
    # Scrapy's retry and robots.txt lines said the same again, at ERROR.
    assert not [e for e in entries if e["level"] in {"error", "critical"}], entries
    assert not [e for e in entries if e["logger"].startswith(("scrapy", "spiders"))]

    cycles = [e for e in entries if e["message"].startswith("crawl cycle")]
    assert len(cycles) == 1, "sources due together share one crawl process and one summary"
    data = cycles[0]["data"]
    assert cycles[0]["message"] == (
        f"crawl cycle: 3 sources ok, 2 failed (down0, down1); {data['pages']} pages fetched, "
        f"{data['new']} new articles, {data['copies']} copies, {data['alerts_queued']} alerts queued"
    )
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        with db.read() as session:
            articles = session.scalars(select(Article)).all()
            alerts = session.scalars(select(Alert)).all()
    finally:
        db.dispose()
    # A story stored first may become a copy when its first report arrives later in the crawl.
    assert data["new"] > 0 and data["new"] + data["copies"] == len(articles)
    assert data["pages"] >= len(articles)
    assert data["alerts_queued"] == len(alerts) > 0, "first reports queue alerts (log channel)"


@pytest.mark.slow
def test_a_broken_config_on_sighup_is_reported_once_and_the_old_one_kept(
    web, tmp_path: Path
) -> None:
    config = fast_config(
        tmp_path, f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"], interval="1s")
    )
    log = tmp_path / "daemon.log"
    with marsad_process(config, "run", log=log) as proc:
        wait_for(lambda: "crawl cycle" in log.read_text(), 60, "a first crawl")
        config.write_text(config.read_text() + '\ninterval = "soon\n', encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reload failed" in log.read_text(), 20, "the reload error")
        cycles = log.read_text().count("crawl cycle")
        # Crawls go on with the config the daemon runs with, not the broken file.
        wait_for(lambda: log.read_text().count("crawl cycle") >= cycles + 3, 60, "more crawls")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    text = log.read_text()
    assert text.count("config reload failed, keeping the running config") == 1, text
    assert text.count("not valid TOML") == 1, text
    assert "crawl error" not in text and "exited with code" not in text, text
    assert text.count("marsad running") == 1, "the running schedule was kept as it was"
    assert "[sawt] crawl ok" in text.split("config reload failed")[1]


# --- `marsad crawl` stopped by a signal -----------------------------------------------------


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries `marker`: the crawl's children inherit it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if marker.encode() in (entry / "environ").read_bytes():
                stat = (entry / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_crawl_stopped_by_a_signal_prints_its_summary_and_leaves_nothing_running(
    web, tmp_path: Path, sig: signal.Signals
) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["rss"]))
    for spec in web.articles("bayraq"):
        web.set_fault(web.outlet("bayraq").path_for(spec), "hang", outlet="bayraq")
    marker = f"MARSAD_TEST_MARK={uuid.uuid4().hex}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    log = tmp_path / "crawl.log"
    db = open_database(db_url)
    with marsad_process(config, "crawl", log=log, env=env) as proc:

        def others_done_and_bayraq_fetching() -> bool:
            with db.read() as session:
                runs = dict(session.execute(select(CrawlRun.source, CrawlRun.status)).all())
            hanging = [r for r in web.requests if r.outlet == "bayraq" and r.fault == "hang"]
            return runs.get("sawt") == runs.get("nafitha") == "ok" and bool(hanging)

        wait_for(others_done_and_bayraq_fetching, 60, "a crawl under way")
        assert processes_with(marker), "the crawl child is running"
        stopped_at = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(15)
        took = time.monotonic() - stopped_at
    db.dispose()
    stderr = log.read_text()
    assert code == 128 + sig, stderr
    assert took < 8, f"took {took:.1f}s to stop"
    assert "crawl summary" in stderr and "Traceback" not in stderr, stderr
    rows = {
        cells[0]: cells[1]
        for line in stderr.splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) > 2
    }
    assert rows["sawt"] == rows["nafitha"] == "ok", stderr
    assert rows["bayraq"] == "stopped", stderr
    wait_for(lambda: not processes_with(marker), 5, "every crawl process gone")

    status = json.loads(invoke_marsad("status", "--format", "json", config=config).stdout)
    sources = {s["name"]: s for s in status["sources"]}
    assert sources["bayraq"]["last_status"] == "stopped"
    assert sources["bayraq"]["error_streak"] == 0, "a stopped run is no failure of the source"
    assert sources["sawt"]["last_status"] == "ok"


@pytest.mark.slow
def test_a_crawl_past_its_timeout_closes_itself_and_records_the_timeout(
    web, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config_path = write_config(tmp_path / "marsad.toml", db_url, web.sources_toml(["rss"]))
    for spec in web.articles("bayraq"):
        web.set_fault(web.outlet("bayraq").path_for(spec), "slow", outlet="bayraq", delay=2.0)
    open_database(db_url).dispose()  # migrated, as the CLI does before a crawl
    outcome = run_crawl(load_config(config_path), ["bayraq"], timeout=2)
    summary = outcome.summaries["bayraq"]
    assert (summary.status, summary.last_error) == ("timeout", "crawl timed out after 2s")
    # Not killed: the child closed its crawler, finished the pages in flight and ended.
    assert outcome.returncode == 0
    db = open_database(db_url)
    try:
        with db.read() as session:
            run = session.scalars(select(CrawlRun)).one()
    finally:
        db.dispose()
    assert (run.status, run.last_error) == ("timeout", "crawl timed out after 2s")


# --- `marsad status` ------------------------------------------------------------------------

LONG_ERROR = "dns: https://outlet.example/" + "a" * 150 + "/feed.xml: DNS lookup failed"


@pytest.fixture
def status_config(tmp_path: Path) -> Path:
    sources = "".join(
        f'[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "http://127.0.0.1:9/{name}.xml"\n'
        f'interval = "{interval}"\n'
        for name, interval in (("fine", "10m"), ("never", "90s"), ("untried", "1h"))
    )
    return write_config(
        tmp_path / "marsad.toml",
        f"sqlite:///{tmp_path / 'm.db'}",
        f"[alerts]\nsource_failure_threshold = 5\n\n{sources}",
    )


@contextlib.contextmanager
def database_of(config_path: Path):
    db = open_database(load_config(config_path).database.url)
    try:
        yield db
    finally:
        db.dispose()


def record(config_path: Path, source: str, status: str, error: str | None = None) -> None:
    summary = SourceSummary(source, status=status, last_error=error)
    with database_of(config_path) as db:
        record_run(db, None, summary, load_config(config_path))


def add_alert(config_path: Path, key: str, **values) -> None:
    with database_of(config_path) as db, db.write() as session:
        session.add(Alert(key=key, kind="new", channel="log", status="pending", **values))


def status_of(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), "status", *args])


def test_a_source_tried_and_never_successful_is_a_problem(status_config: Path) -> None:
    record(status_config, "fine", "ok")
    record(status_config, "never", "error", LONG_ERROR)
    result = status_of(status_config, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    sources = {s["name"]: s for s in data["sources"]}
    never = sources["never"]
    assert never["failing"] is True and never["error_streak"] == 1
    assert never["last_success"] is None and never["last_error"] == LONG_ERROR
    assert sources["fine"]["failing"] is False and sources["fine"]["last_success"]
    assert sources["untried"]["failing"] is False, "not tried yet is no failure"
    assert [s["interval"] for s in data["sources"]] == ["10m", "90s", "1h"]
    assert data["problems"] == [
        f"source never: never succeeded in 1 runs; last error: {LONG_ERROR}"
    ]

    # Once it has succeeded, one failure is below the threshold.
    record(status_config, "never", "ok")
    record(status_config, "never", "error", "http_500: feed")
    assert status_of(status_config, "--format", "json").exit_code == 0
    # A stopped run neither fails nor succeeds.
    record(status_config, "untried", "stopped", "crawl stopped")
    assert status_of(status_config, "--format", "json").exit_code == 0


def test_status_piped_prints_whole_rows(status_config: Path) -> None:
    record(status_config, "fine", "ok")
    record(status_config, "never", "error", LONG_ERROR)
    result = status_of(status_config)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    header = lines[0].split("\t")
    assert header[:2] == ["source", "interval"] and header[-1] == "last error"
    rows = {
        line.split("\t")[0]: dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:4]
    }
    assert rows["never"]["interval"] == "90s" and rows["fine"]["interval"] == "10m"
    assert rows["never"]["last error"] == LONG_ERROR, "nothing cut or wrapped"
    assert rows["never"]["last success"] == "-" and rows["fine"]["last success"] != "-"
    assert len(rows["fine"]["last run"]) > 19, "whole timestamps"
    assert f"problem: source never: never succeeded in 1 runs; last error: {LONG_ERROR}" in lines


def test_status_exit_code_follows_the_outbox(status_config: Path) -> None:
    now = utcnow()
    # Parked for the digest since long ago: waiting by design.
    add_alert(
        status_config,
        "parked",
        created_at=now - timedelta(hours=5),
        next_attempt_at=now + timedelta(days=3650),
    )
    assert status_of(status_config, "--format", "json").exit_code == 0
    # Pending for 11 minutes, waiting for its next retry.
    add_alert(
        status_config,
        "retrying",
        created_at=now - timedelta(minutes=11),
        next_attempt_at=now + timedelta(minutes=2),
    )
    result = status_of(status_config, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"][0].startswith("alert ")


def test_durations_are_written_back_as_configured() -> None:
    for text in ("10m", "90s", "1h", "36h", "3d", "7d", "1.5s"):
        assert format_duration(parse_duration(text)) == text
    assert format_duration(parse_duration("600s")) == "10m"
