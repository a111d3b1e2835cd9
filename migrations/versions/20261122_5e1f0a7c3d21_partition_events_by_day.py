"""partition the event log by day on PostgreSQL

Revision ID: 5e1f0a7c3d21
Revises: 4257970fbd55
Create Date: 2026-11-22 16:10:00

On PostgreSQL `events` becomes a table partitioned by range of `occurred_at`, with a default
partition for rows no daily partition covers; `marquee.events.partitions` creates the daily
partitions ahead of time and drops them for retention. SQLite keeps a plain table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e1f0a7c3d21"
down_revision: str | None = "4257970fbd55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_events_profile_occurred", "profile_id, occurred_at"),
    ("ix_events_title_occurred", "title_id, occurred_at"),
    ("ix_events_recorded_at", "recorded_at"),
)


def _rebuild(partitioned: bool) -> None:
    op.execute("ALTER TABLE events RENAME TO events_old")
    for name, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE events_old DROP CONSTRAINT IF EXISTS pk_events")
    suffix = " PARTITION BY RANGE (occurred_at)" if partitioned else ""
    op.execute(f"CREATE TABLE events (LIKE events_old INCLUDING DEFAULTS){suffix}")
    # A partitioned table's primary key must include the partition column.
    key = "id, occurred_at" if partitioned else "id"
    op.execute(f"ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY ({key})")
    if partitioned:
        op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")
    op.execute("INSERT INTO events SELECT * FROM events_old")
    op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
    op.execute("DROP TABLE events_old")
    for name, columns in INDEXES:
        op.execute(f"CREATE INDEX {name} ON events ({columns})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=False)
