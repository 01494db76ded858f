"""What the command groups share: the state behind `ctx.obj`, error reporting, the article
filter options, and the writers of JSON arrays and CSV on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click
from rich.console import Console

from crawler.config import Config, ConfigError, load_config, resolve_config_path
from crawler.review.queries import ArticleFilter, FilterError, checked_filter, csv_text, parse_since
from crawler.storage.db import Database, DatabaseError, open_database
from crawler.storage.models import MAX_INTEGER
from crawler.vocab import TOPICS, ExitCode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")
FC = TypeVar("FC", bound=Callable[..., Any])

# Row ids and row counts: a number the database cannot hold is a usage error naming the option.
ROW_NUMBER = click.IntRange(1, MAX_INTEGER)

# The commands that send alerts: only they resolve the ${VAR} secrets of the alert channels, so
# that every other command works without them.
SENDING_COMMANDS = {("run",), ("alerts", "test"), ("alerts", "retry")}


def command_path() -> tuple[str, ...]:
    """The running command below the group, e.g. ("alerts", "test")."""
    names: list[str] = []
    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(names))


class State:
    def __init__(self, config_path: str | None, log_format: str) -> None:
        self.config_path = config_path
        self.log_format = log_format
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            config = load_config(self.config_path)
            if command_path() in SENDING_COMMANDS:
                config = config.with_secrets()
            self._config = config
        return self._config

    @property
    def resolved_config_path(self) -> str | None:
        path = resolve_config_path(self.config_path)
        return str(path) if path else None

    @contextmanager
    def database(self, *, migrate: bool = True, read_only: bool = False) -> Iterator[Database]:
        """The configured database; ``read_only`` for the commands that only read (it never
        migrates: an old schema is an error telling to run `marsad db upgrade`)."""
        db = open_database(self.config.database.url, migrate=migrate, read_only=read_only)
        try:
            yield db
        finally:
            db.dispose()

    def check_filter(self, session: Session, flt: ArticleFilter) -> ArticleFilter:
        """``flt`` checked against what is known (see `checked_filter`); exit 2 if it names
        an unknown topic, country or source."""
        try:
            return checked_filter(session, flt, [s.name for s in self.config.sources])
        except FilterError as exc:
            raise click.BadParameter(str(exc), param_hint=f"--{exc.option}") from None


def fail(message: str, code: int = ExitCode.ERROR) -> NoReturn:
    click.echo(f"marsad: {message}", err=True)
    sys.exit(code)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn config and database errors into one line and exit code 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (ConfigError, DatabaseError) as exc:
            fail(str(exc), ExitCode.CONFIG)

    return wrapper


def stderr_console() -> Console:
    return Console(stderr=True)


def format_option(*choices: str) -> Callable[[FC], FC]:
    """``--format``, passed as ``fmt``: one of ``choices``, the first by default."""
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True
    )


def article_filters(func: Callable[P, R]) -> Callable[P, R]:
    options = [
        click.option("--originals", is_flag=True, help="Leave copies out."),
        click.option(
            "--topic",
            type=click.Choice([t.value for t in TOPICS]),
        ),
        click.option(
            "--country", help='English short name or Arabic name, e.g. "Turkey" or "تركيا".'
        ),
        click.option("--source", "source_name", help="A configured source name."),
        click.option("--since", help="Only articles published on or after this date (2024-05-01)."),
        click.option("--limit", type=ROW_NUMBER, help="At most N rows."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_filter(
    originals: bool,
    topic: str | None,
    country: str | None,
    source_name: str | None,
    since: str | None,
    limit: int | None,
) -> ArticleFilter:
    try:
        since_dt = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    return ArticleFilter(originals, topic, country, source_name, since_dt, limit)


def write_json_array(rows: Iterable[dict[str, Any]]) -> None:
    out = sys.stdout
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n  " + json.dumps(row, ensure_ascii=False))
    out.write("\n]\n")


def write_csv(rows: Iterable[dict[str, Any]]) -> None:
    for chunk in csv_text(rows):
        sys.stdout.write(chunk)
