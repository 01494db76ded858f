"""`marsad backfill`: one source's older articles, back to a date, stored without alerts."""

from __future__ import annotations

from datetime import timedelta

import click

from crawler.cli.common import State, reports_errors
from crawler.cli.crawling import exit_as_crawled, print_summary, run_with_progress, stop_signals
from crawler.config import parse_duration
from crawler.review.queries import parse_since
from crawler.storage.models import utcnow

DEFAULT_TIMEOUT = "6h"


@click.command()
@click.option("--source", "source_name", required=True, help="A configured source name.")
@click.option("--since", required=True, help="Back to this date (2024-05-01, UTC midnight).")
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Stop the backfill after this long (30m, 6h); what it stored stays stored.",
)
@click.pass_obj
@reports_errors
def backfill(state: State, source_name: str, since: str, timeout: str) -> None:
    """Walk a source's sitemap index (or a listing's next pages) back to a date.

    What it finds is stored and deduplicated as a crawl stores it, and raises no alert: the
    daily digest only counts it. Run it again and it stores nothing new.
    """
    source = state.config.source(source_name)
    try:
        since_dt = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    assert since_dt is not None
    if since_dt > utcnow():
        raise click.BadParameter(f"{since} is in the future", param_hint="--since")
    try:
        limit: timedelta = parse_duration(timeout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timeout") from None
    with state.database():
        pass  # fail fast on an unreachable database, and migrate before the child starts
    with stop_signals() as received:
        outcome = run_with_progress(
            state,
            [source.name],
            stop_requested=lambda: bool(received),
            backfill_since=since_dt,
            timeout=limit.total_seconds(),
        )
    print_summary(outcome.summaries.values(), title=f"backfill since {since_dt.date()}")
    exit_as_crawled(outcome, received)
