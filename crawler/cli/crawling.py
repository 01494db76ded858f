"""`marsad crawl` (one crawl now, with progress) and `marsad run` (the daemon)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from crawler.cli.common import State, fail, reports_errors, stderr_console
from crawler.vocab import ExitCode

if TYPE_CHECKING:
    from datetime import datetime

    from crawler.crawl.run import CrawlOutcome, SourceSummary


@click.command()
@click.option("--source", "sources", multiple=True, help="Crawl only this source (repeatable).")
@click.pass_obj
@reports_errors
def crawl(state: State, sources: tuple[str, ...]) -> None:
    """One crawl now, with progress on stderr and a summary per source."""

    config = state.config
    names = [config.source(n).name for n in sources] or [
        s.name for s in config.sources if s.enabled
    ]
    if not names:
        fail("no sources configured", ExitCode.CONFIG)
    with state.database():
        pass  # fail fast on an unreachable database, and migrate before the child starts
    with stop_signals() as received:
        outcome = run_with_progress(state, names, stop_requested=lambda: bool(received))
    print_summary(outcome.summaries.values())
    exit_as_crawled(outcome, received)


def exit_as_crawled(outcome: CrawlOutcome, received: list[int]) -> None:
    """Exit with the code a crawl's outcome calls for (return when it completed)."""
    if received:
        # Stopped, not completed: the shell's code for a process ended by that signal.
        sys.exit(128 + received[0])
    if outcome.returncode == ExitCode.CONFIG:
        sys.exit(ExitCode.CONFIG)
    if outcome.all_failed:
        sys.exit(ExitCode.ALL_SOURCES_FAILED)


@contextmanager
def stop_signals() -> Iterator[list[int]]:
    """While inside, SIGTERM and SIGINT are only noted in the list yielded: the crawl's wait
    loop stops the crawl, and the summary of what was done is still printed."""
    received: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_with_progress(
    state: State,
    names: list[str],
    stop_requested: Callable[[], bool] | None = None,
    *,
    backfill_since: datetime | None = None,
    timeout: float | None = None,
) -> CrawlOutcome:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from crawler.crawl.run import run_crawl

    console = stderr_console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.fields[source]:<22}"),
        TextColumn(
            "pages {task.fields[pages]:>5}  relevant {task.fields[relevant]:>4}  stored {task.fields[stored]:>4}  errors {task.fields[errors]:>3}"
        ),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        tasks = {
            n: progress.add_task(n, source=n, pages=0, relevant=0, stored=0, errors=0, total=None)
            for n in names
        }

        def on_event(event: dict[str, Any]) -> None:
            task = tasks.get(event.get("source", ""))
            if task is not None and event.get("event") in {"progress", "done"}:
                progress.update(
                    task, **{k: event.get(k, 0) for k in ("pages", "relevant", "stored", "errors")}
                )

        return run_crawl(
            state.config,
            names,
            on_event=on_event,
            log_format=state.log_format,
            stop_requested=stop_requested,
            stop_grace=0,
            backfill_since=backfill_since,
            timeout=timeout,
        )


def print_summary(summaries: Iterable[SourceSummary], title: str = "crawl summary") -> None:
    table = Table(title=title, title_justify="left")
    for col in (
        "source",
        "status",
        "pages",
        "relevant",
        "stored",
        "copies",
        "errors",
        "last error",
    ):
        table.add_column(
            col,
            justify="right"
            if col in {"pages", "relevant", "stored", "copies", "errors"}
            else "left",
        )
    for s in summaries:
        table.add_row(
            s.source,
            s.status,
            str(s.pages),
            str(s.relevant),
            str(s.stored),
            str(s.copies),
            str(s.errors),
            escape((s.last_error or "")[:80]),
        )
    console = stderr_console()
    if not console.is_terminal:
        # A log file or a pipe has no width to wrap to: one line per source.
        console.width = 1000
    console.print(table)


@click.command()
@click.option("--once", is_flag=True, help="Crawl every source, dispatch alerts, and exit.")
@click.pass_obj
@reports_errors
def run(state: State, once: bool) -> None:
    """The daemon: crawl each source on its interval and dispatch alerts."""
    import scheduler

    code = scheduler.main(
        state.config, config_path=state.resolved_config_path, once=once, log_format=state.log_format
    )
    sys.exit(code)
