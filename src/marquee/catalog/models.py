"""Tables for the catalogue: titles, seasons, episodes, genres, people, credits, availability."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marquee.db import Base, IdMixin, TimestampMixin, str_enum


class TitleKind(enum.StrEnum):
    MOVIE = "movie"
    SERIES = "series"


class PublishState(enum.StrEnum):
    DRAFT = "draft"
    PROCESSING = "processing"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class CreditRole(enum.StrEnum):
    CAST = "cast"
    DIRECTOR = "director"
    WRITER = "writer"


# JSONB on PostgreSQL so external ids can be indexed and queried there later.
JsonDict = JSON().with_variant(JSONB(), "postgresql")

WORLDWIDE = "*"

title_genres = Table(
    "title_genres",
    Base.metadata,
    Column("title_id", ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True),
    Column("genre_id", ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Genre(IdMixin, Base):
    __tablename__ = "genres"

    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Title(IdMixin, TimestampMixin, Base):
    """A movie or a series; what a viewer browses, searches and plays."""

    __tablename__ = "titles"
    __table_args__ = (
        Index("ix_titles_state_maturity", "state", "maturity_level"),
        Index("ix_titles_release_year", "release_year"),
        Index("ix_titles_sort_name", "sort_name"),
    )

    kind: Mapped[TitleKind] = mapped_column(str_enum(TitleKind, "title_kind"))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    # Lower-cased name without a leading article, so "The Matrix" sorts under M.
    sort_name: Mapped[str] = mapped_column(String(300))
    synopsis: Mapped[str] = mapped_column(Text, default="")
    release_year: Mapped[int | None] = mapped_column(default=None)
    runtime_minutes: Mapped[int | None] = mapped_column(default=None)
    maturity_rating: Mapped[str] = mapped_column(String(10))
    maturity_level: Mapped[int]
    original_language: Mapped[str | None] = mapped_column(String(2), default=None)
    state: Mapped[PublishState] = mapped_column(
        str_enum(PublishState, "publish_state"), default=PublishState.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    poster: Mapped[str | None] = mapped_column(String(1000), default=None)
    backdrop: Mapped[str | None] = mapped_column(String(1000), default=None)
    thumbnail: Mapped[str | None] = mapped_column(String(1000), default=None)
    external_ids: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    # The playable media version; ingest switches it in one transaction when a version is ready.
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # Why the latest media processing for this title (or one of its episodes) failed;
    # cleared when a version for the same title or episode is published.
    processing_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Encrypt the media at packaging and release keys only to entitled sessions; off for
    # trailers and free content.
    encrypted: Mapped[bool] = mapped_column(default=True, server_default=true())

    genres: Mapped[list[Genre]] = relationship(secondary=title_genres, order_by="Genre.name")
    seasons: Mapped[list[Season]] = relationship(
        back_populates="title", cascade="all, delete-orphan", order_by="Season.number"
    )
    credits: Mapped[list[Credit]] = relationship(
        back_populates="title", cascade="all, delete-orphan", order_by="Credit.order"
    )
    availability: Mapped[list[Availability]] = relationship(
        back_populates="title", cascade="all, delete-orphan", order_by="Availability.starts_at"
    )


class Season(IdMixin, TimestampMixin, Base):
    __tablename__ = "seasons"
    __table_args__ = (UniqueConstraint("title_id", "number", name="uq_seasons_title_number"),)

    title_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(300), default="")
    synopsis: Mapped[str] = mapped_column(Text, default="")
    release_year: Mapped[int | None] = mapped_column(default=None)

    title: Mapped[Title] = relationship(back_populates="seasons")
    episodes: Mapped[list[Episode]] = relationship(
        back_populates="season", cascade="all, delete-orphan", order_by="Episode.number"
    )


class Episode(IdMixin, TimestampMixin, Base):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("season_id", "number", name="uq_episodes_season_number"),)

    season_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"))
    # Kept alongside season_id so playback can check a title's visibility without a join.
    title_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("titles.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    synopsis: Mapped[str] = mapped_column(Text, default="")
    runtime_minutes: Mapped[int | None] = mapped_column(default=None)
    intro_start_seconds: Mapped[int | None] = mapped_column(default=None)
    intro_end_seconds: Mapped[int | None] = mapped_column(default=None)
    credits_start_seconds: Mapped[int | None] = mapped_column(default=None)
    thumbnail: Mapped[str | None] = mapped_column(String(1000), default=None)
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(default=None)

    season: Mapped[Season] = relationship(back_populates="episodes")


class Person(IdMixin, TimestampMixin, Base):
    __tablename__ = "people"

    name: Mapped[str] = mapped_column(String(200), index=True)
    biography: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(1000), default=None)
    external_ids: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)


class Credit(IdMixin, Base):
    """A person's part in a title: cast (with character and billing order), director, writer."""

    __tablename__ = "credits"
    __table_args__ = (
        UniqueConstraint("title_id", "person_id", "role", name="uq_credits_title_person_role"),
    )

    title_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[CreditRole] = mapped_column(str_enum(CreditRole, "credit_role"))
    character: Mapped[str | None] = mapped_column(String(200), default=None)
    order: Mapped[int] = mapped_column(default=0)

    title: Mapped[Title] = relationship(back_populates="credits")
    person: Mapped[Person] = relationship(lazy="joined")


class Availability(IdMixin, Base):
    """A licence window: the title may be shown in `country` ("*" = everywhere) in [starts, ends)."""

    __tablename__ = "availability_windows"
    __table_args__ = (Index("ix_availability_windows_title_country", "title_id", "country"),)

    title_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None] = mapped_column(default=None)

    title: Mapped[Title] = relationship(back_populates="availability")
