"""`marsad web --allow-edits`: the correction forms, their CSRF tokens and session cookie, and
the read-only page that shows no form and refuses every POST."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.config import load_config
from crawler.review.web.app import create_app
from crawler.storage.db import Database, open_database
from crawler.storage.grouping import DevelopmentRecorder
from crawler.storage.models import Article, Correction, Development, SourceHealth
from crawler.storage.store import Store
from tests.conftest import write_config
from tests.test_corrections import (
    DELIVERY_BODY,
    DELIVERY_TITLE,
    INDIA_BODY,
    INDIA_TITLE,
    report,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


@dataclass
class Newsroom:
    db: Database
    config_path: Path
    turkey: int
    india: int

    def app(self, *, edits: bool) -> TestClient:
        config = load_config(str(self.config_path))
        return TestClient(
            create_app(self.db, config, edits=self.db if edits else None),
            follow_redirects=False,
        )

    def article(self, article_id: int) -> Article:
        with self.db.read() as session:
            article = session.get(Article, article_id)
            assert article is not None
            return article


@pytest.fixture
def newsroom(db_url: str, tmp_path: Path) -> Iterator[Newsroom]:
    config_path = write_config(
        tmp_path / "marsad.toml",
        db_url,
        '[[sources]]\nname = "sawt"\nkind = "rss"\nurl = "http://127.0.0.1:9/sawt.xml"\n',
    )
    db = open_database(db_url)
    store = Store(db, DevelopmentRecorder(load_config(str(config_path))))
    try:
        turkey = store.store_article(*report("http://sawt.test/1", DELIVERY_TITLE, DELIVERY_BODY))
        india = store.store_article(
            *report(
                "http://sawt.test/2",
                INDIA_TITLE,
                INDIA_BODY,
                topics=("negotiation",),
                countries=("India", "Russia"),
            )
        )
        yield Newsroom(db, config_path, turkey.article_id, india.article_id)
    finally:
        db.dispose()


def token_of(html: str) -> str:
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1 and "" not in tokens, "one token, the same in every form"
    return tokens.pop()


def test_the_read_only_page_shows_no_form_and_refuses_posts(newsroom: Newsroom) -> None:
    with newsroom.app(edits=False) as client:
        for path in (f"/articles/{newsroom.turkey}", "/developments", "/sources"):
            page = client.get(path)
            assert page.status_code == 200 and 'action="/edit/' not in page.text
            assert "set-cookie" not in page.headers
        refused = client.post(f"/edit/articles/{newsroom.turkey}/not-relevant", data={})
        assert refused.status_code == 405
    assert not newsroom.article(newsroom.turkey).not_relevant


def test_a_correction_needs_the_token_of_its_own_session(newsroom: Newsroom) -> None:
    target = f"/edit/articles/{newsroom.turkey}/not-relevant"
    with newsroom.app(edits=True) as client:
        page = client.get(f"/articles/{newsroom.turkey}")
        cookie = page.headers["set-cookie"]
        assert "marsad_session=" in cookie and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "script-src" not in page.headers["content-security-policy"]
        token = token_of(page.text)

        assert client.post(target, data={}).status_code == 403
        assert client.post(target, data={"csrf_token": "0" * 64}).status_code == 403
        with newsroom.app(edits=True) as stranger:
            stranger.get("/")  # a session of its own
            assert stranger.post(target, data={"csrf_token": token}).status_code == 403
        assert not newsroom.article(newsroom.turkey).not_relevant

        done = client.post(target, data={"csrf_token": token, "note": "إعلان"})
        assert (done.status_code, done.headers["location"]) == (
            303,
            f"/articles/{newsroom.turkey}",
        )
        assert client.post("/", data={"csrf_token": token}).status_code == 405
        assert client.put(target, data={"csrf_token": token}).status_code == 405
    assert newsroom.article(newsroom.turkey).not_relevant
    with newsroom.db.read() as session:
        row = session.scalars(select(Correction)).one()
    assert (row.kind, row.article_id, row.note) == ("not-relevant", newsroom.turkey, "إعلان")
    assert row.by.endswith("(web)")


def test_every_correction_has_its_form(newsroom: Newsroom) -> None:
    with newsroom.app(edits=True) as client:
        page = client.get(f"/articles/{newsroom.india}")
        token = token_of(page.text)
        for action in ("not-relevant", "topics", "split"):
            assert f'action="/edit/articles/{newsroom.india}/{action}"' in page.text
        topics = client.post(
            f"/edit/articles/{newsroom.india}/topics",
            data={"csrf_token": token, "topics": ["negotiation", "sanction"]},
        )
        assert topics.status_code == 303
        assert newsroom.article(newsroom.india).topics == ["negotiation", "sanction"]
        bad = client.post(
            f"/edit/articles/{newsroom.india}/topics", data={"csrf_token": token, "topics": "x"}
        )
        assert bad.status_code == 400 and f"article {newsroom.india}" in bad.text

        keep = newsroom.article(newsroom.turkey).development_id
        other = newsroom.article(newsroom.india).development_id
        timeline = client.get("/developments").text
        assert f'action="/edit/developments/{keep}/merge"' in timeline
        merged = client.post(
            f"/edit/developments/{keep}/merge", data={"csrf_token": token, "other": str(other)}
        )
        assert (merged.status_code, merged.headers["location"]) == (303, f"/developments#d{keep}")
        assert f'id="d{other}"' not in client.get("/developments").text, "merged away"
        wrong = client.post(f"/edit/developments/{keep}/wrong", data={"csrf_token": token})
        assert wrong.status_code == 303

        sources = client.get("/sources").text
        assert 'action="/edit/sources/mute"' in sources
        muted = client.post(
            "/edit/sources/mute", data={"csrf_token": token, "source": "sawt", "duration": "1d"}
        )
        assert muted.status_code == 303
        unknown = client.post(
            "/edit/sources/mute", data={"csrf_token": token, "source": "nope", "duration": "1d"}
        )
        assert unknown.status_code == 400
    with newsroom.db.read() as session:
        kinds = list(session.scalars(select(Correction.kind).order_by(Correction.id)))
        assert kinds == ["topics", "merge", "wrong", "mute"]
        dev = session.get(Development, keep)
        assert dev is not None and dev.status == "wrong"
        health = session.get(SourceHealth, "sawt")
        assert health is not None and health.muted_until is not None
