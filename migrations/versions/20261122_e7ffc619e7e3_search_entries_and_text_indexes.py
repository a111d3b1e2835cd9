"""search entries with visibility in the row; text and trigram indexes

Revision ID: e7ffc619e7e3
Revises: dcd16ff226d6
Create Date: 2026-11-22 18:05:00.000000

The PostgreSQL search backend used to create pg_trgm and its GIN indexes when the app
started. They are made here instead. The search tables hold a derived index, so the old
ones are dropped rather than converted: the app rebuilds an empty index from the catalogue
when it starts (or run `marquee search reindex`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (JSONB variants render astext_type=Text())
from alembic import op

import marquee.db
from sqlalchemy.dialects import postgresql

revision: str = "e7ffc619e7e3"
down_revision: str | None = "dcd16ff226d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAMPLE = sa.text("bucket < 4")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _json_list() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    if _postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # Made at start-up by earlier versions, under another name.
        op.execute("DROP INDEX IF EXISTS ix_search_words_trgm")
    op.drop_table("search_windows")
    op.drop_table("search_documents")
    op.execute(sa.text("DELETE FROM search_words"))
    op.create_table(
        "search_entries",
        sa.Column("title_id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "title_norm",
            sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("people", _json_list(), nullable=False),
        sa.Column(
            "genres",
            sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=60)), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("decade", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("maturity", sa.Integer(), nullable=False),
        sa.Column("popularity", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("starts", sa.BigInteger(), nullable=False),
        sa.Column("ends", sa.BigInteger(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column(
            "document", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=False
        ),
        sa.Column(
            "title_vector",
            postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("title_id", "slot", name=op.f("pk_search_entries")),
    )
    op.create_index(
        "ix_search_entries_document",
        "search_entries",
        ["document"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_search_entries_sample_document",
        "search_entries",
        ["document"],
        postgresql_using="gin",
        postgresql_where=SAMPLE,
        sqlite_where=SAMPLE,
    )
    op.create_index(
        "ix_search_entries_title_vector",
        "search_entries",
        ["title_vector"],
        postgresql_using="gin",
    )
    op.create_index("ix_search_entries_popularity", "search_entries", ["popularity", "title_id"])
    op.create_index("ix_search_entries_title_norm", "search_entries", ["title_norm"])
    op.create_index("ix_search_entries_bucket", "search_entries", ["bucket"])
    op.create_index(
        "ix_search_words_word_trgm",
        "search_words",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_search_words_word_trgm", table_name="search_words")
    op.drop_table("search_entries")
    op.execute(sa.text("DELETE FROM search_words"))
    op.create_table(
        "search_documents",
        sa.Column("title_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_norm", sa.String(length=300), nullable=False),
        sa.Column("people", _json_list(), nullable=False),
        sa.Column("genres", _json_list(), nullable=False),
        sa.Column("genre_keys", _json_list(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("decade", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("maturity", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("popularity", sa.Integer(), nullable=False),
        sa.Column(
            "document", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("title_id", name=op.f("pk_search_documents")),
    )
    op.create_index("ix_search_documents_popularity", "search_documents", ["popularity"])
    op.create_table(
        "search_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title_id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("starts_at", marquee.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", marquee.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["search_documents.title_id"],
            name=op.f("fk_search_windows_title_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_windows")),
    )
    op.create_index("ix_search_windows_title_country", "search_windows", ["title_id", "country"])
