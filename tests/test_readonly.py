"""Reading commands open the database read-only: they cannot write, they never migrate, and an
analyst can browse a SQLite file they may only read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from crawler.cli import cli
from crawler.storage.db import (
    Database,
    DatabaseError,
    alembic_config,
    current_revision,
    open_database,
)
from crawler.storage.models import Article, FeedState
from tests.conftest import ROOT, write_config
from tests.helpers import store_analysed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from crawler.review.web.app import create_app  # noqa: E402

TITLE = "وصول الدفعة الأولى من منظومة إس-400 إلى قاعدة جوية تركية"
BODY = (
    "أعلنت وزارة الدفاع التركية وصول الدفعة الأولى من منظومة إس-400 إلى قاعدة جوية قرب أنقرة.\n"
    "وقال مسؤول في الوزارة إن بقية البطاريات ستصل خلال الأشهر المقبلة."
)


def store_one(db: Database) -> int:
    when = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
    return store_analysed(db, "wire", "https://wire.example/s400", TITLE, BODY, when).article_id


@pytest.fixture
def stored(db_url: str) -> tuple[str, int]:
    """A migrated database with one article, closed again."""
    db = open_database(db_url)
    try:
        return db_url, store_one(db)
    finally:
        db.dispose()


def test_a_read_only_database_refuses_writes(stored: tuple[str, int]) -> None:
    url, article_id = stored
    db = open_database(url, read_only=True)
    try:
        with db.read() as session:
            assert session.get(Article, article_id).title == TITLE
        # The backend itself refuses: SQLite's mode=ro / query_only, PostgreSQL's read-only
        # transactions. Root is not exempt from either.
        with pytest.raises(DBAPIError, match=r"(?i)read-?only"), db.engine.begin() as conn:
            conn.execute(insert(FeedState).values(url="https://wire.example/feed.xml"))
        with pytest.raises(DatabaseError, match="read-only"), db.write():
            pass
    finally:
        db.dispose()
    writable = open_database(url)
    try:
        with writable.read() as session:
            assert session.scalars(select(FeedState)).all() == []
    finally:
        writable.dispose()


def test_reading_never_migrates_and_says_to_upgrade(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    try:
        command.upgrade(alembic_config(db), "0002")
    finally:
        db.dispose()
    config = write_config(tmp_path / "marsad.toml", db_url, "")
    # The newest migration, read from the scripts, so that a new one needs no edit here.
    head = ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    assert head is not None and head > "0002"
    runner = CliRunner()
    for args in (["articles", "list"], ["search", "إس-400"], ["export", "--format", "csv"]):
        result = runner.invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == 2, result.output
        assert f"at revision 0002, this version needs {head}" in result.stderr
        assert "run `marsad db upgrade`" in result.stderr
    db = Database(db_url)
    try:
        assert current_revision(db) == "0002"
    finally:
        db.dispose()
    assert runner.invoke(cli, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    listed = runner.invoke(cli, ["--config", str(config), "articles", "list", "--format", "json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []


def test_reading_a_database_that_does_not_exist_says_how_to_create_it(tmp_path: Path) -> None:
    config = write_config(tmp_path / "marsad.toml", f"sqlite:///{tmp_path / 'none.db'}", "")
    result = CliRunner().invoke(cli, ["--config", str(config), "articles", "list"])
    assert result.exit_code == 2
    assert "does not exist yet: `marsad db upgrade` creates it" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_the_web_page_reads_a_read_only_database(stored: tuple[str, int]) -> None:
    url, article_id = stored
    db = open_database(url, read_only=True)
    try:
        with TestClient(create_app(db)) as client:
            for path in ("/", f"/articles/{article_id}", "/developments", "/export.csv"):
                assert client.get(path).status_code == 200, path
    finally:
        db.dispose()


# --- a file the analyst may only read --------------------------------------------------------


@pytest.fixture
def read_only_dir() -> Iterator[Path]:
    """A directory that a user other than root can reach: pytest's own are private to root."""
    path = Path(tempfile.mkdtemp(prefix="marsad-ro-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        path.chmod(0o755)
        shutil.rmtree(path)


def make_read_only(directory: Path) -> int:
    """One stored article in ``directory/marsad.db``; then the file 0444, the directory 0555."""
    url = f"sqlite:///{directory / 'marsad.db'}"
    write_config(directory / "marsad.toml", url, "")
    db = open_database(url)
    try:
        article_id = store_one(db)
    finally:
        db.dispose()
    for name in os.listdir(directory):
        (directory / name).chmod(0o444)
    directory.chmod(0o555)
    return article_id


READ_ARGS = [
    ["articles", "list", "--format", "json"],
    ["search", "إس-400", "--format", "json"],
    ["export", "--format", "csv"],
    ["alerts", "list", "--format", "json"],
    ["status", "--format", "json"],
]


def test_read_only_file_and_directory_are_left_untouched(read_only_dir: Path) -> None:
    """As root the permissions do not stop a write, so this checks what root can see: the
    commands work and leave the directory exactly as it was (no -wal, -shm or lock files)."""
    article_id = make_read_only(read_only_dir)
    before = {p.name: p.read_bytes() for p in read_only_dir.iterdir()}
    config = str(read_only_dir / "marsad.toml")
    runner = CliRunner()
    for args in [*READ_ARGS, ["articles", "show", str(article_id)]]:
        result = runner.invoke(cli, ["--config", config, *args])
        assert result.exit_code == 0, (args, result.output)
    assert {p.name: p.read_bytes() for p in read_only_dir.iterdir()} == before


def _as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, *args]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", cwd=cwd, env=env, timeout=120
    )


@pytest.mark.slow
def test_another_user_browses_a_file_they_may_only_read(read_only_dir: Path) -> None:
    """The real case: a user without write permission on the file or its directory."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another user")
    probe = _as_nobody("-c", "import crawler.cli", cwd=read_only_dir)
    if probe.returncode != 0:
        pytest.skip(f"user nobody cannot run the code here: {probe.stderr.strip()[-200:]}")
    article_id = make_read_only(read_only_dir)
    config = str(read_only_dir / "marsad.toml")
    for args in READ_ARGS:
        result = _as_nobody("-m", "crawler.cli", "--config", config, *args, cwd=read_only_dir)
        assert result.returncode == 0, (args, result.stderr)
    listed = _as_nobody(
        "-m",
        "crawler.cli",
        "--config",
        config,
        "articles",
        "list",
        "--format",
        "json",
        cwd=read_only_dir,
    )
    assert [a["id"] for a in json.loads(listed.stdout)] == [article_id]
    shown = _as_nobody(
        "-m",
        "crawler.cli",
        "--config",
        config,
        "articles",
        "show",
        str(article_id),
        cwd=read_only_dir,
    )
    assert shown.returncode == 0 and TITLE in shown.stdout, shown.stderr
