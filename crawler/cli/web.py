"""`marsad web`: the review page, read-only unless `--allow-edits`."""

from __future__ import annotations

from contextlib import ExitStack

import click

from crawler.cli.common import State, reports_errors
from crawler.config import is_loopback_host


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--allow-edits",
    is_flag=True,
    help="Show the analysts' correction forms (CSRF-protected POSTs); read-only without it.",
)
@click.pass_obj
@reports_errors
def web(state: State, host: str, port: int, allow_edits: bool) -> None:
    """The review page: articles, search, developments, sources (read-only by default)."""
    import uvicorn

    from crawler.review.web.app import create_app

    with ExitStack() as stack:
        # The pages read through the read-only database; only the corrections write. The
        # writable one first: it migrates, and the read-only one requires the newest schema.
        edits = stack.enter_context(state.database()) if allow_edits else None
        database = stack.enter_context(state.database(read_only=True))
        app = create_app(database, config=state.config, edits=edits)
        mode = "corrections allowed" if allow_edits else "read-only"
        click.echo(f"marsad web: http://{host}:{port}/ ({mode})", err=True)
        if not is_loopback_host(host):
            click.echo(
                f"marsad web: warning: {host} is not a loopback address and the page has no "
                "authentication: anyone who can reach it reads every stored article"
                + (" and can correct them" if allow_edits else "")
                + ". Put it "
                "behind a reverse proxy with authentication (see README).",
                err=True,
            )
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
