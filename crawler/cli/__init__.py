"""The `marsad` command line: one click group whose commands match the README.

Only data goes to stdout; logs, progress and summaries go to stderr. A config or database
mistake exits with code 2 and one line that names the key or the database.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crawler.config import Config, ConfigError, format_duration, load_config, resolve_config_path
from crawler.review.queries import (
    ArticleFilter,
    FilterError,
    article_json,
    checked_filter,
    copies_of,
    csv_text,
    iter_articles,
    own_evidence,
    parse_since,
)
from crawler.storage.db import Database, DatabaseError, not_created_yet, open_database
from crawler.vocab import TOPICS, ExitCode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("marsad")


F = TypeVar("F", bound=Callable[..., Any])


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


def fail(message: str, code: int = ExitCode.ERROR) -> None:
    click.echo(f"marsad: {message}", err=True)
    sys.exit(code)


def reports_errors(func: F) -> F:
    """Turn config and database errors into one line and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, DatabaseError) as exc:
            fail(str(exc), ExitCode.CONFIG)

    return wrapper  # type: ignore[return-value]


def stderr_console() -> Console:
    return Console(stderr=True)


def article_filters(func: F) -> F:
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
        click.option("--limit", type=click.IntRange(min=1), help="At most N rows."),
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


# --- crawling --------------------------------------------------------------------------------


@cli.command()
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

    def note(signum: int, _frame: Any) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_with_progress(
    state: State, names: list[str], stop_requested: Callable[[], bool] | None = None
) -> Any:
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
        )


def print_summary(summaries: Any) -> None:
    table = Table(title="crawl summary", title_justify="left")
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


@cli.command()
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


# --- analysis --------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_obj
@reports_errors
def analyze(state: State, file: Any) -> None:
    """JSONL {"id","title","body"} in, one analysis per line out."""
    from crawler.analysis.analyzer import Analyzer

    analyzer = Analyzer.from_config(state.config)
    out = sys.stdout
    for number, line in enumerate(file, start=1):
        if not line.strip():
            continue
        article_id: Any = None
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must be a JSON object")
            article_id = record.get("id")
            title, body = record.get("title") or "", record.get("body") or ""
            if not isinstance(title, str) or not isinstance(body, str):
                raise ValueError("title and body must be strings")
            result = analyzer.analyze(title, body).to_json(article_id)
        except (ValueError, TypeError) as exc:
            result = {"id": article_id, "error": f"line {number}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


# --- review ----------------------------------------------------------------------------------


@cli.group()
def articles() -> None:
    """List and show stored articles."""


@articles.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@article_filters
@click.pass_obj
@reports_errors
def articles_list(state: State, fmt: str, **filters: Any) -> None:
    """Relevant articles, originals and copies, newest published first."""
    flt = build_filter(**filters)
    if fmt == "table" and flt.limit is None:
        flt = ArticleFilter(**{**flt.__dict__, "limit": 50})
    with state.database(read_only=True) as db, db.read() as session:
        flt = state.check_filter(session, flt)
        rows = (article_json(a) for a in iter_articles(session, flt))
        if fmt == "json":
            write_json_array(rows)
        elif fmt == "csv":
            write_csv(rows)
        else:
            table = Table()
            for col in ("id", "published", "source", "topics", "countries", "copy of", "title"):
                table.add_column(col)
            for r in rows:
                table.add_row(
                    str(r["id"]),
                    (r["published_at"] or "")[:16],
                    r["source"],
                    ",".join(r["topics"]),
                    ",".join(r["countries"]),
                    str(r["duplicate_of"] or ""),
                    r["title"][:80],
                )
            Console().print(table)


def write_json_array(rows: Any) -> None:
    out = sys.stdout
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n  " + json.dumps(row, ensure_ascii=False))
    out.write("\n]\n")


def write_csv(rows: Any) -> None:
    for chunk in csv_text(rows):
        sys.stdout.write(chunk)


@articles.command("show")
@click.argument("article_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
@reports_errors
def articles_show(state: State, article_id: int, fmt: str) -> None:
    """One article with its evidence, its copies and its development.

    A copy shows its own title, text, URL and evidence, and names its original.
    """
    from crawler.analysis.analyzer import Analyzer
    from crawler.storage.models import Article

    with state.database(read_only=True) as db, db.read() as session:
        article = session.get(Article, article_id)
        if article is None:
            fail(f"no article with id {article_id}")
        data = article_json(article, with_text=True)
        root_id = article.duplicate_of or article.id
        original = session.get(Article, root_id) if article.duplicate_of else None
        if original is not None:
            data["evidence"] = own_evidence(article, Analyzer.from_config(state.config))
            data["original"] = {
                "id": original.id,
                "url": original.url,
                "source": original.source,
                "title": original.title,
            }
        data["copies"] = [
            {
                "id": c.id,
                "url": c.url,
                "source": c.source,
                "fetched_at": article_json(c)["fetched_at"],
            }
            for c in copies_of(session, root_id)
            if c.id != article.id
        ]
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    lines = [
        data["title"],
        f"{data['url']}",
        f"source: {data['source']}   published: {data['published_at']}   fetched: {data['fetched_at']}",
        f"topics: {', '.join(data['topics']) or '-'}   countries: {', '.join(data['countries']) or '-'}",
        f"terms: {', '.join(sorted({t['term'] for t in data['terms']})) or '-'}",
    ]
    if original := data.get("original"):
        lines.append(f"copy of article {original['id']} ({original['source']}): {original['url']}")
    if data["development_id"]:
        lines.append(f"development: {data['development_id']}")
    for topic, sentence in data["evidence"].items():
        lines.append(f"evidence [{topic}]: {sentence}")
    if data["copies"]:
        lines.append("also published by:")
        lines += [f"  {c['source']}  {c['fetched_at']}  {c['url']}" for c in data["copies"]]
    lines += ["", data["text"]]
    click.echo("\n".join(lines))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), required=True)
