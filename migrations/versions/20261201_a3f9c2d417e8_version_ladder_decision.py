"""version ladder decision

Revision ID: a3f9c2d417e8
Revises: a7c3e91d5b20
Create Date: 2026-12-01 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3f9c2d417e8"
down_revision: str | None = "a7c3e91d5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ladder_decision", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_versions", schema=None) as batch_op:
        batch_op.drop_column("ladder_decision")
