"""`marsad search` (ranked full-text search) and `marsad export` (every matching article)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import (
    State,
    article_filters,
    build_filter,
    format_option,
    reports_errors,
    write_csv,
    write_json_array,
)
from crawler.review.queries import article_json, iter_articles


@click.command()
@click.argument("query")
@format_option("table", "json")
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


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]))
@click.option(
    "--corrections",
    "with_corrections",
    is_flag=True,
    help="The analysts' corrections instead, oldest first, as JSONL.",
)
@article_filters
@click.pass_obj
@reports_errors
def export(state: State, fmt: str | None, with_corrections: bool, **filters: Any) -> None:
    """Every matching article, with its text (jsonl) or its fields (csv); or, with
    --corrections, every correction an analyst made (JSONL)."""
    if with_corrections:
        if fmt not in (None, "jsonl"):
            raise click.BadParameter("corrections are exported as jsonl", param_hint="--format")
        from crawler.storage.corrections import correction_json, iter_corrections

        with state.database(read_only=True) as db, db.read() as session:
            for row in iter_corrections(session):
                sys.stdout.write(json.dumps(correction_json(row), ensure_ascii=False) + "\n")
        return
    if fmt is None:
        raise click.UsageError("Missing option '--format'.")
    flt = build_filter(**filters)
    with state.database(read_only=True) as db, db.read() as session:
        flt = state.check_filter(session, flt)
        if fmt == "csv":
            write_csv(article_json(a) for a in iter_articles(session, flt))
            return
        for a in iter_articles(session, flt):
            sys.stdout.write(json.dumps(article_json(a, with_text=True), ensure_ascii=False) + "\n")
