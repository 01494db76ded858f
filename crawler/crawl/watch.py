"""The parent's side of one crawl child: its progress events as they come, and stopping or
killing it (with its process group) when its time is up."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

# Past its hard timeout the child closes its crawlers itself; this long after, it is killed.
KILL_GRACE_SECONDS = 10
# After a stopping child is told to stop, how long it has before SIGKILL: short, so that
# `systemctl stop` returns well within its timeout.
STOP_KILL_GRACE_SECONDS = 2


class ChildWatch:
    """The parent's side of one crawl child: its events, and when to stop or kill it."""

    def __init__(
        self,
        child: subprocess.Popen[bytes],
        timeout: float,
        stop_requested: Callable[[], bool] | None,
        stop_grace: float,
    ) -> None:
        self.child = child
        self.stop_requested = stop_requested
        self.stop_grace = stop_grace
        self.kill_at = time.monotonic() + timeout + KILL_GRACE_SECONDS
        self.terminate_at: float | None = None
        self.stopping = False
        self.killed = False

    def events(self) -> Iterator[dict[str, Any]]:
        """Each event the child writes, as soon as it is written, until its pipe closes."""
        assert self.child.stdout is not None
        fd = self.child.stdout.fileno()
        pending = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while self._act(time.monotonic()):
                wake = min(t for t in (self.kill_at, self.terminate_at) if t is not None)
                if not sel.select(timeout=min(0.5, max(0.0, wake - time.monotonic()))):
                    continue
                # Read what is there, not a buffered line: a line held in a buffer would wait
                # for the next event before the selector reported it.
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    event = parse_event(line)
                    if event is not None:
                        yield event

    def _act(self, now: float) -> bool:
        """Stop or kill the child when its time comes; false once it is killed and gone."""
        if not self.stopping and self.stop_requested is not None and self.stop_requested():
            self.stopping = True
            self.terminate_at = now + self.stop_grace
        if self.terminate_at is not None and now >= self.terminate_at:
            # The child alone: it closes its own page workers on the way out.
            self.terminate_at = None
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child.pid, signal.SIGTERM)
            self.kill_at = min(self.kill_at, now + STOP_KILL_GRACE_SECONDS)
        if now >= self.kill_at:
            if self.killed:
                # The group is dead; a process outside it that still holds the pipe is no
                # reason to wait any longer.
                return False
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.child.pid, signal.SIGKILL)
            self.killed = True
            self.kill_at = now + 5
        return True


def parse_event(line: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def stop_process_group(child: subprocess.Popen[Any], grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM the child's group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
