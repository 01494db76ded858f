"""The spike alert: a day whose reports reach 3 times the daily average of the 14 days before,
and at least `alerts.spike_min_reports`, sends one alert, once that day, listing its top
developments; a smaller day sends none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.channels import build_transports
from alerts.outbox import Dispatcher
from alerts.spike import check_spike
from crawler.storage.db import Database
from crawler.storage.models import Alert, Article, Development
from tests.alerting import BASE_URL, TITLES, alert_config, slack_texts
from tests.fakes.slack import FakeSlack

# Noon, so that every report of the day and of the days before falls on its own date.
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def add_reports(
    db: Database, day: datetime, count: int, *, story: str = "خبر", copies: int = 0
) -> int:
    """``count`` reports of one development published on ``day`` (and ``copies`` of the
    first); returns the development's id."""
    with db.write() as session:
        dev = Development(topic="contract", topics=["contract"], countries=["Turkey"])
        session.add(dev)
        session.flush()
        first_id = None
        for i in range(count + copies):
            n = session.scalar(select(Article.id).order_by(Article.id.desc()).limit(1)) or 0
            article = Article(
                url=f"https://wire.example/{n + 1}",
                source="wire" if i == 0 else "daily",
                title=f"{story} رقم {i + 1}",
                text=f"{story} {n}",
                normalized_text=f"{story} {n}",
                content_hash=f"{n + 1:064d}",
                published_at=day + timedelta(minutes=i),
                fetched_at=day,
                topics=["contract"],
                countries=["Turkey"],
                development_id=dev.id,
                duplicate_of=first_id if i >= count else None,
            )
            session.add(article)
            session.flush()
            first_id = first_id or article.id
        dev.first_article_id = first_id
        return dev.id


def baseline(db: Database, per_day: int) -> None:
    for days_ago in range(1, 15):
        if per_day:
            add_reports(db, NOW - timedelta(days=days_ago), per_day, story=f"قديم {days_ago}")


def spike_rows(db: Database) -> list[Alert]:
    with db.read() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == "spike")))


def test_a_spike_day_sends_one_alert_listing_its_top_developments(
    database: Database, slack: FakeSlack
) -> None:
    config = alert_config(f'[alerts.slack]\nwebhook_url = "{slack.webhook_url}"\n')
    baseline(database, 1)
    # Today: 7 reports (and copies, which are no reports) against an average of 1 a day.
    big = add_reports(database, NOW - timedelta(hours=2), 4, story="الصفقة الكبرى", copies=3)
    add_reports(database, NOW - timedelta(hours=3), 2, story="التسليم")
    add_reports(database, NOW - timedelta(hours=4), 1, story="العقوبات")

    check = check_spike(database, config, NOW)
    assert (check.day.isoformat(), check.reports, check.average) == ("2026-12-06", 7, 1.0)
    assert check.queued == 1
    # Checked again the same day (the job runs every few minutes): nothing more.
    add_reports(database, NOW - timedelta(hours=1), 2, story="المزيد")
    assert check_spike(database, config, NOW + timedelta(hours=3)).queued == 0
    [row] = spike_rows(database)
    assert row.key == "spike:2026-12-06:slack"

    report = Dispatcher(database, config, build_transports(config.alerts)).dispatch()
    assert report.sent == 1
    [post] = slack.posts
    texts = slack_texts(post.payload)
    assert post.payload["blocks"][0]["text"]["text"] == "ارتفاع مفاجئ في التغطية / Coverage spike"
    assert "تقارير يوم 2026-12-06: 7" in texts
    assert "7.0× the daily average of the 14 days before (1.0)" in texts
    # The developments with the most reports that day, the largest first.
    order = [texts.index(f"{story} رقم 1") for story in ("الصفقة الكبرى", "التسليم", "العقوبات")]
    assert order == sorted(order)
    assert "قديم" not in texts
    assert f"التقارير: 4 · النسخ: 3 — {TITLES['wire']}، {TITLES['daily']}" in texts
    with database.read() as session:
        first = session.get(Development, big)
        assert first is not None
        assert f"<{BASE_URL}/articles/{first.first_article_id}|" in texts

    # The next day is a day of its own.
    add_reports(database, NOW + timedelta(days=1), 8, story="يوم آخر")
    assert check_spike(database, config, NOW + timedelta(days=1)).queued == 1
    assert [r.key for r in spike_rows(database)][-1] == "spike:2026-12-07:slack"


def test_no_spike_below_the_minimum_or_below_three_times_the_average(
    database: Database, slack: FakeSlack
) -> None:
    config = alert_config(
        f'[alerts]\nspike_min_reports = 8\n\n[alerts.slack]\nwebhook_url = "{slack.webhook_url}"\n'
    )
    # 7 reports and none before: far above the average, but under the minimum of 8.
    add_reports(database, NOW - timedelta(hours=1), 7)
    check = check_spike(database, config, NOW)
    assert (check.reports, check.average, check.queued) == (7, 0.0, 0)

    # 10 reports against an average of 4 a day: above the minimum, under 3 times the average.
    add_reports(database, NOW - timedelta(hours=2), 3)
    baseline(database, 4)
    check = check_spike(database, config, NOW)
    assert (check.reports, check.average, check.queued) == (10, 4.0, 0)
    assert spike_rows(database) == []

    # Two more make 12 = 3 × 4: a spike.
    add_reports(database, NOW - timedelta(hours=3), 2)
    assert check_spike(database, config, NOW).queued == 1


def test_days_are_those_of_the_digest_time_zone(database: Database, slack: FakeSlack) -> None:
    config = alert_config(
        '[alerts]\nspike_min_reports = 3\ndigest_timezone = "Asia/Riyadh"\n\n'
        f'[alerts.slack]\nwebhook_url = "{slack.webhook_url}"\n'
    )
    # 22:30 UTC on the 6th is 01:30 on the 7th in Riyadh.
    late = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)
    add_reports(database, late - timedelta(minutes=10), 3)
    check = check_spike(database, config, late)
    assert (check.day.isoformat(), check.reports, check.queued) == ("2026-12-07", 3, 1)
