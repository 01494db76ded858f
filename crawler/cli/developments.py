"""`marsad developments list|show|merge|split|mark`: developments, and an analyst's
corrections of them."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crawler.cli.common import ROW_NUMBER, State, fail, format_option, reports_errors
from crawler.cli.corrections import correct, correction_options
from crawler.review.queries import article_json, iso
from crawler.storage import corrections
from crawler.storage.corrections import DevelopmentStatus, correction_json
from crawler.storage.models import Article, Correction, Development


@click.group()
def developments() -> None:
    """Developments (one event and its reports), and corrections of them."""


def development_json(session: Session, dev: Development) -> dict[str, Any]:
    first = session.get(Article, dev.first_article_id) if dev.first_article_id else None
    return {
        "id": dev.id,
        "status": dev.status,
        "merged_into": dev.merged_into,
        "topic": dev.topic,
        "topics": list(dev.topics or []),
        "countries": list(dev.countries or []),
        "reports": dev.report_count,
        "first_article_id": dev.first_article_id,
        "title": first.title if first is not None else None,
        "first_published_at": iso(dev.first_published_at),
        "last_report_at": iso(dev.last_report_at),
        "backfilled": dev.backfilled,
    }


@developments.command("list")
@format_option("table", "json")
@click.option("--all", "show_all", is_flag=True, help="Include developments merged away.")
@click.option("--limit", type=ROW_NUMBER, help="At most N rows (the table shows 50).")
@click.pass_obj
@reports_errors
def developments_list(state: State, fmt: str, show_all: bool, limit: int | None) -> None:
    """Developments, newest first report first, with their status and report count."""
    stmt = select(Development).order_by(
        Development.first_published_at.desc().nulls_last(), Development.id.desc()
    )
    if not show_all:
        stmt = stmt.where(Development.status != DevelopmentStatus.MERGED)
    if limit or fmt == "table":
        stmt = stmt.limit(limit or 50)
    with state.database(read_only=True) as db, db.read() as session:
        rows = [development_json(session, d) for d in session.scalars(stmt)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table()
    for col in ("id", "status", "first report", "topic", "countries", "reports", "title"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["status"],
            (r["first_published_at"] or "")[:16],
            r["topic"],
            ",".join(r["countries"]),
            str(r["reports"]),
            (r["title"] or "")[:70],
        )
    Console().print(table)


@developments.command("show")
@click.argument("development_id", type=ROW_NUMBER)
@format_option("text", "json")
@click.pass_obj
@reports_errors
def developments_show(state: State, development_id: int, fmt: str) -> None:
    """One development: its reports and copies in order, and the corrections made to it."""
    when = func.coalesce(Article.published_at, Article.fetched_at)
    with state.database(read_only=True) as db, db.read() as session:
        dev = session.get(Development, development_id)
        if dev is None:
            fail(f"development {development_id} does not exist")
        data = development_json(session, dev)
        data["articles"] = [
            article_json(a)
            for a in session.scalars(
                select(Article).where(Article.development_id == dev.id).order_by(when, Article.id)
            )
        ]
        data["corrections"] = [
            correction_json(c)
            for c in session.scalars(
                select(Correction)
                .where(
                    or_(
                        Correction.development_id == dev.id,
                        Correction.change["merged"].as_integer() == dev.id,
                    )
                )
                .order_by(Correction.id)
            )
        ]
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    lines = [
        f"development {data['id']} ({data['status']}"
        + (f", merged into {data['merged_into']}" if data["merged_into"] else "")
        + ")",
        f"topics: {', '.join(data['topics']) or '-'}   countries: "
        f"{', '.join(data['countries']) or '-'}   reports: {data['reports']}",
    ]
    for a in data["articles"]:
        kind = f"copy of {a['duplicate_of']}" if a["duplicate_of"] else "report"
        lines.append(f"  {(a['published_at'] or '')[:16]}  {a['id']:>6}  {kind:<14} {a['title']}")
    for c in data["corrections"]:
        lines.append(f"correction {c['id']} by {c['by']} at {c['at'][:16]}: {c['kind']}")
    click.echo("\n".join(lines))


@developments.command("merge")
@click.argument("keep_id", type=ROW_NUMBER)
@click.argument("other_id", type=ROW_NUMBER)
@correction_options
@click.pass_obj
@reports_errors
def developments_merge(
    state: State, keep_id: int, other_id: int, by: str | None, note: str | None
) -> None:
    """Merge development OTHER_ID into KEEP_ID: its reports move, and it sends nothing more."""
    correct(
        state,
        f"development {other_id} merged into {keep_id}",
        lambda db, who: corrections.merge_developments(db, keep_id, other_id, by=who, note=note),
        by,
    )


@developments.command("split")
@click.argument("article_id", type=ROW_NUMBER)
@correction_options
@click.pass_obj
@reports_errors
def developments_split(state: State, article_id: int, by: str | None, note: str | None) -> None:
    """Take report ARTICLE_ID (with its copies) out into a new development of its own."""
    done = correct(
        state,
        f"article {article_id} split into a new development",
        lambda db, who: corrections.split_report(db, article_id, by=who, note=note),
        by,
    )
    click.echo(str(done.development_id))


@developments.command("mark")
@click.argument("development_id", type=ROW_NUMBER)
@click.option("--wrong", is_flag=True, help="The development is wrong (required).")
@correction_options
@click.pass_obj
@reports_errors
def developments_mark(
    state: State, development_id: int, wrong: bool, by: str | None, note: str | None
) -> None:
    """Mark a development wrong: it stays listed, and sends no further follow-ups."""
    if not wrong:
        raise click.UsageError("give --wrong")
    correct(
        state,
        f"development {development_id} marked wrong",
        lambda db, who: corrections.mark_development_wrong(db, development_id, by=who, note=note),
        by,
    )
