"""Fault injection: Marsad under the faults of issue 16, each probe a row of one table.

    python -m benchmarks.chaos                          # every probe (about 4 minutes on 2 cores)
    python -m benchmarks.chaos --only kill-child        # some probes (repeatable; --list names them)
    python -m benchmarks.chaos --keep                   # keep the work folder (configs, logs, databases)

Every probe runs real `marsad` processes (`marsad crawl`, `marsad run`) with a config and a
SQLite database of its own, against loopback servers only: the fixture news web
(tests/fixtureweb), a static site and a host that never answers (tests/fakes/site.py), a fake
Slack (tests/fakes/slack.py) and an SMTP server (aiosmtpd, tests/fakes/smtp.py). Intervals are
seconds long, which the config allows for loopback sources.

The table (Markdown) goes to stdout, progress to stderr; the exit status is 1 when any row
failed. A probe that breaks (a wait that times out, an exception) is one failed row saying so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the repo root holds tests/ and crawler/
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from benchmarks.chaos_hostile import crawl_hostile_web  # noqa: E402
from crawler.storage.db import Database, open_database  # noqa: E402
from crawler.storage.models import Alert, CrawlRun, SourceHealth  # noqa: E402
from tests.fakes.site import hung_host  # noqa: E402
from tests.fakes.slack import FakeSlack, SlackReply, SlackRequest  # noqa: E402
from tests.fakes.smtp import FakeSmtp  # noqa: E402
from tests.fixtureweb import FixtureWeb, default_web, late_spec  # noqa: E402
from tests.helpers import (  # noqa: E402
    DaemonProcess,
    alive,
    fast_config,
    invoke_marsad,
    smtp_toml,
    stored_articles,
    wait_for,
)

# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    probe: str
    expected: str
    seen: str
    passed: bool


@dataclass(frozen=True)
class Probe:
    key: str  # the name --only takes
    title: str
    expected: str  # shown when the probe breaks before it can compare anything
    run: Callable[[Path], list[Row]]


def run_probes(probes: Sequence[Probe], workdir: Path) -> list[Row]:
    """Each probe in a folder of its own under `workdir`; its rows, or one failed row saying
    how it broke."""
    rows: list[Row] = []
    for probe in probes:
        folder = workdir / probe.key
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            found = probe.run(folder)
        except Exception as exc:  # a probe that breaks is a failed row, and the others still run
            found = [Row(probe.title, probe.expected, f"broke: {type(exc).__name__}: {exc}", False)]
        took = time.monotonic() - started
        verdict = "PASS" if all(r.passed for r in found) else "FAIL"
        print(f"{probe.key}: {verdict} in {took:.0f}s", file=sys.stderr, flush=True)
        rows += found
    return rows


def render(rows: Sequence[Row]) -> str:
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = ["| probe | expected | seen | result |", "| --- | --- | --- | --- |"]
    for row in rows:
        cells = (row.probe, row.expected, row.seen, "PASS" if row.passed else "**FAIL**")
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)


# --- what the probes share ------------------------------------------------------------------

GOOD_OUTLETS = ("sawt", "nafitha", "bayraq")


@contextmanager
def database(workdir: Path) -> Iterator[Database]:
    """The probe's SQLite database, created (migrated) before any daemon starts."""
    db = open_database(f"sqlite:///{workdir / 'marsad.db'}")
    try:
        yield db
    finally:
        db.dispose()


def runs_of(db: Database, source: str) -> list[CrawlRun]:
    with db.read() as session:
        runs = list(
            session.scalars(select(CrawlRun).where(CrawlRun.source == source).order_by(CrawlRun.id))
        )
        session.expunge_all()
    return runs


def run_status(db: Database, run_id: int) -> str:
    with db.read() as session:
        return session.get_one(CrawlRun, run_id).status


def alert_rows(config: Path) -> list[dict[str, Any]]:
    result = invoke_marsad("alerts", "list", "--format", "json", config=config)
    return json.loads(result.stdout) if result.returncode == 0 else []


