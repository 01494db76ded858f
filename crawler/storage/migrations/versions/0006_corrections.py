"""analysts' corrections, development status, source mutes, backfill runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00

Corrections are rows of their own (who, when, what); their effects are kept on the rows they
correct, so that the store, lists and alerts read them without a join: an article's verdict
(not relevant, topics set by hand), a development's status (wrong, merged), a source's mute.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FALSE = sa.text("false")


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("development_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("at", "kind", "article_id", "development_id", "source"):
        op.create_index(f"ix_corrections_{column}", "corrections", [column])
    # Plain ADD COLUMNs: a batch rebuild of `articles` would drop its search triggers (0002).
    op.add_column(
        "articles", sa.Column("not_relevant", sa.Boolean(), nullable=False, server_default=FALSE)
    )
    op.add_column("articles", sa.Column("analyst_topics", sa.JSON(), nullable=True))
    op.create_index(
        "ix_articles_ruled_out",
        "articles",
        ["id"],
        sqlite_where=sa.text("not_relevant = 1"),
        postgresql_where=sa.text("not_relevant"),
    )
    op.add_column(
        "developments",
        sa.Column("status", sa.String(length=20), nullable=False, server_default="open"),
    )
    op.add_column("developments", sa.Column("merged_into", sa.Integer(), nullable=True))
    op.add_column(
        "developments",
        sa.Column("backfilled", sa.Boolean(), nullable=False, server_default=FALSE),
    )
    op.add_column(
        "crawl_runs", sa.Column("backfill", sa.Boolean(), nullable=False, server_default=FALSE)
    )
    op.add_column(
        "source_health", sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_index("ix_articles_ruled_out", table_name="articles")
    for table, column in [
        ("source_health", "muted_until"),
        ("crawl_runs", "backfill"),
        ("developments", "backfilled"),
        ("developments", "merged_into"),
        ("developments", "status"),
        ("articles", "analyst_topics"),
        ("articles", "not_relevant"),
    ]:
        op.drop_column(table, column)
    op.drop_table("corrections")
