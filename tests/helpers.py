"""Running the `marsad` command: in this process with click's CliRunner (`invoke_marsad`), or
as a real process where the process is the point: signals, locks, the daemon (`run_marsad`,
`start_marsad`)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

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