def new_alerts(config: Path, channel: str) -> list[dict[str, Any]]:
    return [r for r in alert_rows(config) if r["kind"] == "new" and r["channel"] == channel]


def all_sent(config: Path, channel: str) -> bool:
    rows = new_alerts(config, channel)
    return bool(rows) and all(r["status"] == "sent" for r in rows)


def alert_ids(requests: Sequence[SlackRequest]) -> list[int]:
    """The outbox ids of Slack posts, read from their footers ("alert #12")."""
    return footer_ids(json.dumps(r.payload, ensure_ascii=False) for r in requests)


def footer_ids(texts: Iterable[str]) -> list[int]:
    return [int(m.group(1)) for t in texts if (m := re.search(r"alert #(\d+)", t))]


def hang_articles(web: FixtureWeb, outlet: str) -> None:
    """Every article page of `outlet` takes the connection and never answers."""
    for spec in web.articles(outlet):
        web.set_fault(web.outlet(outlet).path_for(spec), "hang", outlet=outlet)


def hung_requests(web: FixtureWeb, outlet: str) -> int:
    return sum(1 for r in web.requests if r.outlet == outlet and r.fault == "hang")


def fetching_run(db: Database, web: FixtureWeb, source: str, after: int = 0) -> CrawlRun:
    """Wait for a run of `source` newer than run `after` whose crawl child is stuck on a hung
    page of it; returns that run."""
    hung_before = hung_requests(web, source)
    found: list[CrawlRun] = []

    def stuck() -> bool:
        found[:] = [r for r in runs_of(db, source) if r.id > after and r.status == "running"]
        return bool(found) and hung_requests(web, source) > hung_before

    wait_for(stuck, 60, f"a crawl of {source} fetching a page that hangs")
    return found[-1]


def relevant_urls_stored(web: FixtureWeb, config: Path) -> tuple[int, int, int]:
    """(relevant fixture articles stored, relevant fixture articles, URLs stored twice)."""
    urls = [a["url"] for a in stored_articles(config)]
    relevant = {s.key for s in web.articles() if s.expected.relevant}
    stored = {web.key_for_url(u) for u in urls} & relevant
    return len(stored), len(relevant), len(urls) - len(set(urls))


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def slack_toml(slack: FakeSlack) -> str:
    return f'[alerts.slack]\nwebhook_url = "{slack.webhook_url}"\n'


# --- the probes -----------------------------------------------------------------------------


def probe_hostile(workdir: Path) -> list[Row]:
    return [Row(*line) for line in crawl_hostile_web(workdir)]


def probe_kill_daemon_in_crawl(workdir: Path) -> list[Row]:
    title = "kill -9 of the daemon during a crawl"
    with default_web() as web, database(workdir) as db:
        hang_articles(web, "bayraq")
        config = fast_config(workdir, db.url, web.sources_toml(["rss"], "2s"))
        with DaemonProcess(config, workdir / "first.log") as first:
            assert first.proc is not None
            run = fetching_run(db, web, "bayraq")
            assert run.pid is not None
            first.proc.kill()  # the daemon alone: its crawl child is left to notice
            first.proc.wait(10)
            killed = time.monotonic()
            wait_for(lambda: not alive(run.pid or 0), 30, "the orphaned crawl child gone")
            child_gone = time.monotonic() - killed
        left_as = run_status(db, run.id)
        web.clear_fault(outlet="bayraq")
        with DaemonProcess(config, workdir / "second.log") as second:
            wait_for(lambda: run_status(db, run.id) == "abandoned", 30, "the run abandoned")
            wait_for(
                lambda: (
                    relevant_urls_stored(web, config)[0] == relevant_urls_stored(web, config)[1]
                ),
                60,
                "every relevant article stored after the restart",
            )
            second.terminate()
        stored, relevant, twice = relevant_urls_stored(web, config)
    return [
        Row(
            f"{title}: the crawl child",
            "exits by itself (parent watch) within 10 s",
            f"gone {child_gone:.1f}s after the kill",
            child_gone < 10,
        ),
        Row(
            f"{title}: its run",
            "abandoned (at the latest when the next daemon starts)",
            f"'{left_as}' when the child ended, '{run_status(db, run.id)}' after the restart",
            run_status(db, run.id) == "abandoned",
        ),
        Row(
            f"{title}: after the restart",
            "every relevant article stored, none twice",
            f"{stored}/{relevant} stored, {twice} stored twice",
            stored == relevant and twice == 0,
        ),
    ]


