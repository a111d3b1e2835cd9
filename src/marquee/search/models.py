"""Tables of the PostgreSQL search backend: one row per title and licence row, and the word list."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Index,
    SmallInteger,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base

# The backend only runs on PostgreSQL; the variants let the shared metadata build on SQLite too.
Vector = TSVECTOR().with_variant(Text(), "sqlite")
JsonList = JSON().with_variant(JSONB(), "postgresql")
TextList = JSON().with_variant(ARRAY(String(60)), "postgresql")
# Byte order, so one plain index serves both `LIKE 'prefix%'` and reading a prefix in order.
FoldedText = String(300).with_variant(String(300, collation="C"), "postgresql")

# Entries whose `bucket` is below SAMPLE_BUCKETS (of BUCKETS) form a fixed 1-in-16 sample of
# the index, with its own text index, from which counts over very large matches are estimated.
BUCKETS = 64
SAMPLE_BUCKETS = 4
SAMPLE_WHERE = text(f"bucket < {SAMPLE_BUCKETS}")


class SearchEntryRow(Base):
    """A published title once per disjoint licence row (`marquee.search.windows`).

    Everything a viewer's visibility depends on sits in the row, so "may this viewer see it"
    is a filter on columns, never a join; and no viewer at any instant matches two rows of
    one title, so counting rows counts titles.
    """

    __tablename__ = "search_entries"
    __table_args__ = (
        Index(
            "ix_search_entries_document",
            "document",
            postgresql_using="gin",
        ),
        Index(
            "ix_search_entries_sample_document",
            "document",
            postgresql_using="gin",
            postgresql_where=SAMPLE_WHERE,
            sqlite_where=SAMPLE_WHERE,
        ),
        Index(
            "ix_search_entries_title_vector",
            "title_vector",
            postgresql_using="gin",
        ),
        Index("ix_search_entries_popularity", "popularity", "title_id"),
        Index("ix_search_entries_title_norm", "title_norm"),
        Index("ix_search_entries_bucket", "bucket"),
    )

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    # Folded title text: prefix ranges, phrase bonuses and trigram similarity read it.
    title_norm: Mapped[str] = mapped_column(FoldedText)
    people: Mapped[list[str]] = mapped_column(JsonList, default=list)
    genres: Mapped[list[str]] = mapped_column(TextList, default=list)
    year: Mapped[int | None] = mapped_column(default=None)
    decade: Mapped[int | None] = mapped_column(default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    maturity: Mapped[int]
    popularity: Mapped[int] = mapped_column(default=0)
    country: Mapped[str] = mapped_column(String(2))
    starts: Mapped[int] = mapped_column(BigInteger)  # seconds since the epoch
    ends: Mapped[int] = mapped_column(BigInteger)
    bucket: Mapped[int] = mapped_column(SmallInteger)
    document: Mapped[Any] = mapped_column(Vector)
    # Title and original title words alone: finds the entries that hold the query in their
    # title among a large match.
    title_vector: Mapped[Any] = mapped_column(Vector)


class SearchWordRow(Base):
    """Every word of every indexed title and name: the dictionary typos are corrected against."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index(
            "ix_search_words_word_trgm",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
        ),
    )

    word: Mapped[str] = mapped_column(String(100), primary_key=True)


# Tables built straight from the models (tests, benchmarks) need the trigram operators too;
# installs get the extension from the migration.
event.listen(
    SearchWordRow.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(  # type: ignore[no-untyped-call]
        dialect="postgresql"
    ),
)
