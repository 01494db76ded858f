"""`marsad db upgrade`."""

from __future__ import annotations

import click

from crawler.cli.common import State, reports_errors


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
@reports_errors
def db_upgrade(state: State) -> None:
    """Apply the schema migrations."""
    from crawler.storage.db import current_revision, redact, upgrade

    with state.database(migrate=False) as database:
        applied = upgrade(database)
        revision = current_revision(database)
    click.echo(
        f"{redact(database.url)}: {'upgraded to' if applied else 'already at'} revision {revision}",
        err=True,
    )
