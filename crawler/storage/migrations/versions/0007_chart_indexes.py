"""indexes for the review page's charts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-21 09:00:00

The charts count developments per month by topic and by set of countries, and reports per
outlet. Each count is an index range: (topic, first_published_at) and (countries,
first_published_at) for developments, (source, development_id, duplicate_of) for articles (the
developments an outlet ran, its originals and copies), so that none reads a table's rows. Each
index ends with the column by which the analysts' corrections (0006) leave rows out: a
development's status (merged away, emptied), an article's not_relevant. PostgreSQL has no btree
order for `json`; its index is on the column as text, the expression the chart query compares.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_developments_topic_first", "developments", ["topic", "first_published_at", "status"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_developments_countries_first ON developments "
            "((CAST(countries AS TEXT)), first_published_at, status)"
        )
    else:
        op.create_index(
            "ix_developments_countries_first",
            "developments",
            ["countries", "first_published_at", "status"],
        )
    op.create_index(
        "ix_articles_source_development",
        "articles",
        ["source", "development_id", "duplicate_of", "not_relevant"],
    )


def downgrade() -> None:
    op.drop_index("ix_articles_source_development", table_name="articles")
    op.drop_index("ix_developments_countries_first", table_name="developments")
    op.drop_index("ix_developments_topic_first", table_name="developments")