def probe_kill_child(workdir: Path) -> list[Row]:
    with default_web() as web, database(workdir) as db:
        hang_articles(web, "bayraq")
        config = fast_config(workdir, db.url, web.sources_toml(["rss"], "2s", outlets=["bayraq"]))
        with DaemonProcess(config, workdir / "daemon.log") as daemon:
            assert daemon.proc is not None
            run = fetching_run(db, web, "bayraq")
            assert run.pid is not None
            os.kill(run.pid, signal.SIGKILL)
            killed = time.monotonic()
            web.clear_fault(outlet="bayraq")
            wait_for(lambda: run_status(db, run.id) != "running", 30, "the killed run recorded")

            def next_ok() -> bool:
                return any(r.id > run.id and r.status == "ok" for r in runs_of(db, "bayraq"))

            wait_for(next_ok, 60, "a later crawl of the source ending ok")
            recovered = time.monotonic() - killed
            daemon_alive = daemon.proc.poll() is None
            code = daemon.terminate()
        killed_run = next(r for r in runs_of(db, "bayraq") if r.id == run.id)
    return [
        Row(
            "kill -9 of the crawl child",
            "run recorded failed or abandoned; the daemon goes on and crawls the source again",
            f"run '{killed_run.status}' ({killed_run.last_error}); daemon "
            f"{'alive' if daemon_alive else 'DEAD'}, next run ok {recovered:.0f}s after the kill, "
            f"exit {code} on SIGTERM",
            killed_run.status in {"error", "abandoned"} and daemon_alive and code == 0,
        )
    ]


def probe_kill_daemon_in_dispatch(workdir: Path) -> list[Row]:
    with FakeSlack() as slack, default_web() as web, database(workdir) as db:
        config = fast_config(workdir, db.url, web.sources_toml(["rss"], "1h"), slack_toml(slack))
        slack.script(SlackReply.slow(3.0))  # the first post is in flight for 3 s
        with DaemonProcess(config, workdir / "first.log") as first:
            assert first.proc is not None
            wait_for(lambda: slack.arrived, 60, "a Slack post in flight")
            first.proc.kill()
            first.proc.wait(10)
        # Slack takes the post in flight (the fake answers it after the kill).
        wait_for(lambda: slack.requests, 10, "the post in flight answered")
        in_flight = alert_ids(slack.requests[:1])
        with DaemonProcess(config, workdir / "second.log") as second:
            wait_for(lambda: all_sent(config, "slack"), 60, "every new alert sent")
            second.terminate()
        rows = new_alerts(config, "slack")
    posted = Counter(alert_ids(slack.posts))
    twice = sorted(i for i, n in posted.items() if n > 1)
    lost = {r["id"] for r in rows} - set(posted)
    return [
        Row(
            "kill -9 of the daemon during dispatch",
            "each alert posted at most twice (only the one in flight), none lost after restart",
            f"{len(rows)} alerts, {sum(posted.values())} posts; posted twice: {twice or 'none'} "
            f"(in flight: {in_flight}); lost: {sorted(lost) or 'none'}",
            max(posted.values(), default=0) <= 2 and set(twice) <= set(in_flight) and not lost,
        )
    ]


RESTARTS = 5