@article_filters
@click.pass_obj
@reports_errors
def export(state: State, fmt: str, **filters: Any) -> None:
    """Every matching article, with its text (jsonl) or its fields (csv)."""
    flt = build_filter(**filters)
    with state.database(read_only=True) as db, db.read() as session:
        flt = state.check_filter(session, flt)
        if fmt == "csv":
            write_csv(article_json(a) for a in iter_articles(session, flt))
            return
        for a in iter_articles(session, flt):
            sys.stdout.write(json.dumps(article_json(a, with_text=True), ensure_ascii=False) + "\n")


# --- operations ------------------------------------------------------------------------------


@cli.group()
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


@cli.group()
def sources() -> None:
    """The configured sources."""


@sources.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
@reports_errors
def sources_list(state: State, fmt: str) -> None:
    rows = [
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
        result = check_source(source, config.crawl)
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


# --- alerts and health -----------------------------------------------------------------------


@cli.group()
def alerts() -> None:
    """The alert outbox."""


def alert_json(row: Any) -> dict[str, Any]:
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
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
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
@click.argument("alert_id", type=int)
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


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
@reports_errors
def status(state: State, fmt: str) -> None:
    """Sources, outbox and database; exits 1 when something needs attention."""
    from crawler.review.status import collect_status

    # Read-only, so that an analyst who may only read the file can check it; a fresh install
    # whose database does not exist yet is created, and reported healthy and empty.
    fresh = not_created_yet(state.config.database.url)
    with state.database(read_only=not fresh) as db:
        result = collect_status(db, state.config)
    data = result.data
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_status(data, result.problems)
    if not result.healthy:
        sys.exit(ExitCode.ERROR)


STATUS_COLUMNS = {
    "source": "name",
    "interval": "interval",
    "last run": "last_run",
    "last success": "last_success",
    "next run": "next_run",
    "status": "last_status",
    "pages": "pages",
    "relevant": "relevant",
    "stored": "stored",
    "copies": "copies",
    "errors": "errors",
    "streak": "error_streak",
    "last error": "last_error",
}


def print_status(data: dict[str, Any], problems: list[str]) -> None:
    """A table in a terminal; piped or redirected, one tab-separated line per source with every
    value whole (a table would cut or wrap them to the width of a terminal there is not)."""
    console = Console()
    o, d = data["outbox"], data["database"]
    lines = [
        f"outbox: {o['pending']} pending, {o['failed']} failed, {o['sent']} sent; "
        f"oldest pending: {o['oldest_pending'] or '-'}",
        f"database: {d['dialect']}, {d['articles']} articles ({d['originals']} originals), "
        f"{d['size_bytes'] or 0} bytes",
    ]
    if not console.is_terminal:
        click.echo("\t".join(STATUS_COLUMNS))
        for s in data["sources"]:
            cells = ("-" if s[key] is None else str(s[key]) for key in STATUS_COLUMNS.values())
            click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells))
        for line in [*lines, *(f"problem: {p}" for p in problems)]:
            click.echo(line)
        return
    table = Table(title="sources (times in UTC)", title_justify="left")
    # In a terminal each error goes below the table, whole, rather than squeezed into a column.
    columns = {col: key for col, key in STATUS_COLUMNS.items() if key != "last_error"}
    numbers = {"pages", "relevant", "stored", "copies", "errors", "error_streak"}
    for col, key in columns.items():
        table.add_column(col, justify="right" if key in numbers else "left", overflow="fold")
    times = {"last_run", "last_success", "next_run"}
    for s in data["sources"]:
        table.add_row(
            *(
                "-"
                if s[key] is None
                else escape(str(s[key])[5:16].replace("T", " ") if key in times else str(s[key]))
                for key in columns.values()
            ),
            style="red" if s["failing"] else None,
        )
    console.print(table)
    for s in data["sources"]:
        if s["last_error"]:
            console.print(
                f"[bold]{escape(s['name'])}[/]: {escape(s['last_error'])}", highlight=False
            )
    for line in lines:
        console.print(line, highlight=False)
    for problem in problems:
        console.print(f"[bold red]problem:[/] {escape(problem)}", highlight=False)


