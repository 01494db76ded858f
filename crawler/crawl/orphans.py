"""Crawl children outliving their parent, and runs left `running` by a process that died.

A daemon killed with -9 cannot stop its crawl child (its own session, so the kill does not
reach it): the child watches its parent itself and ends when it is gone. The runs such a child
could not close are marked `abandoned` by the next daemon at start-up.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from crawler.storage.db import Database
from crawler.storage.models import CrawlRun

log = logging.getLogger(__name__)

# How often the child looks for its parent, and how long it has to close its crawlers after
# the parent is gone before it exits regardless.
PARENT_POLL_SECONDS = 0.5
ORPHAN_EXIT_GRACE_SECONDS = 5


def watch_parent(parent_pid: int, on_gone: Callable[[], None]) -> None:
    """Call `on_gone` once the process `parent_pid` is no longer this process's parent, and
    exit the process if it has not ended by itself soon after."""

    def watch() -> None:
        # A dead parent's children are re-parented (to init or a subreaper): getppid() changes.
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        log.warning("the parent process (pid %d) is gone: stopping this crawl", parent_pid)
        on_gone()
        time.sleep(ORPHAN_EXIT_GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="marsad-parent-watch", daemon=True).start()


def this_process() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, so alive
    # A zombie (dead, not yet reaped: an init that does not reap, in a container) is gone too.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): the signal said it exists
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _abandon(db: Database, which: Any, reason: str) -> int:
    """Mark the runs `which` selects, while still `running`, as `abandoned` for `reason`."""
    with db.write() as session:
        result = session.execute(
            update(CrawlRun)
            .where(which, CrawlRun.status == "running")
            .values(status="abandoned", finished_at=datetime.now(UTC), last_error=reason)
        )
    return int(getattr(result, "rowcount", 0) or 0)


def abandon_orphaned_runs(db: Database) -> int:
    """Mark the runs on this host left `running` by a process that is gone as `abandoned`.

    Runs of other hosts are left alone: whether their process lives cannot be told from here.
    An abandoned run is no failure of its source. Returns the runs marked.
    """
    host, _ = this_process()
    with db.read() as session:
        running = session.execute(
            select(CrawlRun.id, CrawlRun.pid).where(
                CrawlRun.status == "running", CrawlRun.host == host, CrawlRun.pid.is_not(None)
            )
        ).all()
    orphaned = [run_id for run_id, pid in running if pid is not None and not _alive(pid)]
    if orphaned:
        _abandon(db, CrawlRun.id.in_(orphaned), "crawl abandoned: its process died")
        log.warning("%d crawl runs left running by a process that died: abandoned", len(orphaned))
    return len(orphaned)


def abandon_runs_of(db: Database, sources: list[str]) -> int:
    """Mark the runs of `sources` still `running` as `abandoned`: for a cluster node that has
    just taken these sources' leases, which no node gives up while it crawls, so a run left
    `running` is a lost node's (on any host, where its process cannot be asked after)."""
    if not sources:
        return 0
    count = _abandon(db, CrawlRun.source.in_(sources), "crawl abandoned: its node was lost")
    if count:
        log.warning("%d crawl runs of a lost node abandoned (%s)", count, ", ".join(sources))
    return count
