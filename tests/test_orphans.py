"""A daemon killed with -9 leaves no crawl child fetching on, and no run `running` forever."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.storage.db import Database, open_database
from crawler.storage.models import CrawlRun
from tests.helpers import alive, fast_config, invoke_marsad, wait_for
from tests.test_operator import marsad_process


@pytest.fixture
def hanging_bayraq(web, tmp_path: Path):
    """A config whose bayraq articles hang, and a function returning bayraq's running crawl
    run once its child is fetching them."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = fast_config(tmp_path, db_url, web.sources_toml(["rss"], "1h"))
    for spec in web.articles("bayraq"):
        web.set_fault(web.outlet("bayraq").path_for(spec), "hang", outlet="bayraq")
    open_database(db_url).dispose()
    db = open_database(db_url)

    def running_run() -> CrawlRun:
        found: list[CrawlRun] = []

        def fetching() -> bool:
            with db.read() as session:
                found[:] = session.scalars(
                    select(CrawlRun).where(
                        CrawlRun.source == "bayraq", CrawlRun.status == "running"
                    )
                ).all()
            return bool(found) and any(
                r.outlet == "bayraq" and r.fault == "hang" for r in web.requests
            )

        wait_for(fetching, 60, "bayraq's crawl fetching")
        return found[0]

    def status_of(run_id: int) -> str:
        with db.read() as session:
            return session.get_one(CrawlRun, run_id).status

    yield config, running_run, status_of
    db.dispose()


@pytest.mark.slow
def test_the_crawl_child_of_a_killed_daemon_ends_and_abandons_its_run(
    hanging_bayraq, tmp_path: Path
) -> None:
    config, running_run, status_of = hanging_bayraq
    log = tmp_path / "daemon.log"
    with marsad_process(config, "run", log=log) as daemon:
        run = running_run()
        assert run.pid is not None and run.pid != daemon.pid and alive(run.pid)
        daemon.kill()
        daemon.wait(5)
        killed_at = time.monotonic()
        wait_for(lambda: not alive(run.pid), 10, "the orphaned crawl child gone")
    assert time.monotonic() - killed_at < 8
    assert status_of(run.id) == "abandoned"


@pytest.mark.slow
def test_a_new_daemon_marks_runs_left_running_by_a_dead_crawl_as_abandoned(
    hanging_bayraq, tmp_path: Path
) -> None:
    config, running_run, status_of = hanging_bayraq
    log = tmp_path / "daemon.log"
    with marsad_process(config, "run", log=log) as daemon:
        run = running_run()
        # The daemon and its child at once: nothing is left to close the run.
        os.killpg(daemon.pid, signal.SIGKILL)
        os.kill(run.pid, signal.SIGKILL)
        daemon.wait(5)
        wait_for(lambda: not alive(run.pid), 5, "the crawl child gone")
    assert status_of(run.id) == "running"

    with marsad_process(config, "run", log=log) as daemon:
        wait_for(lambda: status_of(run.id) == "abandoned", 30, "the old run abandoned")
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(20)
    status = json.loads(invoke_marsad("status", "--format", "json", config=config).stdout)
    bayraq = next(s for s in status["sources"] if s["name"] == "bayraq")
    assert bayraq["error_streak"] == 0, "an abandoned run is no failure of the source"
    assert not [p for p in status["problems"] if "bayraq" in p]


def test_taking_a_source_closes_the_runs_a_lost_node_left_running(database: Database) -> None:
    from crawler.crawl.orphans import abandon_runs_of

    with database.write() as session:
        session.add_all(
            [
                CrawlRun(source="sawt", status="running", host="elsewhere", pid=4242),
                CrawlRun(source="sawt", status="ok", host="elsewhere", pid=4241),
                CrawlRun(source="nafitha", status="running", host="elsewhere", pid=4243),
            ]
        )
    assert abandon_runs_of(database, ["sawt"]) == 1
    assert abandon_runs_of(database, []) == 0
    with database.read() as session:
        found = {(r.source, r.pid): r.status for r in session.scalars(select(CrawlRun))}
    assert found == {
        ("sawt", 4242): "abandoned",
        ("sawt", 4241): "ok",
        ("nafitha", 4243): "running",
    }
