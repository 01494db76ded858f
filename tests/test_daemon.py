"""`marsad run` as a process: schedule, signals, locking, health alerts and crashes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from tests.fakes.slack import FakeSlack, SlackReply
from tests.fakes.smtp import FakeSmtp
from tests.helpers import (
    fast_config,
    invoke_marsad,
    run_marsad,
    smtp_toml,
    start_marsad,
    stored_articles,
)


@pytest.mark.slow
def test_daemon_keeps_running_when_every_source_is_unreachable(tmp_path: Path, daemons) -> None:
    sources = "\n".join(
        f'[[sources]]\nname = "down{i}"\nkind = "rss"\nurl = "http://127.0.0.1:9/feed{i}.xml"\ninterval = "1s"\n'
        for i in range(2)
    )
    config = fast_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", sources)
    daemon = daemons(config, tmp_path / "daemon.log")
    daemon.wait_log("[down0] crawl error")
    daemon.wait_log("[down1] crawl error")
    time.sleep(3)
    assert daemon.proc.poll() is None, "the daemon keeps running"
    assert "connection_refused" in daemon.log or "Connection was refused" in daemon.log
    assert daemon.terminate() == 0
    assert "stopped" in daemon.log


@pytest.mark.slow
def test_second_instance_refuses_to_start(web, db_url: str, tmp_path: Path, daemons) -> None:
    config = fast_config(tmp_path, db_url, web.sources_toml(["rss"], interval="1h"))
    first = daemons(config, tmp_path / "first.log")
    first.wait_log("marsad running")
    second = run_marsad("run", config=config, timeout=60)
    assert second.returncode == 2
    assert "refusing to start a second instance" in second.stderr
    assert first.terminate() == 0


@pytest.mark.slow
def test_new_article_reaches_slack_and_email_within_15s(
    web, db_url: str, tmp_path: Path, daemons, monkeypatch
) -> None:
    from tests.fixtureweb import late_spec

    with FakeSlack() as slack, FakeSmtp() as smtp:
        alerts = f"""
[alerts.slack]
webhook_url = "{slack.webhook_url}"

{smtp_toml(smtp.port)}"""
        config = fast_config(tmp_path, db_url, web.sources_toml(["rss"], interval="2s"), alerts)
        daemon = daemons(config, tmp_path / "daemon.log")
        # The starter set's alerts go out first.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (slack.posts and smtp.messages):
            time.sleep(0.2)
        time.sleep(3)
        posts, mails = len(slack.posts), len(smtp.messages)
        assert posts and mails

        published_at = time.monotonic()
        web.publish("nafitha", late_spec("nafitha"))
        while time.monotonic() - published_at < 15:
            if len(slack.posts) > posts and len(smtp.messages) > mails:
                break
            time.sleep(0.1)
        latency = time.monotonic() - published_at
        assert len(slack.posts) == posts + 1, daemon.log[-3000:]
        assert len(smtp.messages) == mails + 1
        assert latency < 15
        assert "القاهرة" in json.dumps(slack.posts[-1].payload, ensure_ascii=False)

        assert daemon.terminate() == 0
    rows = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
    assert not [r for r in rows if r["status"] == "pending" and r["kind"] == "new"]


@pytest.mark.slow
def test_hanging_source_is_timed_out_and_others_keep_their_schedule(
    web, tmp_path: Path, daemons
) -> None:
    web.set_fault("/rss.xml", "hang", outlet="bayraq")
    config = fast_config(
        tmp_path, f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"], interval="1s")
    )
    config.write_text(
        config.read_text().replace('timeout = "5s"', 'timeout = "60s"\nhard_timeout = "8s"'),
        encoding="utf-8",
    )
    daemon = daemons(config, tmp_path / "daemon.log")
    daemon.wait_log("[bayraq] crawl timeout", timeout=45)
    # The other sources were reported as soon as they finished, and go on being crawled
    # while the hanging one is stuck again.
    ok_before = daemon.log.count("[sawt] crawl ok")
    assert ok_before >= 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and daemon.log.count("[sawt] crawl ok") < ok_before + 2:
        time.sleep(0.2)
    assert daemon.log.count("[sawt] crawl ok") >= ok_before + 2, daemon.log[-4000:]
    assert daemon.terminate() == 0
    status = invoke_marsad("status", "--format", "json", config=config)
    sources = {s["name"]: s for s in json.loads(status.stdout)["sources"]}
    # Its last run may be the one the daemon's own stop interrupted; the timeouts count.
    assert sources["bayraq"]["last_status"] in {"timeout", "stopped"}
    assert sources["bayraq"]["error_streak"] >= 1
    assert sources["sawt"]["last_status"] == "ok"


@pytest.mark.slow
def test_failing_source_gives_one_health_alert_and_one_recovery(
    web, tmp_path: Path, daemons
) -> None:
    with FakeSlack() as slack:
        alerts = f"""source_failure_threshold = 3