def probe_sigterm_restarts(workdir: Path) -> list[Row]:
    with FakeSlack() as slack, default_web() as web, database(workdir) as db:
        alerts = "source_failure_threshold = 3\n\n" + slack_toml(slack)
        config = fast_config(
            workdir, db.url, web.sources_toml(["rss"], "2s", outlets=["bayraq"]), alerts
        )
        hang_articles(web, "bayraq")
        codes, last = [], 0
        for i in range(RESTARTS):
            with DaemonProcess(config, workdir / f"daemon-{i}.log") as daemon:
                last = fetching_run(db, web, "bayraq", after=last).id
                codes.append(daemon.terminate(timeout=30))
        statuses = Counter(r.status for r in runs_of(db, "bayraq"))
        with db.read() as session:
            health = session.get(SourceHealth, "bayraq")
            streak = health.error_streak if health else 0
            health_alerts = session.scalars(
                select(Alert.id).where(Alert.kind == "source-health")
            ).all()
        texts = [json.dumps(p.payload, ensure_ascii=False) for p in slack.posts]
        down_posts = [t for t in texts if "bayraq" in t and "failing" in t]
    return [
        Row(
            f"SIGTERM restarts x{RESTARTS} mid-crawl",
            "each exit 0; runs recorded stopped; error streak 0; no source-down alert",
            f"exit codes {codes}; bayraq runs {dict(statuses)}; streak {streak}; "
            f"source-health alerts {len(health_alerts)}, Slack 'failing' posts {len(down_posts)}",
            codes == [0] * RESTARTS
            and statuses.get("stopped", 0) >= RESTARTS
            and set(statuses) <= {"stopped", "ok"}
            and streak == 0
            and not health_alerts
            and not down_posts,
        )
    ]


RETRY_AFTER = 2


def probe_slack_throttled(workdir: Path) -> list[Row]:
    with FakeSlack() as slack, default_web() as web, database(workdir) as db:
        config = fast_config(workdir, db.url, web.sources_toml(["rss"], "1h"), slack_toml(slack))
        slack.script(
            SlackReply.rate_limited(retry_after=RETRY_AFTER),
            SlackReply.server_error(500),
            SlackReply.server_error(500),
        )
        with DaemonProcess(config, workdir / "daemon.log") as daemon:
            wait_for(lambda: all_sent(config, "slack"), 90, "every new alert sent")
            daemon.terminate()
        rows = new_alerts(config, "slack")
    answers = [r.status for r in slack.requests]
    throttled = slack.requests[0]
    [throttled_id] = alert_ids([throttled])
    retried = [r for r in slack.requests[1:] if alert_ids([r]) == [throttled_id]]
    waited = retried[0].at - throttled.at if retried else float("nan")
    posted = Counter(alert_ids(slack.posts))
    return [
        Row(
            f"Slack 429 (Retry-After {RETRY_AFTER}s), then 500, 500",
            f"each alert delivered exactly once; the throttled one retried after >= {RETRY_AFTER}s",
            f"answers {answers[:4]}...; {len(rows)} alerts, posts per alert "
            f"{sorted(set(posted.values()))}; throttled alert retried after {waited:.1f}s",
            answers[:3] == [429, 500, 500]
            and set(posted) == {r["id"] for r in rows}
            and set(posted.values()) == {1}
            and waited >= RETRY_AFTER - 0.05,
        )
    ]


SMTP_TIMEOUT = 5