# --- search and the web page (issue 6) -------------------------------------------------------


@cli.command()
@click.argument("query")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@article_filters
@click.pass_obj
@reports_errors
def search(state: State, query: str, fmt: str, **filters: Any) -> None:
    """Full-text search with Arabic spelling folded; best matches first."""
    from rich.text import Text

    from crawler.review.search import parse_query
    from crawler.review.search import search as run_search

    if not parse_query(query):
        raise click.BadParameter("the query has no words to search for", param_hint="QUERY")
    flt = build_filter(**filters)
    with state.database(read_only=True) as db, db.read() as session:
        hits = run_search(session, query, state.check_filter(session, flt))
        if fmt == "json":
            write_json_array(h.to_json() for h in hits)
            return
        table = Table(show_lines=True)
        for col in ("id", "score", "published", "source", "topics", "title / snippet"):
            table.add_column(col)
        for h in hits:
            cell = Text(h.article.title, style="bold")
            for start, end in h.title_spans:
                cell.stylize("reverse yellow", start, end)
            snippet = Text(h.snippet)
            for start, end in h.snippet_spans:
                snippet.stylize("reverse yellow", start, end)
            cell.append("\n")
            cell.append_text(snippet)
            published = h.article.published_at or h.article.fetched_at
            table.add_row(
                str(h.article.id),
                f"{h.rank:.0f}",
                published.strftime("%Y-%m-%d %H:%M") if published else "",
                h.article.source,
                ",".join(h.article.topics or []),
                cell,
            )
        Console().print(table)
        if not hits:
            click.echo("no matching articles", err=True)


@cli.command()
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
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def main() -> None:
    cli(prog_name="marsad")


if __name__ == "__main__":
    main()
