"""The dispatcher on its own: channels that send independently, and the row a send leaves."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from alerts.channels import build_transports
from alerts.outbox import Dispatcher, DispatchReport
from crawler.config import Config, load_config
from crawler.storage.db import Database
from crawler.storage.models import Alert, utcnow
from crawler.storage.outbox import queue
from crawler.vocab import AlertKind
from tests.conftest import write_config
from tests.fakes.slack import FakeSlack, SlackReply

EMAIL_TIMEOUT = 3.0


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A port that accepts SMTP connections and never says a word (not even the greeting)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in held:
        conn.close()


def dispatcher_config(
    tmp_path: Path, db_url: str, slack: FakeSlack, smtp_port: int | None
) -> Config:
    email = f"""
[alerts.email]
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
starttls = false
sender = "marsad@example.org"
recipients = ["desk@example.org"]
timeout = "{EMAIL_TIMEOUT:g}s"
"""
    body = f"""
[alerts]
retry_backoff = "1s"

[alerts.slack]
webhook_url = "{slack.webhook_url}"
{email if smtp_port else ""}"""
    return load_config(write_config(tmp_path / "marsad.toml", db_url, body))


def queue_test_alert(db: Database, key: str, channels: list[str]) -> None:
    with db.write() as session:
        queue(
            session,
            key=key,
            kind=AlertKind.TEST,
            channels=channels,
            payload={"headline": "تجربة إرسال التنبيهات"},
        )


def test_a_silent_smtp_server_does_not_hold_back_slack(
    tmp_path: Path, db_url: str, database: Database, slack: FakeSlack, silent_smtp: int
) -> None:
    cfg = dispatcher_config(tmp_path, db_url, slack, silent_smtp)
    # Email is claimed first, so a sequential dispatch would wait out its timeout before Slack.
    queue_test_alert(database, "test:1", ["email", "slack"])
    dispatcher = Dispatcher(database, cfg, build_transports(cfg.alerts))
    reports: list[DispatchReport] = []
    round_ = threading.Thread(target=lambda: reports.append(dispatcher.dispatch()))
    started = time.monotonic()
    round_.start()
    while not slack.posts and time.monotonic() - started < EMAIL_TIMEOUT:
        time.sleep(0.05)
    posted_after = time.monotonic() - started
    round_.join(EMAIL_TIMEOUT * 4)
    assert not round_.is_alive()
    assert len(slack.posts) == 1 and posted_after < 1.5, posted_after
    assert (reports[0].sent, reports[0].retrying) == (1, 1)
    with database.read() as session:
        rows = {r.channel: r for r in session.scalars(select(Alert))}
        assert rows["slack"].status == "sent"
        assert rows["email"].status == "pending" and rows["email"].last_error


def test_a_send_after_a_failure_clears_the_error(
    tmp_path: Path, db_url: str, database: Database, slack: FakeSlack
) -> None:
    cfg = dispatcher_config(tmp_path, db_url, slack, None)
    queue_test_alert(database, "test:2", ["slack"])
    dispatcher = Dispatcher(database, cfg, build_transports(cfg.alerts))
    slack.script(SlackReply.server_error(503))
    assert dispatcher.dispatch().retrying == 1
    with database.write() as session:
        row = session.scalars(select(Alert)).one()
        assert row.status == "pending" and row.last_error
        session.execute(update(Alert).values(next_attempt_at=utcnow()))
    assert dispatcher.dispatch().sent == 1
    with database.read() as session:
        row = session.scalars(select(Alert)).one()
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_slack_rounds_go_on_while_an_email_round_hangs(
    tmp_path: Path, db_url: str, database: Database, slack: FakeSlack, silent_smtp: int
) -> None:
    """The daemon claims each channel in its own job: an alert queued while SMTP holds the
    email round for its whole timeout still goes to Slack on Slack's next round."""
    from scheduler import Daemon

    cfg = dispatcher_config(tmp_path, db_url, slack, silent_smtp)
    cfg = cfg.model_copy(
        update={
            "alerts": cfg.alerts.model_copy(update={"dispatch_interval": timedelta(seconds=0.2)})
        }
    )
    for i in range(3):  # three emails: a shared round would hold Slack for 3 x the timeout
        queue_test_alert(database, f"test:mail{i}", ["email"])
    daemon = Daemon(cfg, config_path=None)
    daemon.db = database
    scheduler = daemon.build_scheduler()
    for job in scheduler.get_jobs():
        if not job.id.startswith("dispatch:"):
            job.remove()
    scheduler.start()
    try:
        time.sleep(0.5)  # the email round is now waiting on the silent server
        queue_test_alert(database, "test:late", ["slack"])
        queued = time.monotonic()
        while not slack.posts and time.monotonic() - queued < EMAIL_TIMEOUT * 3:
            time.sleep(0.05)
        waited = time.monotonic() - queued
    finally:
        daemon.stopping = True
        scheduler.shutdown(wait=True)
    assert len(slack.posts) == 1
    assert waited < EMAIL_TIMEOUT / 2, f"Slack waited {waited:.1f}s behind the email round"