def probe_smtp_down(workdir: Path) -> list[Row]:
    """The starter set's alerts meet an SMTP server that hangs; while its emails wait out their
    timeouts one after another, an article breaks, and its Slack alert is timed."""
    with (
        FakeSlack() as slack,
        default_web() as web,
        database(workdir) as db,
        hung_host() as hung,
    ):
        email = smtp_toml(hung.port) + f'timeout = "{SMTP_TIMEOUT}s"\n'
        channels = slack_toml(slack) + "\n" + email
        config = fast_config(workdir, db.url, web.sources_toml(["rss"], "2s"), channels)
        smtp = FakeSmtp(port=hung.port)
        with DaemonProcess(config, workdir / "daemon.log") as daemon:
            try:
                wait_for(lambda: all_sent(config, "slack"), 60, "the starter set's Slack alerts")
                wait_for(
                    lambda: any(r["attempts"] for r in new_alerts(config, "email")),
                    30,
                    "an email on its way to the hung server",
                )
                late_url = web.publish("nafitha", late_spec("nafitha"))
                wait_for(
                    lambda: slack_wait(config, late_url) is not None,
                    120,
                    "the late article's Slack alert sent",
                )
                waited = slack_wait(config, late_url) or 0.0
                failed = sum(1 for r in new_alerts(config, "email") if r["last_error"])
                hung.close()
                smtp.start()
                wait_for(lambda: all_sent(config, "email"), 90, "every email sent after recovery")
                daemon.terminate()
            finally:
                smtp.stop()
        emails = new_alerts(config, "email")
    delivered = Counter(footer_ids(m.get_body(("plain",)).get_content() for m in smtp.messages))
    return [
        Row(
            "SMTP hung (accepts, never answers), then up",
            "each email delivered exactly once after recovery",
            f"emails failed while it hung: {failed}; {len(emails)} emails, deliveries per "
            f"alert {sorted(set(delivered.values()))}",
            set(delivered) == {r["id"] for r in emails} and set(delivered.values()) == {1},
        ),
        Row(
            "Slack beside the hung SMTP",
            "an article published while emails hang: its Slack alert sent within the SMTP "
            f"timeout ({SMTP_TIMEOUT}s) of being queued",
            f"sent {waited:.1f}s after it was queued",
            waited < SMTP_TIMEOUT,
        ),
    ]


def slack_wait(config: Path, url: str) -> float | None:
    """Seconds from queueing to sending of the Slack alert for the article at `url`; None
    while it is not sent."""
    ids = {a["id"] for a in stored_articles(config) if a["url"] == url}
    rows = [r for r in new_alerts(config, "slack") if r["article_id"] in ids and r["sent_at"]]
    return seconds_between(rows[0]["created_at"], rows[0]["sent_at"]) if rows else None


PROBES = [
    Probe(
        "hostile",
        "hostile sources",
        "one crawl of every hostile source beside good ones",
        probe_hostile,
    ),
    Probe(
        "kill-daemon-crawl",
        "kill -9 of the daemon during a crawl",
        "child exits; run abandoned; nothing stored twice",
        probe_kill_daemon_in_crawl,
    ),
    Probe(
        "kill-child",
        "kill -9 of the crawl child",
        "run failed or abandoned; daemon goes on",
        probe_kill_child,
    ),
    Probe(
        "kill-daemon-dispatch",
        "kill -9 of the daemon during dispatch",
        "each alert at most twice, none lost",
        probe_kill_daemon_in_dispatch,
    ),
    Probe(
        "sigterm-restarts",
        f"SIGTERM restarts x{RESTARTS} mid-crawl",
        "runs stopped, no source-down alert",
        probe_sigterm_restarts,
    ),
    Probe(
        "slack-429-500",
        "Slack 429, then 500s",
        "each alert delivered exactly once",
        probe_slack_throttled,
    ),
    Probe(
        "smtp-down",
        "SMTP hung, then up",
        "email delivered once; Slack not delayed",
        probe_smtp_down,
    ),
]


def main(argv: Sequence[str] | None = None, probes: Sequence[Probe] = PROBES) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", action="append", default=[], help="run only this probe")
    parser.add_argument("--list", action="store_true", help="name the probes and exit")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--workdir", type=Path, help="work here (kept) instead of a temp folder")
    args = parser.parse_args(argv)
    by_key = {p.key: p for p in probes}
    if args.list:
        print("\n".join(f"{p.key}: {p.title}" for p in probes))
        return 0
    unknown = set(args.only) - set(by_key)
    if unknown:
        parser.error(f"unknown probe(s) {sorted(unknown)}; choose from {sorted(by_key)}")
    chosen = [p for p in probes if not args.only or p.key in args.only]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="marsad-chaos-"))
    started = time.monotonic()
    try:
        rows = run_probes(chosen, workdir)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work folder kept: {workdir}", file=sys.stderr)
    print(render(rows))
    failed = sum(1 for r in rows if not r.passed)
    print(
        f"\n{len(rows)} rows, {failed} failed, {time.monotonic() - started:.0f}s",
        file=sys.stderr,
    )
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
