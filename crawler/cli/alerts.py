"""`marsad alerts list`, `marsad alerts test` and `marsad alerts retry`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import (
    ROW_NUMBER,
    State,
    fail,
    format_option,
    reports_errors,
    write_json_array,
)
from crawler.vocab import ExitCode

if TYPE_CHECKING:
    from crawler.storage.models import Alert


@click.group()
def alerts() -> None:
    """The alert outbox."""


def alert_json(row: Alert) -> dict[str, Any]:
    from crawler.review.queries import iso

    return {
        "id": row.id,
        "development_id": row.development_id,
        "article_id": row.article_id,
        "channel": row.channel,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at),
        "kind": row.kind,
        "last_error": row.last_error,
    }


@alerts.command("list")
@format_option("table", "json")
@click.pass_obj
@reports_errors
def alerts_list(state: State, fmt: str) -> None:
    """Every alert row: one per channel per alert."""
    from sqlalchemy import select

    from crawler.storage.models import Alert

    with state.database(read_only=True) as db, db.read() as session:
        rows = [alert_json(r) for r in session.scalars(select(Alert).order_by(Alert.id))]
    if fmt == "json":
        write_json_array(rows)
        return
    table = Table()
    for col in (
        "id",
        "kind",
        "channel",
        "status",
        "attempts",
        "development",
        "article",
        "created",
        "sent",
        "last error",
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["channel"],
            r["status"],
            str(r["attempts"]),
            str(r["development_id"] or ""),
            str(r["article_id"] or ""),
            (r["created_at"] or "")[:19],
            (r["sent_at"] or "")[:19],
            (r["last_error"] or "")[:60],
        )
    Console().print(table)


@alerts.command("test")
@click.pass_obj
@reports_errors
def alerts_test(state: State) -> None:
    """Send one test message to every configured channel and report each result."""
    from alerts.channels import build_transports
    from alerts.render import AlertMessage
    from alerts.transport import AlertError

    failures = 0
    for name, transport in build_transports(state.config.alerts).items():
        message = AlertMessage(
            kind="test",
            headline="Marsad test message / رسالة اختبار من مرصد",
            note=f"config: {state.config.origin}",
        )
        try:
            transport.send(message)
        except AlertError as exc:
            failures += 1
            click.echo(f"{name}: FAILED: {exc}", err=True)
        else:
            click.echo(f"{name}: sent", err=True)
    if failures:
        sys.exit(ExitCode.ERROR)


@alerts.command("retry")
@click.argument("alert_id", type=ROW_NUMBER)
@click.pass_obj
@reports_errors
def alerts_retry(state: State, alert_id: int) -> None:
    """Make a failed (or waiting) alert due again, with a fresh count of attempts."""
    from crawler.storage.models import Alert, utcnow

    with state.database() as db, db.write() as session:
        row = session.get(Alert, alert_id)
        if row is None:
            fail(f"no alert with id {alert_id}")
        if row.status == "sent":
            fail(f"alert {alert_id} was already sent at {row.sent_at}")
        row.status, row.attempts, row.next_attempt_at, row.lease_until = (
            "pending",
            0,
            utcnow(),
            None,
        )
    click.echo(f"alert {alert_id} is pending again; the next dispatch sends it", err=True)
