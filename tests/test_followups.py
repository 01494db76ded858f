"""Follow-ups: later independent reports join their development; threaded or digested."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.digest import queue_digest
from crawler.config import load_config
from crawler.storage.db import open_database
from tests.conftest import write_config
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.fixtureweb import ArticleSpec, Expected
from tests.helpers import invoke_marsad, smtp_toml, stored_articles

# An independent report (own wording, not a copy) of the starter set's Turkey contract story.
FOLLOW_UP_PARAGRAPHS = [
    "أكد مسؤول روسي رفيع أن موسكو وأنقرة تقتربان من إبرام عقد جديد تحصل تركيا بموجبه على "
    "بطاريات إضافية من منظومة «إس-400»، متوقعاً أن يتم التوقيع قبل حلول العام المقبل.",
    "وأشار المسؤول، في حديث لقناة تلفزيونية محلية، إلى أن الخلاف الوحيد المتبقي يتعلق "
    "بحجم المكون التركي في تصنيع أجزاء من المنظومة.",
    "من جهتها، اكتفت وزارة الدفاع التركية بالقول إن خيارات تعزيز الدفاع الجوي للبلاد "
    "تبقى مفتوحة، دون تأكيد موعد للتوقيع.",
]


def follow_up_spec(web) -> ArticleSpec:
    original = web.spec("sawt/turkey-second-contract")
    return ArticleSpec(
        slug="turkey-contract-close",
        outlet="nafitha",
        title="مسؤول روسي: عقد «إس-400» الثاني مع تركيا بات وشيكاً",
        paragraphs=FOLLOW_UP_PARAGRAPHS,
        published=original.published + timedelta(hours=20),
        expected=Expected(relevant=True, terms=("S-400",), topics=("contract",)),
    )


def follow_up_article(web, config: Path) -> dict:
    url = web.url("nafitha/turkey-contract-close")
    return next(a for a in stored_articles(config) if a["url"] == url)


def config_with(tmp_path: Path, db_url: str, web, alerts: str) -> Path:
    return write_config(tmp_path / "marsad.toml", db_url, alerts + "\n" + web.sources_toml(["rss"]))


def test_threaded_follow_up_replies_under_the_first_alert(web, db_url: str, tmp_path: Path) -> None:
    with FakeSlack() as slack, FakeSmtp() as smtp:
        config = config_with(
            tmp_path,
            db_url,
            web,
            f"""[alerts]
follow_ups = "thread"

[alerts.slack]
bot_token = "{slack.bot_token}"
channel = "#s400"
api_base_url = "{slack.api_url}"

{smtp_toml(smtp.port)}""",
        )
        assert invoke_marsad("run", "--once", config=config).returncode == 0
        first_posts = len(slack.posts)
        web.publish("nafitha", follow_up_spec(web))
        result = invoke_marsad("run", "--once", config=config)
        assert result.returncode == 0, result.stderr

        articles = {a["url"]: a for a in stored_articles(config)}
        original = articles[web.url("sawt/turkey-second-contract")]
        follow = articles[web.url("nafitha/turkey-contract-close")]
        assert follow["duplicate_of"] is None, "an independent report is not a copy"
        assert follow["development_id"] == original["development_id"]

        rows = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
        follow_rows = [r for r in rows if r["article_id"] == follow["id"]]
        assert {(r["kind"], r["channel"]) for r in follow_rows} == {
            ("follow-up", "slack"),
            ("follow-up", "email"),
        }
        assert all(r["status"] == "sent" for r in follow_rows), follow_rows

        # Slack: the follow-up is a thread reply to the development's first post.
        assert len(slack.posts) == first_posts + 1
        reply = slack.posts[-1]
        parent_ts = {
            p.ts
            for p in slack.posts[:first_posts]
            if "تركيا" in json.dumps(p.payload, ensure_ascii=False)
        }
        assert reply.payload.get("thread_ts") in parent_ts
        # Email: the follow-up threads under the development's first mail.
        mail = smtp.messages[-1]
        first = next(m for m in smtp.messages[:-1] if m["Message-ID"] == mail["In-Reply-To"])
        assert mail["References"] and first["Message-ID"] in mail["References"]


def test_webhook_cannot_thread_so_follow_ups_are_skipped_there(web, tmp_path: Path) -> None:
    with FakeSlack() as slack:
        config = config_with(
            tmp_path,
            f"sqlite:///{tmp_path / 'm.db'}",
            web,
            f'[alerts]\nfollow_ups = "thread"\n\n[alerts.slack]\nwebhook_url = "{slack.webhook_url}"\n',
        )
        assert invoke_marsad("run", "--once", config=config).returncode == 0
        posts = len(slack.posts)
        web.publish("nafitha", follow_up_spec(web))
        assert invoke_marsad("run", "--once", config=config).returncode == 0
        rows = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
        follow = follow_up_article(web, config)
        follow_rows = [r for r in rows if r["article_id"] == follow["id"]]
        assert [(r["kind"], r["status"]) for r in follow_rows] == [("follow-up", "skipped")]
        assert len(slack.posts) == posts


def test_digest_collects_follow_ups_and_is_sent_only_with_news(web, tmp_path: Path) -> None:
    with FakeSmtp() as smtp:
        config = config_with(
            tmp_path,
            f"sqlite:///{tmp_path / 'm.db'}",
            web,
            smtp_toml(smtp.port),
        )
        assert invoke_marsad("run", "--once", config=config).returncode == 0
        web.publish("nafitha", follow_up_spec(web))
        assert invoke_marsad("run", "--once", config=config).returncode == 0
        rows = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
        follow = follow_up_article(web, config)
        waiting = [r for r in rows if r["article_id"] == follow["id"]]
        assert [(r["kind"], r["status"]) for r in waiting] == [("follow-up", "pending")]
        # Parked for the digest: not a stuck alert for `status`.
        assert invoke_marsad("status", config=config).returncode == 0

        cfg = load_config(config)
        db = open_database(cfg.database.url)
        try:
            assert queue_digest(db, cfg) > 0
            mails_before = len(smtp.messages)
            assert invoke_marsad("run", "--once", config=config).returncode == 0
            assert len(smtp.messages) == mails_before + 1
            digest = smtp.messages[-1]
            text = digest.get_body(("plain",)).get_content()
            assert "بات وشيكاً" in text
            rows = json.loads(
                invoke_marsad("alerts", "list", "--format", "json", config=config).stdout
            )
            assert all(r["status"] == "sent" for r in rows if r["kind"] == "follow-up")
            # Nothing new since: a digest a day later has nothing to say and is not queued.
            assert queue_digest(db, cfg, datetime.now(UTC) + timedelta(days=2)) == 0
        finally:
            db.dispose()
