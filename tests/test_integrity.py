"""A crawled page never rewrites another outlet's article, and an article is fetched at the URL
its outlet published: two modern-template outlets on loopback, 127.0.0.1 and 127.0.0.2, stand
for two owners."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.fixtureweb import ArticleSpec, FixtureWeb, Outlet
from tests.helpers import invoke_marsad, stored_articles

NOW = datetime.now(UTC).replace(second=0, microsecond=0)

VICTIM = ArticleSpec(
    slug="s400-kazan-deal",
    outlet="wadi",
    title="توقيع عقد جديد لتوريد منظومة «إس-400» إلى دولة آسيوية",
    published=NOW - timedelta(hours=3),
    paragraphs=[
        "وقعت شركة «روس أوبورون إكسبورت» أمس عقداً جديداً لتوريد فوجين من منظومة الدفاع الجوي "
        "«إس-400» إلى دولة آسيوية، بحسب ما أعلنه مدير الشركة في مؤتمر صحفي بمدينة قازان.",
        "وأضاف المدير أن العقد يشمل تدريب الطواقم وقطع الغيار، وأن التسليم يبدأ خلال عامين.",
    ],
)
FORGED = [
    "نفت شركة «روس أوبورون إكسبورت» توقيع أي عقد لتوريد منظومة «إس-400» هذا العام، وقالت إن "
    "كل ما نشر عن صفقة قازان لا أساس له من الصحة على الإطلاق.",
    "وأكد متحدث باسم الشركة أن المحادثات مع الشركاء ما زالت في مراحلها الأولى ولم تسفر عن شيء.",
]


@pytest.fixture
def two_outlets() -> Iterator[FixtureWeb]:
    outlets = [
        Outlet(name="wadi", display_name="الوادي", template="modern", host="127.0.0.1"),
        Outlet(name="sahil", display_name="الساحل", template="modern", host="127.0.0.2"),
    ]
    with FixtureWeb(outlets) as web:
        if web.outlet("sahil").host == web.outlet("wadi").host:
            pytest.skip("this host has no second loopback address")
        yield web


def test_a_canonical_link_on_another_host_never_rewrites_its_article(
    two_outlets: FixtureWeb, tmp_path: Path
) -> None:
    web = two_outlets
    victim_url = web.publish("wadi", VICTIM)
    config = write_config(
        tmp_path / "marsad.toml",
        f"sqlite:///{tmp_path / 'm.db'}",
        # A channel, so that storing queues an alert (nothing is sent by a crawl).
        '[alerts.slack]\nwebhook_url = "http://127.0.0.1:9/hook"\n\n' + web.sources_toml(["rss"]),
    )
    assert invoke_marsad("crawl", "--source", "wadi", config=config).returncode == 0
    [stored] = stored_articles(config)
    assert stored["url"] == victim_url

    forged_url = web.publish(
        "sahil",
        ArticleSpec(
            slug="kazan-denial",
            outlet="sahil",
            title="نفي توقيع عقد «إس-400» في قازان",
            published=NOW - timedelta(hours=1),
            paragraphs=FORGED,
            canonical=victim_url,
        ),
    )
    result = invoke_marsad("crawl", config=config)
    assert result.returncode == 0, result.stderr
    assert web.count(outlet="sahil", path="/news/" + forged_url.split("/news/", 1)[1]) == 1

    by_url = {a["url"]: a for a in stored_articles(config)}
    assert set(by_url) == {victim_url, forged_url}, "the page is stored under its own URL"
    assert by_url[forged_url]["source"] == "sahil"
    victim = invoke_marsad("articles", "show", str(stored["id"]), "--format", "json", config=config)
    assert victim.returncode == 0, victim.stderr
    shown = json.loads(victim.stdout)
    assert (shown["source"], shown["title"]) == ("wadi", VICTIM.title)
    assert VICTIM.paragraphs[0] in shown["text"] and FORGED[0] not in shown["text"]

    alerts = json.loads(invoke_marsad("alerts", "list", "--format", "json", config=config).stdout)
    victim_alerts = [a for a in alerts if a["article_id"] == stored["id"]]
    assert len(victim_alerts) == 1 and victim_alerts[0]["status"] == "pending"


def test_an_article_is_requested_exactly_as_its_feed_published_it(
    two_outlets: FixtureWeb, tmp_path: Path
) -> None:
    """The fixture server routes on the raw path: the decoded form of %3A and %21 is a 404."""
    web = two_outlets
    outlet = web.outlet("wadi")
    # Not in canonical order: the query is sent as written, not sorted.
    outlet.tracking_params = "page=1&lang=ar"
    spec = ArticleSpec(
        slug="s400%3Akazan-deal%21",
        outlet="wadi",
        title=VICTIM.title,
        published=VICTIM.published,
        paragraphs=VICTIM.paragraphs,
    )
    url = web.publish("wadi", spec)
    raw_path = outlet.path_for(spec)
    config = write_config(
        tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'm.db'}", web.sources_toml(["rss"])
    )
    result = invoke_marsad("crawl", "--source", "wadi", config=config)
    assert result.returncode == 0, result.stderr

    assert [r.status for r in web.find(outlet="wadi", path=raw_path + "?page=1&lang=ar")] == [200]
    assert web.count(outlet="wadi", status=404) == 0
    [stored] = stored_articles(config)
    # Stored under the canonical form, which is also the key a second crawl checks.
    assert stored["url"] == url.replace("%3A", ":").replace("%21", "!")
    assert invoke_marsad("crawl", "--source", "wadi", config=config).returncode == 0
    assert web.count(outlet="wadi", path_prefix=raw_path) == 1
