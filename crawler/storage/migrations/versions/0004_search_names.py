"""search forms fold every spelling of a watched name to one (S-400, Rosoboronexport)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:00:00

The search form (``crawler.analysis.searchterms.search_form``) now indexes each spelling the
matcher knows of S-400 and Rosoboronexport as one, so the stored forms are recomputed. The
triggers of 0002 re-index a row when its search columns change, on SQLite and PostgreSQL alike.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crawler.storage.reindex import recompute_search_forms

    recompute_search_forms(op.get_bind())


def downgrade() -> None:
    # The forms written here are still searchable by the code of 0003: nothing to undo.
    pass