[alerts.slack]
webhook_url = "{slack.webhook_url}"
"""
        sources = web.sources_toml(["rss"], interval="1s")
        config = fast_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", sources, alerts)
        web.set_fault("/rss.xml", "500", outlet="sawt")
        daemon = daemons(config, tmp_path / "daemon.log")

        def health_posts() -> list[str]:
            texts = [json.dumps(p.payload, ensure_ascii=False) for p in slack.posts]
            return [t for t in texts if "sawt" in t and ("failing" in t or "recovered" in t)]

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and daemon.log.count("[sawt] crawl error") < 5:
            time.sleep(0.2)
        assert daemon.log.count("[sawt] crawl error") >= 5
        time.sleep(1.5)
        assert len(health_posts()) == 1 and "failing" in health_posts()[0]

        web.clear_fault("/rss.xml", outlet="sawt")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(health_posts()) < 2:
            time.sleep(0.2)
        time.sleep(3)
        posts = health_posts()
        assert len(posts) == 2 and "recovered" in posts[1]
        assert daemon.terminate() == 0


@pytest.mark.slow
def test_sigkill_during_crawl_and_dispatch_loses_nothing(
    web, db_url: str, tmp_path: Path, daemons
) -> None:
    with FakeSlack() as slack:
        alerts = f"""
