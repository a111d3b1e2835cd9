"""media version segment period

Every version records the encoder's real segment period. Versions packaged before
this column existed were all cut with the default 4 s target, snapped to whole frames
of their ladder exactly as `media.encode.segment_period` does; the period is worked
out again here from the frame rates each row kept, so old rows start at the right
segment too. The rule is copied, not imported: a migration must not change when the
code does.

Revision ID: 7c4e2a91b5d3
Revises: 0330b87f8a51
Create Date: 2026-12-01 21:40:00.000000
"""

import json
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "7c4e2a91b5d3"
down_revision: str | None = "0330b87f8a51"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TARGET_SECONDS = 4.0  # EncodeOptions.segment_seconds when these versions were packaged


def period(renditions: list[dict[str, Any]]) -> float:
    """The snapped period of a ladder whose rungs ran at these (float) frame rates."""
    rates = [
        Fraction(float(r["frame_rate"])).limit_denominator(1001)
        for r in renditions
        if isinstance(r.get("frame_rate"), int | float) and r["frame_rate"] > 0
    ]
    if not rates:
        return TARGET_SECONDS
    top = max(rates)
    step = max(round(top / rate) for rate in rates)
    frames = max(step, round(TARGET_SECONDS * top / step) * step)
    return float(Fraction(frames) / top)


def upgrade() -> None:
    with op.batch_alter_table("media_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_seconds", sa.Double(), nullable=True))
    versions = sa.table(
        "media_versions",
        sa.column("id", sa.Uuid()),
        sa.column("renditions", sa.JSON()),
        sa.column("segment_seconds", sa.Double()),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.id, versions.c.renditions)).all():
        renditions = (
            row.renditions if not isinstance(row.renditions, str) else json.loads(row.renditions)
        )
        bind.execute(
            versions.update()
            .where(versions.c.id == row.id)
            .values(segment_seconds=period(renditions or []))
        )
    with op.batch_alter_table("media_versions", schema=None) as batch_op:
        batch_op.alter_column("segment_seconds", existing_type=sa.Double(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("media_versions", schema=None) as batch_op:
        batch_op.drop_column("segment_seconds")
