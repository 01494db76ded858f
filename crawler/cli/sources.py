"""`marsad sources list` and `marsad sources check`."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import State, format_option, reports_errors
from crawler.config import format_duration
from crawler.vocab import ExitCode


@click.group()
def sources() -> None:
    """The configured sources."""


@sources.command("list")
@format_option("table", "json")
@click.pass_obj
@reports_errors
def sources_list(state: State, fmt: str) -> None:
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "kind": s.kind,
            "url": s.url,
            "interval": format_duration(s.interval),
            "timezone": s.timezone,
            "enabled": s.enabled,
        }
        for s in state.config.sources
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table()
    for col in ("name", "kind", "interval", "timezone", "url"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["kind"], r["interval"], r["timezone"], r["url"])
    Console().print(table)


@sources.command("check")
@click.argument("names", nargs=-1)
@click.pass_obj
@reports_errors
def sources_check(state: State, names: tuple[str, ...]) -> None:
    """Fetch each source's feed, sitemap or listing once and report what it lists."""
    from crawler.crawl.sourcecheck import check_source

    config = state.config
    selected = [config.source(n) for n in names] or config.sources
    table = Table()
    for col in ("source", "ok", "status", "entries", "detail"):
        table.add_column(col)
    failures = 0
    for source in selected:
        result = check_source(source, config)
        failures += not result.ok
        table.add_row(
            source.name,
            "yes" if result.ok else "NO",
            str(result.status or "-"),
            str(result.entries),
            result.detail[:90],
        )
    Console().print(table)
    if failures:
        sys.exit(ExitCode.ERROR)
