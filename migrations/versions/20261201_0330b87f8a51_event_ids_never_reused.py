"""event ids are never reused on SQLite, and no cursor sits beyond the log

Revision ID: 0330b87f8a51
Revises: d1acb9f654d1
Create Date: 2026-12-01 21:50:00.000000

SQLite gives an INTEGER PRIMARY KEY without AUTOINCREMENT the value max(id) + 1, so after
retention deleted the rows with the highest ids their ids came back below the aggregate
consumer's cursor and were never read. Adding AUTOINCREMENT means rebuilding the table (batch
mode copies the rows, and SQLite carries the high-water mark across the rename). A cursor
already stranded by reused ids is pulled back to the newest id, the same repair the consumer
applies at run time (`marquee.events.cursors.repair`).

PostgreSQL's sequence never hands out an id twice: nothing changes there but the cursors.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0330b87f8a51"
down_revision: str | None = "d1acb9f654d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLAMP = (
    "UPDATE event_cursors SET position = (SELECT COALESCE(MAX(id), 0) FROM events) "
    "WHERE position > (SELECT COALESCE(MAX(id), 0) FROM events)"
)


def _rebuild(autoincrement: bool) -> None:
    with op.batch_alter_table(
        "events", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True)
    op.execute(_CLAMP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
