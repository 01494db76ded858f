"""`marsad sources list`, `marsad sources check` and `marsad sources mute|unmute`."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import State, format_option, reports_errors
from crawler.cli.corrections import correct, correction_options
from crawler.config import format_duration, parse_duration
from crawler.review.queries import parse_since
from crawler.storage import corrections
from crawler.storage.models import utcnow
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


@sources.command("mute")
@click.argument("name")
@click.option("--for", "duration", help="For this long: 30m, 12h, 3d.")
@click.option("--until", help="Until this time (2024-05-01, or an ISO timestamp; UTC).")
@correction_options
@click.pass_obj
@reports_errors
def sources_mute(
    state: State,
    name: str,
    duration: str | None,
    until: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """No alerts from source NAME for a while; its articles are still stored."""
    source = state.config.source(name)
    if (duration is None) == (until is None):
        raise click.UsageError("give one of --for or --until")
    try:
        end = utcnow() + parse_duration(duration) if duration else parse_since(until)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for" if duration else "--until") from None
    assert end is not None
    correct(
        state,
        f"source {source.name} muted until {end.isoformat(timespec='minutes')}",
        lambda db, who: corrections.mute_source(db, source.name, end, by=who, note=note),
        by,
    )


@sources.command("unmute")
@click.argument("name")
@correction_options
@click.pass_obj
@reports_errors
def sources_unmute(state: State, name: str, by: str | None, note: str | None) -> None:
    """End a source's mute now."""
    source = state.config.source(name)
    correct(
        state,
        f"source {source.name} unmuted",
        lambda db, who: corrections.unmute_source(db, source.name, by=who, note=note),
        by,
    )
