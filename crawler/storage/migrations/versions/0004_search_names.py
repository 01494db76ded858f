"""search forms fold every spelling of a watched name to one (S-400, Rosoboronexport)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00

The search form (``crawler.analysis.searchterms.search_form``) now indexes each spelling the
matcher knows of S-400 and Rosoboronexport as one, so the stored forms are recomputed. The
triggers of 0002 re-index a row when its search columns change, on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    from crawler.analysis.searchterms import search_form

    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("text", sa.Text),
        sa.column("search_title", sa.Text),
        sa.column("search_body", sa.Text),
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(articles.c.id, articles.c.title, articles.c.text)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            conn.execute(
                articles.update()
                .where(articles.c.id == row.id)
                .values(search_title=search_form(row.title), search_body=search_form(row.text))
            )
        last = rows[-1].id


def downgrade() -> None:
    # The forms written here are still searchable by the code of 0003: nothing to undo.
    pass
