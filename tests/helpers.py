"""Running the `marsad` command: in this process with click's CliRunner (`invoke_marsad`), or
as a real process where the process is the point: signals, locks, the daemon (`run_marsad`,
`start_marsad`, `DaemonProcess`). The fault-injection script (benchmarks/chaos.py) starts its
daemons with these too."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.conftest import write_config

ROOT = Path(__file__).resolve().parent.parent


def invoke_marsad(
    *args: str, config: Path | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`marsad [--config CONFIG] ARGS...` run in this process, answered as `run_marsad` answers
    (exit code, stdout and stderr apart) so that a test reads the same either way: stderr holds
    the command's own lines, then those of the processes it started (the crawl writes its logs
    to the file descriptor it inherits). An exception the command does not handle fails the
    test with its traceback. The command's logging setup is undone afterwards, so that this
    process logs (and pytest captures its logs) as before."""
    from click.testing import CliRunner

    from crawler.cli import cli

    argv = [*config_args(config), *args]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with tempfile.TemporaryFile() as children:
        try:
            with fd_redirected(2, children.fileno()):
                result = CliRunner().invoke(
                    cli, argv, input=input, env={"MARSAD_CONFIG": None}, catch_exceptions=False
                )
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
        children.seek(0)
        stderr = result.stderr + children.read().decode("utf-8")
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, stderr)


@contextmanager
def fd_redirected(fd: int, target: int) -> Iterator[None]:
    """File descriptor `fd` writes to `target` inside, for this process and the children it
    starts meanwhile."""
    saved = os.dup(fd)
    os.dup2(target, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def config_args(config: Path | None) -> list[str]:
    return [] if config is None else ["--config", str(config)]


def run_marsad(
    *args: str, config: Path | None = None, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "crawler.cli", *config_args(config), *args]
    env = {k: v for k, v in os.environ.items() if k != "MARSAD_CONFIG"}
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        cwd=ROOT,
        env=env,
        encoding="utf-8",
    )


def start_marsad(
    *args: str, config: Path, stderr: IO[bytes] | int, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`marsad --config CONFIG ARGS...` started in a session of its own, as systemd would, so
    that it and its crawl processes can be stopped as one group; stdout is discarded."""
    env = {k: v for k, v in (env or os.environ).items() if k != "MARSAD_CONFIG"}
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "--config", str(config), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )


class DaemonProcess:
    """`marsad run` as a process (see `start_marsad`), its stderr appended to `log`; `kill()`
    ends it with its process group, crawl children included. Used as a context manager, it is
    started on entry and killed on exit."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> DaemonProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in kill())
        self.proc = start_marsad("run", config=self.config, stderr=self._log)
        return self

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()

    @property
    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return
            assert self.proc is not None and self.proc.poll() is None, self.log[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.log[-3000:]}")

    def terminate(self, timeout: float = 15) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # any crawl child left behind
        if self._log is not None:
            self._log.close()


def fast_config(tmp_path: Path, db_url: str, sources: str, alerts: str = "") -> Path:
    """`tmp_path/marsad.toml` for a daemon on loopback: alerts dispatched every half second,
    retried after a second, a dead dispatcher's claims free again after three."""
    body = f"""[alerts]
dispatch_interval = "0.5s"
retry_backoff = "1s"
dispatch_lease = "3s"
{alerts}

{sources}"""
    return write_config(tmp_path / "marsad.toml", db_url, body)


def alive(pid: int) -> bool:
    """The process runs (a zombie, dead and not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout}s")


def stored_articles(config: Path, *extra: str) -> list[dict[str, Any]]:
    result = invoke_marsad("articles", "list", "--format", "json", *extra, config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def smtp_toml(port: int) -> str:
    """The `[alerts.email]` block for an unauthenticated loopback SMTP server."""
    return f"""[alerts.email]
smtp_host = "127.0.0.1"
smtp_port = {port}
starttls = false
sender = "marsad@example.org"
recipients = ["desk@example.org"]
"""


def store_analysed(db: Any, source: str, url: str, title: str, body: str, published_at: Any) -> Any:
    """Analyse an article as the crawl does, and store it with the real storing code."""
    from crawler.analysis.analyzer import Analyzer
    from crawler.storage.dedup import fingerprint
    from crawler.storage.store import ArticleRecord, Store

    analysis = Analyzer().analyze(title, body)
    record = ArticleRecord(
        source=source,
        url=url,
        title=title,
        text=body,
        fetched_at=published_at,
        published_at=published_at,
        published_precision="second",
        terms=analysis.terms_json(),
        topics=analysis.topics,
        countries=analysis.countries,
        evidence=analysis.evidence,
    )
    return Store(db).store_article(record, fingerprint(body))
