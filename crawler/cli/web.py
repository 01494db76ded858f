"""`marsad web`: the read-only review page."""

from __future__ import annotations

import click

from crawler.cli.common import State, reports_errors
from crawler.config import is_loopback_host


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_obj
@reports_errors
def web(state: State, host: str, port: int) -> None:
    """The read-only review page: articles, search, developments, sources."""
    import uvicorn

    from crawler.review.web.app import create_app

    with state.database(read_only=True) as database:
        app = create_app(database, config=state.config)
        click.echo(f"marsad web: http://{host}:{port}/ (read-only)", err=True)
        if not is_loopback_host(host):
            click.echo(
                f"marsad web: warning: {host} is not a loopback address and the page has no "
                "authentication: anyone who can reach it reads every stored article. Put it "
                "behind a reverse proxy with authentication (see README).",
                err=True,
            )
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