[alerts.slack]
webhook_url = "{slack.webhook_url}"
"""
        # Slow article pages keep the first daemon inside its crawl when it is killed.
        config = fast_config(tmp_path, db_url, web.sources_toml(["rss"], interval="2s"), alerts)
        for spec in web.articles("sawt"):
            web.set_fault(
                web.outlet("sawt").path_for(spec), "slow", outlet="sawt", delay=1.0, times=1
            )
        # Slack refuses the first daemon's posts, so the next one has alerts to send.
        slack.down = True
        first = daemons(config, tmp_path / "first.log")
        first.wait_log("[nafitha] crawl", timeout=30)
        first.kill()

        # The next one is killed while a Slack post is in flight: arrived, not yet answered
        # (`requests` holds a post only once the fake has answered it).
        slack.down = False
        slack.script(SlackReply.slow(3.0))
        arrived = slack.arrived
        second = daemons(config, tmp_path / "second.log")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and slack.arrived == arrived:
            time.sleep(0.05)
        assert slack.arrived > arrived
        second.kill()

        third = daemons(config, tmp_path / "third.log")
        # Its signal handlers are in place: a SIGTERM before them would end it with -15.
        third.wait_log("marsad running", timeout=30)
        deadline = time.monotonic() + 40
        rows: list[dict] = []
        while time.monotonic() < deadline:
            result = invoke_marsad("alerts", "list", "--format", "json", config=config)
            rows = json.loads(result.stdout) if result.returncode == 0 else []
            new = [r for r in rows if r["kind"] == "new"]
            if new and all(r["status"] == "sent" for r in new):
                break
            time.sleep(1)
        assert third.terminate() == 0

    articles = stored_articles(config)
    urls = [a["url"] for a in articles]
    assert len(urls) == len(set(urls)), "no article stored twice"
    relevant = {s.key for s in web.articles() if s.expected.relevant}
    assert {web.key_for_url(u) for u in urls} == relevant, "nothing lost"
    new = [r for r in rows if r["kind"] == "new"]
    assert new and all(r["status"] == "sent" for r in new)
    # Each alert was posted once, except the one in flight when the dispatcher died. Posts are
    # told apart by the alert id in their footer: a resent alert is rendered again, and its
    # copy count may have grown in between, so its payload need not repeat byte for byte.
    posted = [
        int(m.group(1))
        for p in slack.posts
        if (m := re.search(r"alert #(\d+)", json.dumps(p.payload, ensure_ascii=False)))
    ]
    assert len(posted) == len(slack.posts)
    assert len(posted) - len(set(posted)) <= 1
    assert set(posted) == {r["id"] for r in new}


@pytest.mark.slow
def test_sighup_reloads_the_config_and_logs_are_json_lines(web, tmp_path: Path) -> None:
    config = fast_config(
        tmp_path, f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"], interval="1h")
    )
    log_path = tmp_path / "daemon.log"
    with open(log_path, "ab") as log_file:
        proc = start_marsad("--log-format", "json", "run", config=config, stderr=log_file)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "crawl ok" not in log_path.read_text():
                time.sleep(0.2)
            # Only one source is left in the new config.
            text = config.read_text().split("[[sources]]")
            config.write_text("[[sources]]".join(text[:2]), encoding="utf-8")
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "config reloaded" not in log_path.read_text():
                time.sleep(0.2)
            while (
                time.monotonic() < deadline
                and "marsad running: 1 sources" not in log_path.read_text()
            ):
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)
    messages = [entry["message"] for entry in lines]
    assert any(m.startswith("config reloaded") for m in messages)
    assert any(m.startswith("marsad running: 1 sources") for m in messages)
    assert any(m.startswith("[sawt] crawl ok") for m in messages)


# --- the daemon's own loop, in this process ------------------------------------------------

QUIET_SOURCE = """[[sources]]
name = "quiet"
kind = "rss"
url = "http://127.0.0.1:9/feed.xml"
interval = "1h"
"""


def job_policies(scheduler) -> dict[str, tuple]:
    return {
        job.id: (job.coalesce, job.max_instances, job.misfire_grace_time)
        for job in scheduler.get_jobs()
    }


def test_every_job_has_an_id_and_runs_once_at_a_time(tmp_path: Path) -> None:
    from crawler.config import load_config
    from crawler.storage.db import open_database
    from scheduler import Daemon

    config = fast_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", QUIET_SOURCE)
    daemon = Daemon(load_config(config), config_path=str(config))
    daemon.db = open_database(f"sqlite:///{tmp_path / 'm.db'}")  # as `open()` leaves it
    scheduler = daemon.build_scheduler()
    scheduler.start(paused=True)
    try:
        policies = job_policies(scheduler)
        executors = {job.id: job.executor for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert policies == {
        "crawl:quiet": (True, 1, 3600),
        "dispatch:slack": (True, 1, 30),
        "dispatch:email": (True, 1, 30),
        "dispatch:log": (True, 1, 30),
        "spike": (True, 1, 600),
        "digest": (True, 1, 3600),
        "maintenance": (True, 1, 3600),
    }
    assert executors["crawl:quiet"] == "crawls"
    # Each channel's dispatch in a thread of its own: a hung SMTP never holds Slack's turn.
    assert {executors[f"dispatch:{c}"] for c in ("slack", "email", "log")} == {"dispatch"}


def test_the_main_thread_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The handlers only note a signal; the daemon's main thread, waiting for one, builds the
    schedule again from the file on SIGHUP and stops on SIGTERM."""
    import threading

    from crawler.config import load_config
    from scheduler import Daemon

    disabled = QUIET_SOURCE + "enabled = false\n"  # no crawl process: the loop is the point
    config = fast_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", disabled)
    daemon = Daemon(load_config(config), config_path=str(config))
    lock = daemon.open()
    seen: dict[str, object] = {}

    def wait_until(check) -> None:
        deadline = time.monotonic() + 10
        while not check():
            assert time.monotonic() < deadline, "not within 10s"
            time.sleep(0.05)

    def operator() -> None:
        try:
            wait_until(lambda: daemon.scheduler is not None and daemon.scheduler.running)
            first = daemon.scheduler
            seen["before"] = first.get_job("dispatch:slack").trigger.interval
            config.write_text(
                config.read_text().replace('dispatch_interval = "0.5s"', 'dispatch_interval = "7s"')
            )
            os.kill(os.getpid(), signal.SIGHUP)
            wait_until(lambda: daemon.scheduler is not first and daemon.scheduler.running)
            seen["after"] = daemon.scheduler.get_job("dispatch:slack").trigger.interval
            seen["first running"] = first.running
        except BaseException as exc:
            seen["error"] = exc
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    handlers = daemon.install_signal_handlers()
    thread = threading.Thread(target=operator)
    try:
        thread.start()
        code = daemon.run_forever()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        thread.join(10)
        lock.release()
        daemon.db.dispose()
    assert "error" not in seen, seen.get("error")
    assert code == 0 and daemon.stopping
    assert seen["before"].total_seconds() == 0.5 and seen["after"].total_seconds() == 7
    assert seen["first running"] is False, "the old schedule was shut down before the new one"
    assert not daemon.scheduler.running


def test_run_once_gives_the_signal_handlers_back(tmp_path: Path) -> None:
    """`run --once` inside another program (a test's process) leaves its handlers as they were."""
    disabled = QUIET_SOURCE + "enabled = false\n"
    config = fast_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", disabled)
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    result = invoke_marsad("run", "--once", config=config)
    assert result.returncode == 0, result.stderr
    assert {sig: signal.getsignal(sig) for sig in before} == before
