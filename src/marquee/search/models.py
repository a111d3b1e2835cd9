"""Tables of the PostgreSQL search backend: one row per visible-able title, its windows, its words."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from marquee.db import Base

# The backend only runs on PostgreSQL; the variants let the shared metadata build on SQLite too.
Vector = TSVECTOR().with_variant(Text(), "sqlite")
JsonList = JSON().with_variant(JSONB(), "postgresql")


class SearchDocumentRow(Base):
    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_popularity", "popularity"),)

    title_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    # Folded title text, compared with the folded query by trigram similarity.
    title_norm: Mapped[str] = mapped_column(String(300))
    people: Mapped[list[str]] = mapped_column(JsonList, default=list)
    genres: Mapped[list[str]] = mapped_column(JsonList, default=list)
    genre_keys: Mapped[list[str]] = mapped_column(JsonList, default=list)
    year: Mapped[int | None] = mapped_column(default=None)
    decade: Mapped[int | None] = mapped_column(default=None)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    maturity: Mapped[int]
    published: Mapped[bool]
    popularity: Mapped[int] = mapped_column(default=0)
    document: Mapped[Any] = mapped_column(Vector)


class SearchWindowRow(Base):
    __tablename__ = "search_windows"
    __table_args__ = (Index("ix_search_windows_title_country", "title_id", "country"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    title_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("search_documents.title_id", ondelete="CASCADE")
    )
    country: Mapped[str] = mapped_column(String(2))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None] = mapped_column(default=None)


class SearchWordRow(Base):
    """Every word of every indexed title and name: the dictionary typos are corrected against."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
