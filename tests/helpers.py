"""Running the real `marsad` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent


def run_marsad(
    *args: str, config: Path | None = None, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "crawler.cli"]
    if config is not None:
        cmd += ["--config", str(config)]
    cmd += list(args)
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
    result = run_marsad("articles", "list", "--format", "json", *extra, config=config)
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
