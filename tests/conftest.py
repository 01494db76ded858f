"""Shared fixtures: databases (SQLite, and PostgreSQL when MARSAD_TEST_DATABASE_URL is set),
the loopback fixture news web, and a config file pointing at both."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine

from crawler.analysis.classify import Classifier
from crawler.analysis.matcher import Matcher
from crawler.storage.db import Database, normalize_url, open_database
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

if TYPE_CHECKING:
    from tests.helpers import DaemonProcess

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("MARSAD_TEST_DATABASE_URL")

DB_KINDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]
# Cluster mode needs Redis beside PostgreSQL; .ci/run starts both.
REDIS_URL = os.environ.get("MARSAD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Cluster mode requires PostgreSQL, so its tests are collected only where one is configured,
# as the PostgreSQL cases of the other tests are.
collect_ignore_glob = [] if PG_URL else ["test_cluster*.py"]


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return normalize_url(PG_URL) + f"{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="module")
def clf() -> Classifier:
    """The lexicons read from their files, so a lexicon edit is what the tests see."""
    return Classifier.load()


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """The built-in watchlist; a module that needs another defines its own."""
    return Matcher()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack on loopback (webhooks and the Web API)."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    """A fake SMTP server on loopback."""
    with FakeSmtp() as fake:
        yield fake


@pytest.fixture
def daemons() -> Iterator[Callable[[Path, Path], DaemonProcess]]:
    """Starts `marsad run` processes (config, log) and kills whatever is left of them after."""
    from tests.helpers import DaemonProcess

    started: list[DaemonProcess] = []

    def start(config: Path, log: Path) -> DaemonProcess:
        daemon = DaemonProcess(config, log).start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A fresh schema of its own in the test PostgreSQL, dropped afterwards."""
    if not PG_URL:
        pytest.fail("MARSAD_TEST_DATABASE_URL is not set")
    schema = f"marsad_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the test Redis (parallel tests never meet); every key
    under it is deleted afterwards."""
    import redis

    prefix = f"marsad-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'marsad.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = open_database(db_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def web() -> Iterator:
    from tests.fixtureweb import default_web

    with default_web() as running:
        yield running


def write_config(
    path: Path, db_url: str, body: str, *, crawl: str = "", private_addresses: bool = True
) -> Path:
    """A config for the loopback fixture servers, which only a crawl that allows private
    addresses may fetch (`private_addresses=False` leaves the default guard on)."""
    allow = "allow_private_addresses = true\n" if private_addresses else ""
    text = f'[database]\nurl = "{db_url}"\n\n[crawl]\ndownload_delay = 0\nrobots_txt = true\ntimeout = "5s"\n{allow}{crawl}\n{body}'
    path.write_text(text, encoding="utf-8")
    return path
