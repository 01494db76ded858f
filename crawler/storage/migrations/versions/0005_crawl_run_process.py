"""crawl runs record the host and pid of the process crawling

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-20 09:00:00

A daemon killed with -9 leaves its runs `running`; at start-up the next daemon marks those
whose process is gone as `abandoned`, which needs to know which process that was.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
