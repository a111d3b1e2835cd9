"""profile lock: an optional PIN per profile

Revision ID: a7c3e91d5b20
Revises: 7c4e2a91b5d3
Create Date: 2026-12-01 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e91d5b20"
down_revision: str | None = "7c4e2a91b5d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("pin_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("pin_hash")
