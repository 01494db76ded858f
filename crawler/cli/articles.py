"""`marsad articles list`, `marsad articles show` and `marsad articles mark`."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import (
    ROW_NUMBER,
    State,
    article_filters,
    build_filter,
    fail,
    format_option,
    reports_errors,
    write_csv,
    write_json_array,
)
from crawler.cli.corrections import correct, correction_options
from crawler.review.queries import article_json, copies_of, iter_articles, own_evidence
from crawler.storage import corrections
from crawler.vocab import TOPICS


@click.group()
def articles() -> None:
    """List, show and correct stored articles."""


@articles.command("list")
@format_option("table", "json", "csv")
@article_filters
@click.pass_obj
@reports_errors
def articles_list(state: State, fmt: str, **filters: Any) -> None:
    """Relevant articles, originals and copies, newest published first."""
    flt = build_filter(**filters)
    if fmt == "table" and flt.limit is None:
        flt = replace(flt, limit=50)
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


@articles.command("show")
@click.argument("article_id", type=ROW_NUMBER)
@format_option("text", "json")
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
    click.echo(show_text(data))


def show_text(data: dict[str, Any]) -> str:
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
    if data.get("not_relevant"):
        lines.append("marked not relevant by an analyst (listed and alerted nowhere)")
    for topic, sentence in data["evidence"].items():
        lines.append(f"evidence [{topic}]: {sentence}")
    if data["copies"]:
        lines.append("also published by:")
        lines += [f"  {c['source']}  {c['fetched_at']}  {c['url']}" for c in data["copies"]]
    lines += ["", data["text"]]
    return "\n".join(lines)


@articles.command("mark")
@click.argument("article_id", type=ROW_NUMBER)
@click.option("--not-relevant", is_flag=True, help="Rule the article (and its copies) out.")
@click.option("--topics", help=f"Set its topics by hand, comma-separated: {','.join(TOPICS)}.")
@correction_options
@click.pass_obj
@reports_errors
def articles_mark(
    state: State,
    article_id: int,
    not_relevant: bool,
    topics: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """An analyst's correction of an article: --not-relevant, or --topics T,...

    The verdict holds for the article's copies, and outlasts re-crawls and re-analysis."""
    if not_relevant == (topics is not None):
        raise click.UsageError("give one of --not-relevant or --topics")
    if not_relevant:
        correct(
            state,
            f"article {article_id} marked not relevant",
            lambda db, who: corrections.mark_not_relevant(db, article_id, by=who, note=note),
            by,
        )
        return
    assert topics is not None
    chosen = topics.split(",")
    correct(
        state,
        f"article {article_id} topics set to {topics}",
        lambda db, who: corrections.set_topics(db, article_id, chosen, by=who, note=note),
        by,
    )
