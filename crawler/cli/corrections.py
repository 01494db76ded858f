"""What the correcting commands share (`articles mark`, `developments merge|split|mark`,
`sources mute|unmute`): who made the correction, a note, and one read-write transaction whose
error names the id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from crawler.cli.common import State, fail
from crawler.storage.corrections import CorrectionError, Done, current_user
from crawler.storage.db import Database

FC = TypeVar("FC", bound=Callable[..., Any])


def correction_options(func: FC) -> FC:
    """``--by`` (default: the OS user) and ``--note``, passed as ``by`` and ``note``."""
    func = click.option("--note", help="Why, in a few words; kept with the correction.")(func)
    return click.option(
        "--by", default=None, help="Who makes the correction (default: the OS user)."
    )(func)


def correct(
    state: State, what: str, write: Callable[[Database, str], Done], by: str | None
) -> Done:
    """Run one correction writer on the configured database, opened read-write, and say on
    stderr what it did; a correction that cannot be made exits 1 with its reason."""
    with state.database() as db:
        try:
            done = write(db, by or current_user())
        except CorrectionError as exc:
            fail(str(exc))
    skipped = f"; {done.skipped_alerts} pending alerts skipped" if done.skipped_alerts else ""
    click.echo(f"correction {done.correction_id}: {what}{skipped}", err=True)
    return done
