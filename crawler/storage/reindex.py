"""Recomputing the stored search forms, for the migrations that change what is indexed."""

from __future__ import annotations

import sqlalchemy as sa

from crawler.analysis.searchterms import search_form

_BATCH = 500

# The columns as every revision since 0002 has them, not the ORM model of today.
_ARTICLES = sa.table(
    "articles",
    sa.column("id", sa.Integer),
    sa.column("title", sa.Text),
    sa.column("text", sa.Text),
    sa.column("search_title", sa.Text),
    sa.column("search_body", sa.Text),
)


def recompute_search_forms(conn: sa.Connection) -> None:
    """Write every article's search forms again, a batch of rows at a time."""
    last = 0
    while True:
        rows = conn.execute(
            sa.select(_ARTICLES.c.id, _ARTICLES.c.title, _ARTICLES.c.text)
            .where(_ARTICLES.c.id > last)
            .order_by(_ARTICLES.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            conn.execute(
                _ARTICLES.update()
                .where(_ARTICLES.c.id == row.id)
                .values(search_title=search_form(row.title), search_body=search_form(row.text))
            )
        last = rows[-1].id
