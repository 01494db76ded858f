"""The `marsad` command line: one click group whose commands match the README, one module per
command group (`crawling`: crawl and run; `analyze`; `articles`; `search`: search and export;
`alerts`; `sources`; `db`; `status`; `web`; `developments`; `backfill`), what they share in
`common`, and what the correcting commands share in `corrections`.

Only data goes to stdout; logs, progress and summaries go to stderr. A config or database
mistake exits with code 2 and one line that names the key or the database.
"""

from __future__ import annotations

import click

from crawler.cli import (
    alerts,
    analyze,
    articles,
    backfill,
    crawling,
    db,
    developments,
    search,
    sources,
    status,
    web,
)
from crawler.cli.common import State


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $MARSAD_CONFIG, ./marsad.toml, built-in).",
)
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.version_option(package_name="marsad")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_format: str) -> None:
    """Marsad: watch Arabic news for S-400 and Rosoboronexport developments."""
    from crawler.logs import setup_logging

    setup_logging(log_format)
    ctx.obj = State(config_path, log_format)


for command in (
    alerts.alerts,
    analyze.analyze,
    articles.articles,
    backfill.backfill,
    crawling.crawl,
    crawling.run,
    db.db,
    developments.developments,
    search.export,
    search.search,
    sources.sources,
    status.status,
    web.web,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="marsad")
