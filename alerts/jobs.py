"""The daemon's alert jobs: dispatch (one job per channel), the daily digest, the spike check.

They live beside the outbox rather than in the daemon so that `scheduler.py` only schedules;
the daemon makes one `AlertJobs` per loaded config and drops it on a reload.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from alerts.channels import build_transports
from alerts.digest import queue_digest
from alerts.outbox import Dispatcher, DispatchReport
from alerts.spike import check_spike
from crawler.config import Config
from crawler.storage.db import Database
from crawler.vocab import Channel

log = logging.getLogger("marsad.scheduler")

# The last dispatch before exit is bounded too; what it cannot send stays pending.
DRAIN_SECONDS = 2


class AlertJobs:
    def __init__(self, db: Database, config: Config, stopping: Callable[[], bool]) -> None:
        self.db = db
        self.config = config
        self.stopping = stopping
        self._dispatcher: Dispatcher | None = None

    def dispatcher(self) -> Dispatcher:
        # Built on first use: the transports resolve the channels' secrets.
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(
                self.db, self.config, build_transports(self.config.alerts)
            )
        return self._dispatcher

    def dispatch(self, channel: str, *, draining: bool = False) -> None:
        """Send what is due on one channel, batch after batch; a stop interrupts unless this is
        the last drain. Each channel has a job of its own, so that an SMTP server that hangs
        until its timeout never delays Slack's next round."""
        deadline = time.monotonic() + DRAIN_SECONDS
        try:
            dispatcher = self.dispatcher()
            while (draining and time.monotonic() < deadline) or not self.stopping():
                report = dispatcher.dispatch(channel=channel)
                if report.sent + report.retrying + report.failed == 0:
                    break
        except Exception:
            log.exception("alert dispatch failed (%s)", channel)

    def drain(self) -> None:
        """The last dispatch before exit, every channel at once, each within DRAIN_SECONDS."""
        threads = [
            threading.Thread(
                target=self.dispatch,
                args=(channel.value,),
                kwargs={"draining": True},
                name=f"marsad-drain-{channel}",
            )
            for channel in Channel
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def dispatch_once(self) -> DispatchReport:
        """`run --once`: one attempt per due alert; what fails stays pending for the next run."""
        return self.dispatcher().dispatch(limit=100_000)

    def digest(self) -> None:
        try:
            count = queue_digest(self.db, self.config)
            log.info("daily digest: %s", f"{count} items queued" if count else "nothing to report")
        except Exception:
            log.exception("daily digest failed")

    def spike(self) -> None:
        try:
            check = check_spike(self.db, self.config)
            if check.queued:
                log.info(
                    "spike alert queued: %d reports on %s (daily average %.1f)",
                    check.reports,
                    check.day,
                    check.average,
                )
        except Exception:
            log.exception("spike check failed")
